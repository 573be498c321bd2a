-- Personal accounts (лицевые счета) as the utility's billing exports them (`kabinet import
-- accounts`): the registry, never typed by consumers. An account or a meter gone from the
-- registry is withdrawn, never deleted (readings keep their meters).
CREATE TABLE accounts (
    id            INTEGER PRIMARY KEY,
    number        TEXT NOT NULL UNIQUE,
    address       TEXT NOT NULL,
    holder        TEXT,
    contract      TEXT NOT NULL CHECK (contract IN ('individual', 'organisation')),
    imported_at   TEXT NOT NULL,
    withdrawn_at  TEXT
);

CREATE TABLE account_meters (
    id                INTEGER PRIMARY KEY,
    account_id        INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    serial            TEXT NOT NULL,
    resource          TEXT NOT NULL CHECK (resource IN ('electricity', 'cold_water', 'hot_water', 'heat')),
    zones             INTEGER NOT NULL,
    int_digits        INTEGER NOT NULL,
    frac_digits       INTEGER NOT NULL,
    next_verification TEXT,
    -- The last readings billing accepted, by zone (thousandths), and their day.
    last_1            INTEGER,
    last_2            INTEGER,
    last_3            INTEGER,
    last_on           TEXT,
    imported_at       TEXT NOT NULL,
    withdrawn_at      TEXT,
    UNIQUE (account_id, serial)
);
