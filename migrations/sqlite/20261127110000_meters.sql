-- Metering devices, their readings (exact: integers of thousandths), requests on them and
-- files attached to anything.

CREATE TABLE meters (
    id                 INTEGER PRIMARY KEY,
    account_id         INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    resource           TEXT NOT NULL CHECK (resource IN ('electricity', 'cold_water', 'hot_water', 'heat')),
    serial             TEXT NOT NULL,
    model              TEXT,
    place              TEXT NOT NULL,
    address            TEXT NOT NULL,
    zones              INTEGER NOT NULL CHECK (zones BETWEEN 1 AND 3),
    int_digits         INTEGER NOT NULL CHECK (int_digits BETWEEN 3 AND 9),
    frac_digits        INTEGER NOT NULL CHECK (frac_digits BETWEEN 0 AND 3),
    next_verification  TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    archived_at        TEXT
);
-- The same serial of the same resource once per user among active meters.
CREATE UNIQUE INDEX meters_active_serial ON meters (account_id, resource, serial) WHERE archived_at IS NULL;
CREATE INDEX meters_account ON meters (account_id);

CREATE TABLE readings (
    id             INTEGER PRIMARY KEY,
    meter_id       INTEGER NOT NULL REFERENCES meters (id) ON DELETE CASCADE,
    zone           INTEGER NOT NULL CHECK (zone BETWEEN 1 AND 3),
    value_milli    INTEGER NOT NULL CHECK (value_milli >= 0),
    period         TEXT NOT NULL,
    -- 'install': the reading at installation; 'user': sent by the consumer
    source         TEXT NOT NULL CHECK (source IN ('install', 'user')),
    rollover       INTEGER NOT NULL DEFAULT 0,
    photo_file_id  TEXT,
    submitted_at   TEXT NOT NULL,
    -- a later reading of the same period replaced this one (history keeps both)
    replaced_at    TEXT
);
CREATE INDEX readings_meter ON readings (meter_id, zone, submitted_at);
CREATE INDEX readings_period ON readings (period);

CREATE TABLE meter_requests (
    id              INTEGER PRIMARY KEY,
    number          TEXT NOT NULL UNIQUE,
    meter_id        INTEGER NOT NULL REFERENCES meters (id) ON DELETE CASCADE,
    account_id      INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind            TEXT NOT NULL CHECK (kind IN ('reading_taking', 'commissioning', 'replacement')),
    status          TEXT NOT NULL DEFAULT 'submitted' CHECK (status IN ('submitted', 'scheduled', 'done', 'rejected')),
    details         TEXT NOT NULL,
    preferred_date  TEXT NOT NULL,
    scheduled_for   TEXT,
    status_note     TEXT,
    created_at      TEXT NOT NULL
);
CREATE INDEX meter_requests_meter ON meter_requests (meter_id);

-- Files people attach: Telegram's ids plus what is needed to show and check them.
CREATE TABLE attachments (
    id              INTEGER PRIMARY KEY,
    owner_kind      TEXT NOT NULL,
    owner_id        INTEGER NOT NULL,
    file_id         TEXT NOT NULL,
    file_unique_id  TEXT NOT NULL,
    name            TEXT,
    mime            TEXT,
    size            INTEGER,
    created_at      TEXT NOT NULL
);
CREATE INDEX attachments_owner ON attachments (owner_kind, owner_id);

-- Numbers of items per kind and year (ПУ-2026-000001).
CREATE TABLE counters (
    name   TEXT PRIMARY KEY,
    value  INTEGER NOT NULL
);
