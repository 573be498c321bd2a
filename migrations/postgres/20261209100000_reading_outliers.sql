-- A consumption the consumer confirmed though it looked implausible (above the daily ceiling
-- or three times the meter's usual): the readings export marks it for the billing's check.
ALTER TABLE readings ADD COLUMN outlier BOOLEAN NOT NULL DEFAULT FALSE;
