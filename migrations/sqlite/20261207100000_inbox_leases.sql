-- Several replicas on one database: an update kept in the inbox is handled by the process that
-- holds its lease (`owner` until `lease_until`); one whose lease ran out is taken by another.
-- `tries` counts such claims (a handler that fails on an update every time gives up).
-- `chat_id` (PostgreSQL: one process on SQLite needs no order across processes) keeps a chat's updates in order across processes.
ALTER TABLE inbox ADD COLUMN chat_id INTEGER;
ALTER TABLE inbox ADD COLUMN owner TEXT;
ALTER TABLE inbox ADD COLUMN lease_until TEXT;
ALTER TABLE inbox ADD COLUMN tries INTEGER NOT NULL DEFAULT 0;
-- An update stays open until handled and, on PostgreSQL, until its answers have gone out
-- (then its lease is released): the chat's next update waits for it.
CREATE INDEX inbox_chat_open ON inbox (chat_id, update_id)
    WHERE chat_id IS NOT NULL AND (handled_at IS NULL OR lease_until IS NOT NULL);

-- The process that sends a reply (leased to it): a reply whose process is gone is the
-- outbox worker's at once.
ALTER TABLE outbox ADD COLUMN owner TEXT;
-- When its writer began sending it: a reply whose process died after that may have reached
-- Telegram, which cannot be asked; sent again, it says so (`last_error`).
ALTER TABLE outbox ADD COLUMN sending_at TEXT;
