-- Broadcasts (outage notices, announcements, reminders, new bills) go after everything else
-- that is due: a card, an answer's push or a login code never waits behind 50,000 notices.
ALTER TABLE outbox ADD COLUMN bulk INTEGER NOT NULL DEFAULT 0;

-- A department's group that Telegram moved keeps its cards: they are looked up by the new id
-- through the move.
CREATE INDEX chat_migrations_to ON chat_migrations (to_chat_id);
