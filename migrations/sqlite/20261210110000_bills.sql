-- A personal account's bill for a billing period, as `kabinet import charges` reads it from
-- the billing's file: the balance, the amounts (kopecks) and a line a service. One bill an
-- account and period; a newer file for the period replaces it (`fingerprint` tells whether
-- anything changed).
CREATE TABLE bills (
    id             INTEGER PRIMARY KEY,
    account_id     INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    period         TEXT NOT NULL,
    opening        INTEGER NOT NULL,
    charged        INTEGER NOT NULL,
    recalculation  INTEGER NOT NULL,
    benefit        INTEGER NOT NULL,
    paid           INTEGER NOT NULL,
    penalty        INTEGER NOT NULL,
    due            INTEGER NOT NULL,
    due_date       TEXT,
    fingerprint    TEXT NOT NULL,
    imported_at    TEXT NOT NULL,
    UNIQUE (account_id, period)
);

CREATE TABLE bill_lines (
    id             INTEGER PRIMARY KEY,
    bill_id        INTEGER NOT NULL REFERENCES bills (id) ON DELETE CASCADE,
    place          INTEGER NOT NULL,
    service        TEXT NOT NULL,
    -- Thousandths of the unit.
    volume         INTEGER,
    unit           TEXT,
    tariff         TEXT,
    amount         INTEGER NOT NULL,
    recalculation  INTEGER NOT NULL,
    benefit        INTEGER NOT NULL
);
CREATE INDEX bill_lines_bill ON bill_lines (bill_id);
-- A period's bills, for the import's comparison.
CREATE INDEX bills_period ON bills (period);
