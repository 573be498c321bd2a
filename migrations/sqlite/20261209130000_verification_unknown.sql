-- «Не знаю» for the next verification date: the consumer did not find it in the passport. The
-- date column keeps a far-future placeholder (it is NOT NULL); this flag says it is unknown, and
-- the code reads such a meter's date as none. Entering a date clears it.
ALTER TABLE meters ADD COLUMN verification_unknown INTEGER NOT NULL DEFAULT 0;
