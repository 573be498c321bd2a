-- The operators' desk: who the operators are, which group message belongs to which item,
-- what an operator is about to do, reminder settings and the reminders already sent.

CREATE TABLE operators (
    telegram_id  INTEGER PRIMARY KEY,
    name         TEXT,
    added_at     TEXT NOT NULL
);

-- Every bot message in the operators' group that belongs to an item: a reply to any of them
-- answers that item. Never derived from forwarded-message fields (people can hide those).
CREATE TABLE desk_messages (
    chat_id     INTEGER NOT NULL,
    message_id  INTEGER NOT NULL,
    item_kind   TEXT NOT NULL CHECK (item_kind IN ('ticket', 'meter_request', 'connection')),
    item_id     INTEGER NOT NULL,
    PRIMARY KEY (chat_id, message_id)
);
CREATE INDEX desk_messages_item ON desk_messages (item_kind, item_id);

-- The card of an item in the group, and who took it.
CREATE TABLE desk_cards (
    item_kind   TEXT NOT NULL,
    item_id     INTEGER NOT NULL,
    chat_id     INTEGER NOT NULL,
    message_id  INTEGER NOT NULL,
    taken_by    INTEGER,
    PRIMARY KEY (item_kind, item_id)
);

-- A status button pressed, waiting for the operator's reply with a comment, date or files.
CREATE TABLE desk_pending (
    operator_id  INTEGER NOT NULL,
    item_kind    TEXT NOT NULL,
    item_id      INTEGER NOT NULL,
    action       TEXT NOT NULL,
    at           TEXT NOT NULL,
    PRIMARY KEY (operator_id, item_kind, item_id)
);

ALTER TABLE accounts ADD COLUMN remind_readings INTEGER NOT NULL DEFAULT 1;
ALTER TABLE accounts ADD COLUMN remind_verification INTEGER NOT NULL DEFAULT 1;

-- A reminder goes once per kind, meter and period (or verification date).
CREATE TABLE reminders_sent (
    kind      TEXT NOT NULL,
    meter_id  INTEGER NOT NULL,
    period    TEXT NOT NULL,
    sent_at   TEXT NOT NULL,
    PRIMARY KEY (kind, meter_id, period)
);

-- When an item first got an answer, for the median time to first answer.
ALTER TABLE tickets ADD COLUMN first_answer_at TEXT;
