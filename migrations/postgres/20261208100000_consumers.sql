-- The sign-in account is the consumer's («личный кабинет»): «лицевой счёт», the billing's
-- personal account, gets the word "account" to itself. Indexes keep their names.
ALTER TABLE accounts RENAME TO consumers;
ALTER TABLE account_audit RENAME TO consumer_audit;
ALTER TABLE chats RENAME COLUMN account_id TO consumer_id;
ALTER TABLE consents RENAME COLUMN account_id TO consumer_id;
ALTER TABLE email_codes RENAME COLUMN account_id TO consumer_id;
ALTER TABLE meters RENAME COLUMN account_id TO consumer_id;
ALTER TABLE tickets RENAME COLUMN account_id TO consumer_id;
ALTER TABLE connection_applications RENAME COLUMN account_id TO consumer_id;
ALTER TABLE connection_drafts RENAME COLUMN account_id TO consumer_id;
ALTER TABLE consumer_audit RENAME COLUMN account_id TO consumer_id;
ALTER TABLE meter_requests RENAME COLUMN account_id TO consumer_id;
