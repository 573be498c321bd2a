-- A form left half-way for another section (a meter being added, an appeal, a request, a
-- profile change): its dialogue state, kept per consumer and section until it is continued,
-- started anew or a month old. Connection applications keep theirs in connection_drafts.
CREATE TABLE form_drafts (
    consumer_id BIGINT NOT NULL REFERENCES consumers (id) ON DELETE CASCADE,
    area        TEXT NOT NULL,
    state       TEXT NOT NULL,
    saved_at    TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (consumer_id, area)
);
-- The prune's month-old drafts.
CREATE INDEX form_drafts_saved ON form_drafts (saved_at);
