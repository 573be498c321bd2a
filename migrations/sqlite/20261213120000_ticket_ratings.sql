-- The consumer's rating of an answered or closed item (1 to 5, the latest counts) and an
-- optional comment; /stats gives the average and the share rated.
ALTER TABLE tickets ADD COLUMN rating INTEGER CHECK (rating BETWEEN 1 AND 5);
ALTER TABLE tickets ADD COLUMN rating_comment TEXT;
ALTER TABLE tickets ADD COLUMN rated_at TEXT;
