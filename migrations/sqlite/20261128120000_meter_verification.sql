-- «Заявка на поверку»: a fourth kind of meter request. SQLite cannot change a CHECK in place,
-- so the table is rebuilt (nothing references it by a foreign key; cards and attachments name
-- it by kind and id).
CREATE TABLE meter_requests_new (
    id              INTEGER PRIMARY KEY,
    number          TEXT NOT NULL UNIQUE,
    meter_id        INTEGER NOT NULL REFERENCES meters (id) ON DELETE CASCADE,
    account_id      INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind            TEXT NOT NULL CHECK (kind IN ('reading_taking', 'commissioning', 'replacement', 'verification')),
    status          TEXT NOT NULL DEFAULT 'submitted' CHECK (status IN ('submitted', 'scheduled', 'done', 'rejected')),
    details         TEXT NOT NULL,
    preferred_date  TEXT NOT NULL,
    scheduled_for   TEXT,
    status_note     TEXT,
    created_at      TEXT NOT NULL
);
INSERT INTO meter_requests_new
    SELECT id, number, meter_id, account_id, kind, status, details, preferred_date, scheduled_for, status_note, created_at
    FROM meter_requests;
DROP TABLE meter_requests;
ALTER TABLE meter_requests_new RENAME TO meter_requests;
CREATE INDEX meter_requests_meter ON meter_requests (meter_id);
