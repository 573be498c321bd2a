-- Every statement the bot runs reaches its rows through an index (tests/it/plans.rs checks the
-- plans). What the workers and the desk's queue still found by scanning a whole table; at a
-- region's size (a million accounts, two million meters) each scan was seconds.

-- The purge of registrations never confirmed.
CREATE INDEX accounts_unconfirmed ON accounts (created_at) WHERE status = 'pending';
-- Deleting an account cascades to its meter requests.
CREATE INDEX meter_requests_account ON meter_requests (account_id);
-- The desk's queue of open items.
CREATE INDEX meter_requests_status ON meter_requests (status, created_at);
CREATE INDEX connection_applications_status ON connection_applications (status, created_at);
-- Expired desk confirmations and e-mail codes.
CREATE INDEX desk_pending_at ON desk_pending (at);
CREATE INDEX email_codes_expiry ON email_codes (code_expires_at);
-- The verification reminders: meters whose date comes within the next days.
CREATE INDEX meters_verification ON meters (next_verification) WHERE archived_at IS NULL;
