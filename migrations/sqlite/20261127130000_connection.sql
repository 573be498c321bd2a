-- Applications for technological connection, their history, additions and drafts.

CREATE TABLE connection_applications (
    id           INTEGER PRIMARY KEY,
    number       TEXT NOT NULL UNIQUE,
    account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind         TEXT NOT NULL CHECK (kind IN ('electricity', 'water', 'heat')),
    -- «Наименование ЭУ» / «Наименование объекта»: how the person finds it in the list
    object_name  TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'submitted' CHECK (status IN
                 ('submitted', 'under_review', 'returned', 'documents_issued', 'connected', 'rejected')),
    fields       TEXT NOT NULL,
    -- the applicant's requisites from the profile at the time of filing
    applicant    TEXT NOT NULL,
    created_at   TEXT NOT NULL,
    updated_at   TEXT NOT NULL
);
CREATE INDEX connection_applications_account ON connection_applications (account_id, kind, object_name);

CREATE TABLE connection_status_history (
    id              INTEGER PRIMARY KEY,
    application_id  INTEGER NOT NULL REFERENCES connection_applications (id) ON DELETE CASCADE,
    status          TEXT NOT NULL,
    note            TEXT,
    at              TEXT NOT NULL
);
CREATE INDEX connection_status_history_app ON connection_status_history (application_id, id);

CREATE TABLE connection_additions (
    id              INTEGER PRIMARY KEY,
    application_id  INTEGER NOT NULL REFERENCES connection_applications (id) ON DELETE CASCADE,
    text            TEXT,
    created_at      TEXT NOT NULL
);

-- A form left half-filled: offered again on the next visit.
CREATE TABLE connection_drafts (
    account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind        TEXT NOT NULL,
    form        TEXT NOT NULL,
    updated_at  TEXT NOT NULL,
    PRIMARY KEY (account_id, kind)
);
