-- The operators' short forms in their group (`/outage`, `/announce`, extending an outage): one
-- per operator and group, what was answered so far as JSON, and the bot's message whose reply
-- is the next answer. Publishing deletes the form in the same transaction: a second press
-- finds nothing to publish.
CREATE TABLE desk_forms (
    id                 INTEGER PRIMARY KEY,
    chat_id            INTEGER NOT NULL,
    operator_id        INTEGER NOT NULL,
    data               TEXT NOT NULL,
    prompt_message_id  INTEGER,
    updated_at         TEXT NOT NULL,
    UNIQUE (chat_id, operator_id)
);
CREATE INDEX desk_forms_updated ON desk_forms (updated_at);

-- Announcements (news) sent from the group: to everyone, or to one resource's consumers
-- (a meter of it); how many messages were queued.
CREATE TABLE announcements (
    id           INTEGER PRIMARY KEY,
    resource     TEXT CHECK (resource IN ('electricity', 'cold_water', 'hot_water', 'heat')),
    text         TEXT NOT NULL,
    operator_id  INTEGER NOT NULL,
    messages     INTEGER NOT NULL,
    created_at   TEXT NOT NULL
);

-- «Новости и объявления» in «Напоминания»: on unless turned off.
ALTER TABLE consumers ADD COLUMN notify_news INTEGER NOT NULL DEFAULT 1;
