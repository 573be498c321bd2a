-- Delivery you can trust: what Telegram accepted, piece by piece, so that a retry sends only
-- what is missing; and what it refused for good, for /stats.

-- One piece of a delivery (a part of a long text, a file of a card, a follow-up event) that
-- Telegram accepted, under a key that names the delivery and the piece.
CREATE TABLE sent_pieces (
    key         TEXT PRIMARY KEY,
    chat_id     INTEGER NOT NULL,
    message_id  INTEGER NOT NULL,
    at          TEXT NOT NULL
);
CREATE INDEX sent_pieces_at ON sent_pieces (at);

-- A request Telegram refused for good (400 or 403): never retried, counted in /stats.
CREATE TABLE telegram_refusals (
    id       INTEGER PRIMARY KEY,
    at       TEXT NOT NULL,
    chat_id  INTEGER NOT NULL,
    method   TEXT NOT NULL,
    reason   TEXT NOT NULL
);
CREATE INDEX telegram_refusals_at ON telegram_refusals (at);

-- Every update as it arrives, before Telegram is told it arrived (the next getUpdates offset
-- confirms it): one the process took but never finished is handled after a restart from here.
-- `payload` (the update's JSON) is dropped once the update is handled; `handled_at` marks it,
-- so an update offered again is not handled twice. Replaces processed_updates.
CREATE TABLE inbox (
    update_id    INTEGER PRIMARY KEY,
    payload      TEXT,
    received_at  TEXT NOT NULL,
    handled_at   TEXT
);
INSERT INTO inbox (update_id, payload, received_at, handled_at)
    SELECT update_id, NULL, processed_at, processed_at FROM processed_updates;
DROP TABLE processed_updates;
CREATE INDEX inbox_received ON inbox (received_at);
CREATE INDEX inbox_unhandled ON inbox (update_id) WHERE handled_at IS NULL;

-- Pruning by time: delivered outbox rows, idle dialogues, rate events.
CREATE INDEX outbox_done_at ON outbox (done_at) WHERE status <> 'pending';
CREATE INDEX dialogues_updated ON dialogues (updated_at);
CREATE INDEX rate_events_at ON rate_events (at);
