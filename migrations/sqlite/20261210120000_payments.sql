-- Payments that reach the utility between bills (`kabinet import payments`): an account's
-- payment on a day, its amount in kopecks and the payment document's number (empty when the
-- file has none). The same payment imported twice is one row.
CREATE TABLE payments (
    id           INTEGER PRIMARY KEY,
    account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    paid_on      TEXT NOT NULL,
    amount       INTEGER NOT NULL,
    document     TEXT NOT NULL DEFAULT '',
    source       TEXT,
    imported_at  TEXT NOT NULL,
    UNIQUE (account_id, paid_on, amount, document)
);
