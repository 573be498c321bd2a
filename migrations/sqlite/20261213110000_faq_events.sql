-- «Частые вопросы» offered before an appeal: 'helped' (the answer did), 'filed' (an appeal was
-- filed after it), by topic; /stats gives the share of appeals avoided.
CREATE TABLE faq_events (
    id     INTEGER PRIMARY KEY,
    kind   TEXT NOT NULL CHECK (kind IN ('helped', 'filed')),
    topic  TEXT NOT NULL,
    at     TEXT NOT NULL
);
CREATE INDEX faq_events_at ON faq_events (at);
