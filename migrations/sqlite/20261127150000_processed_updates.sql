-- Updates already handled: after a crash Telegram offers the unconfirmed ones again, and a
-- handled one must not be answered twice.
CREATE TABLE processed_updates (
    update_id     INTEGER PRIMARY KEY,
    processed_at  TEXT NOT NULL
);
