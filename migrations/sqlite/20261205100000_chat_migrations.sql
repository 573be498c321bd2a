-- Groups Telegram turned into supergroups under the bot (a new chat id): the operators' group
-- keeps working at the new id while OPERATOR_CHAT_ID still names the old one.
CREATE TABLE chat_migrations (
    from_chat_id  INTEGER PRIMARY KEY,
    to_chat_id    INTEGER NOT NULL,
    migrated_at   TEXT NOT NULL
);

-- /stats: the median time to a first answer over a recent window, found by index.
CREATE INDEX tickets_first_answer ON tickets (first_answer_at) WHERE first_answer_at IS NOT NULL;
