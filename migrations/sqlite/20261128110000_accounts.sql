-- Accounts and personal data: codes belong to the chat that asked for them (a stranger's
-- request voids nothing of the owner's), disputed logins, and the back office's audit trail.

ALTER TABLE email_codes ADD COLUMN chat_id INTEGER;
CREATE INDEX email_codes_chat ON email_codes (account_id, purpose, chat_id, created_at);

-- «Это мой номер»: someone says a confirmed login is theirs. Kept for a year, then pruned.
CREATE TABLE login_disputes (
    id          INTEGER PRIMARY KEY,
    login       TEXT NOT NULL,
    kind        TEXT NOT NULL,
    name        TEXT NOT NULL,
    email       TEXT NOT NULL,
    phone       TEXT,
    comment     TEXT,
    chat_id     INTEGER NOT NULL,
    created_at  TEXT NOT NULL
);
CREATE INDEX login_disputes_created ON login_disputes (created_at);

-- What the back office did to an account (a login released), and why.
CREATE TABLE account_audit (
    id          INTEGER PRIMARY KEY,
    at          TEXT NOT NULL,
    action      TEXT NOT NULL,
    login       TEXT,
    account_id  INTEGER,
    reason      TEXT NOT NULL
);
