-- Appeals and complaints on the outages' topic filed while an outage is on at their address:
-- grouped on the outage's card in the operators' group (one card for them all, one reply
-- answers every open one) instead of a card each.
ALTER TABLE tickets ADD COLUMN outage_id BIGINT REFERENCES outages (id) ON DELETE SET NULL;
CREATE INDEX tickets_outage ON tickets (outage_id) WHERE outage_id IS NOT NULL;

CREATE TABLE outage_cards (
    outage_id   BIGINT PRIMARY KEY REFERENCES outages (id) ON DELETE CASCADE,
    chat_id     BIGINT NOT NULL,
    message_id  BIGINT NOT NULL
);
CREATE UNIQUE INDEX outage_cards_message ON outage_cards (chat_id, message_id);
