-- Outages the utility announces (`kabinet outage add`, extended and closed the same way): a
-- resource, planned or emergency, an area as the operator wrote it («г. Город, ул. Ленина:
-- 1-15 нечёт, 20»), when, why. Each change raises `version`; consumers inside the area are told
-- of each version once (`outage_notices`), and `told_version` says which one was told.
CREATE TABLE outages (
    id            INTEGER PRIMARY KEY,
    number        TEXT NOT NULL UNIQUE,
    resource      TEXT NOT NULL CHECK (resource IN ('electricity', 'cold_water', 'hot_water', 'heat')),
    planned       INTEGER NOT NULL,
    area          TEXT NOT NULL,
    starts_at     TEXT NOT NULL,
    ends_at       TEXT NOT NULL,
    reason        TEXT NOT NULL DEFAULT '',
    version       INTEGER NOT NULL DEFAULT 1,
    last_change   TEXT NOT NULL DEFAULT 'published' CHECK (last_change IN ('published', 'extended', 'closed')),
    told_version  INTEGER NOT NULL DEFAULT 0,
    created_at    TEXT NOT NULL,
    closed_at     TEXT
);
-- The worker looks only at outages with something untold; the section at open ones.
CREATE INDEX outages_untold ON outages (id) WHERE told_version < version;
CREATE INDEX outages_open ON outages (closed_at, ends_at);

CREATE TABLE outage_notices (
    outage_id    INTEGER NOT NULL REFERENCES outages (id) ON DELETE CASCADE,
    consumer_id  INTEGER NOT NULL REFERENCES consumers (id) ON DELETE CASCADE,
    version      INTEGER NOT NULL,
    sent_at      TEXT NOT NULL,
    PRIMARY KEY (outage_id, consumer_id, version)
);
-- A consumer's rows, when the consumer goes.
CREATE INDEX outage_notices_consumer ON outage_notices (consumer_id);

-- «Об отключениях» in «Профиль» → «Напоминания» (on by default).
ALTER TABLE consumers ADD COLUMN notify_outages INTEGER NOT NULL DEFAULT 1;
