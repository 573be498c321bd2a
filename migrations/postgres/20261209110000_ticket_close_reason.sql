-- Why the desk closed a ticket (domain::items::CloseReason), shown on its card; empty while it
-- is open or when the consumer closed it.
ALTER TABLE tickets ADD COLUMN close_reason TEXT;
