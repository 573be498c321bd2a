-- Whether the chat's dialogue expects a password next: the inbox keeps such a message without
-- its text, decided in the same INSERT (no read of the dialogue before every update). Rows
-- already there are flagged by what their state says (a password step, or a form at one).
ALTER TABLE dialogues ADD COLUMN secret INTEGER NOT NULL DEFAULT 0;
UPDATE dialogues SET secret = 1
 WHERE state LIKE '%"secret":true%'
    OR state LIKE '%"s":"login_password"%'
    OR state LIKE '%"s":"reset_password%';
