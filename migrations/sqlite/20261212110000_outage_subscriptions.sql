-- Addresses a consumer subscribed to in «Отключения» (a parent's flat, a dacha without an
-- account here): told like their own.
CREATE TABLE outage_subscriptions (
    id           INTEGER PRIMARY KEY,
    consumer_id  INTEGER NOT NULL REFERENCES consumers (id) ON DELETE CASCADE,
    address      TEXT NOT NULL,
    created_at   TEXT NOT NULL
);
CREATE INDEX outage_subscriptions_consumer ON outage_subscriptions (consumer_id);
