-- Accounts of the personal account, the Telegram chats linked to them, consents,
-- one-time codes, the outbox and the dialogue state.

CREATE TABLE accounts (
    id              INTEGER PRIMARY KEY,
    kind            TEXT NOT NULL CHECK (kind IN ('individual', 'entrepreneur', 'legal')),
    -- NULL once the account is deleted (personal data erased).
    login           TEXT,
    name            TEXT,
    email           TEXT,
    phone           TEXT,
    password_hash   TEXT,
    status          TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'deleted')),
    failed_logins   INTEGER NOT NULL DEFAULT 0,
    locked_until    TEXT,
    created_at      TEXT NOT NULL,
    confirmed_at    TEXT,
    deleted_at      TEXT,
    CHECK (status = 'deleted' OR (login IS NOT NULL AND name IS NOT NULL AND email IS NOT NULL
                                  AND password_hash IS NOT NULL))
);
-- A login belongs to at most one confirmed account; pending ones may repeat it, so an
-- abandoned registration never blocks the login.
CREATE UNIQUE INDEX accounts_confirmed_login ON accounts (login) WHERE status = 'confirmed';
CREATE INDEX accounts_login ON accounts (login);

-- A Telegram private chat: its language and the account it is signed in to (at most one).
CREATE TABLE chats (
    chat_id     INTEGER PRIMARY KEY,
    locale      TEXT,
    account_id  INTEGER REFERENCES accounts (id) ON DELETE SET NULL,
    linked_at   TEXT,
    blocked_at  TEXT
);
CREATE INDEX chats_account ON chats (account_id);

-- Consent to the processing of personal data (152-FZ): when, which policy, when withdrawn.
CREATE TABLE consents (
    id              INTEGER PRIMARY KEY,
    account_id      INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    policy_version  TEXT NOT NULL,
    given_at        TEXT NOT NULL,
    withdrawn_at    TEXT
);
CREATE INDEX consents_account ON consents (account_id);

-- One-time codes sent by e-mail. Only hashes are stored.
CREATE TABLE email_codes (
    id                INTEGER PRIMARY KEY,
    account_id        INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    purpose           TEXT NOT NULL CHECK (purpose IN ('register', 'email_change', 'password_reset')),
    email             TEXT NOT NULL,
    code_hash         TEXT NOT NULL,
    code_expires_at   TEXT NOT NULL,
    attempts          INTEGER NOT NULL DEFAULT 0,
    -- set when the code was used, voided by wrong attempts or replaced by a newer one
    code_closed_at    TEXT,
    token_hash        TEXT UNIQUE,
    token_expires_at  TEXT,
    token_used_at     TEXT,
    created_at        TEXT NOT NULL
);
CREATE INDEX email_codes_account ON email_codes (account_id, purpose, created_at);

-- Whatever must reach someone later is written here in the same transaction as its cause.
CREATE TABLE outbox (
    id               INTEGER PRIMARY KEY,
    channel          TEXT NOT NULL CHECK (channel IN ('email', 'telegram', 'operator')),
    payload          TEXT NOT NULL,
    status           TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'done', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  TEXT NOT NULL,
    last_error       TEXT,
    created_at       TEXT NOT NULL,
    done_at          TEXT
);
CREATE INDEX outbox_due ON outbox (status, next_attempt_at);

-- The dialogue in progress per chat (teloxide Storage), as JSON.
CREATE TABLE dialogues (
    chat_id     INTEGER PRIMARY KEY,
    state       TEXT NOT NULL,
    updated_at  TEXT NOT NULL
);

-- Events counted for rate limits (registrations per chat, failed sign-ins per chat).
CREATE TABLE rate_events (
    key  TEXT NOT NULL,
    at   TEXT NOT NULL
);
CREATE INDEX rate_events_key ON rate_events (key, at);
