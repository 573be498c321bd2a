-- Why a meter was put away: 'consumer' («Удалить»), 'unlink' (its personal account removed from
-- the consumer's), 'registry' (withdrawn from the billing's registry). A meter the consumer
-- deleted never comes back by itself; the others do when their account or registry entry does.
ALTER TABLE meters ADD COLUMN archived_by TEXT;
UPDATE meters SET archived_by = 'consumer' WHERE archived_at IS NOT NULL;
