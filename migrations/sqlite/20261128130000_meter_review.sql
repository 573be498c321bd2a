-- A meter a consumer adds is «на проверке» until an operator accepts it; meters that exist
-- already were accepted. The operators' group gets a card for it, so desk messages may now
-- belong to a meter (the CHECK is widened by rebuilding the small table).
ALTER TABLE meters ADD COLUMN review TEXT NOT NULL DEFAULT 'accepted' CHECK (review IN ('pending', 'accepted'));
CREATE INDEX meters_pending ON meters (review) WHERE review = 'pending';

CREATE TABLE desk_messages_new (
    chat_id     INTEGER NOT NULL,
    message_id  INTEGER NOT NULL,
    item_kind   TEXT NOT NULL CHECK (item_kind IN ('ticket', 'meter_request', 'connection', 'meter')),
    item_id     INTEGER NOT NULL,
    PRIMARY KEY (chat_id, message_id)
);
INSERT INTO desk_messages_new SELECT chat_id, message_id, item_kind, item_id FROM desk_messages;
DROP TABLE desk_messages;
ALTER TABLE desk_messages_new RENAME TO desk_messages;
CREATE INDEX desk_messages_item ON desk_messages (item_kind, item_id);
