-- At most one current reading a meter's zone has for a period: two saves of the same period
-- at the same moment (two chats of one account, two connections of a pool) cannot both stay
-- current; the later one replaces the earlier (store::meters::save_reading retries). Any pair
-- already there keeps its latest.
UPDATE readings SET replaced_at = submitted_at
 WHERE source = 'user' AND replaced_at IS NULL
   AND id < (SELECT MAX(r.id) FROM readings r
              WHERE r.meter_id = readings.meter_id AND r.zone = readings.zone AND r.period = readings.period
                AND r.source = 'user' AND r.replaced_at IS NULL);
CREATE UNIQUE INDEX readings_current ON readings (meter_id, zone, period) WHERE source = 'user' AND replaced_at IS NULL;
