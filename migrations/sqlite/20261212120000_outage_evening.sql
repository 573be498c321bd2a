-- The evening before a planned outage its consumers are reminded once.
ALTER TABLE outages ADD COLUMN evening_told INTEGER NOT NULL DEFAULT 0;
CREATE INDEX outages_evening ON outages (starts_at) WHERE planned AND NOT evening_told AND closed_at IS NULL;
