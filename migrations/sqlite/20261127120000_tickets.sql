-- Appeals, complaints, requests and document requests: one model shared by the consumer's
-- side and the operators' desk.

CREATE TABLE tickets (
    id               INTEGER PRIMARY KEY,
    number           TEXT NOT NULL UNIQUE,
    kind             TEXT NOT NULL CHECK (kind IN ('appeal', 'complaint', 'request', 'document')),
    account_id       INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    status           TEXT NOT NULL DEFAULT 'new'
                     CHECK (status IN ('new', 'in_progress', 'answered', 'closed', 'reopened')),
    topic            TEXT NOT NULL,
    -- the form's other fields (address, meter, time of the violation, period…) as JSON
    fields           TEXT NOT NULL DEFAULT '{}',
    email_copy       INTEGER NOT NULL DEFAULT 0,
    deadline         TEXT NOT NULL,
    unread_for_user  INTEGER NOT NULL DEFAULT 0,
    created_at       TEXT NOT NULL,
    updated_at       TEXT NOT NULL
);
CREATE INDEX tickets_account ON tickets (account_id, kind, created_at);
CREATE INDEX tickets_status ON tickets (status, created_at);

CREATE TABLE ticket_messages (
    id            INTEGER PRIMARY KEY,
    ticket_id     INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    author        TEXT NOT NULL CHECK (author IN ('user', 'operator')),
    -- the operator's Telegram id, for operator messages
    operator_id   INTEGER,
    text          TEXT,
    created_at    TEXT NOT NULL
);
CREATE INDEX ticket_messages_ticket ON ticket_messages (ticket_id, id);

CREATE TABLE ticket_status_history (
    id          INTEGER PRIMARY KEY,
    ticket_id   INTEGER NOT NULL REFERENCES tickets (id) ON DELETE CASCADE,
    status      TEXT NOT NULL,
    note        TEXT,
    at          TEXT NOT NULL
);
CREATE INDEX ticket_status_history_ticket ON ticket_status_history (ticket_id, id);

-- A copy of a delivered document's bytes: it survives a change of bot token (file ids are
-- per bot).
ALTER TABLE attachments ADD COLUMN content BLOB;
