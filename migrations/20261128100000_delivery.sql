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

-- Pruning by time: delivered outbox rows, handled updates, idle dialogues.
CREATE INDEX outbox_done_at ON outbox (done_at) WHERE status <> 'pending';
CREATE INDEX processed_updates_at ON processed_updates (processed_at);
CREATE INDEX dialogues_updated ON dialogues (updated_at);
CREATE INDEX rate_events_at ON rate_events (at);
