-- A consumer's personal accounts: linked with a proof only the holder has (a meter's serial or
-- the last bill's amount), each under a short name the consumer gives it. One account may be
-- linked by several consumers (a family, a landlord and a tenant); each later one is told to
-- the earlier ones.
CREATE TABLE account_links (
    id           INTEGER PRIMARY KEY,
    consumer_id  INTEGER NOT NULL REFERENCES consumers (id) ON DELETE CASCADE,
    account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    name         TEXT NOT NULL,
    linked_at    TEXT NOT NULL,
    UNIQUE (consumer_id, account_id)
);
CREATE INDEX account_links_account ON account_links (account_id);

-- A consumer's meter that is an account's meter of the registry (made when the account is
-- linked, or a meter typed before and matched by its serial): readings go per account.
ALTER TABLE meters ADD COLUMN account_meter_id INTEGER REFERENCES account_meters (id);
CREATE INDEX meters_account_meter ON meters (account_meter_id);

-- «Новая квитанция» pushes (on by default) and the debt reminder (off by default).
ALTER TABLE consumers ADD COLUMN notify_bills INTEGER NOT NULL DEFAULT 1;
ALTER TABLE consumers ADD COLUMN remind_debt INTEGER NOT NULL DEFAULT 0;

-- What a consumer was told of an account's period: a new bill once, a debt reminder once.
CREATE TABLE bill_notices (
    consumer_id  INTEGER NOT NULL REFERENCES consumers (id) ON DELETE CASCADE,
    account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    period       TEXT NOT NULL,
    kind         TEXT NOT NULL CHECK (kind IN ('bill', 'debt')),
    sent_at      TEXT NOT NULL,
    PRIMARY KEY (consumer_id, account_id, period, kind)
);
-- The notices' runs start from the bills just imported, or due soon.
CREATE INDEX bills_imported ON bills (imported_at);
CREATE INDEX bills_due_date ON bills (due_date);
