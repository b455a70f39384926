-- The lead version each turn produced, beside the event that caused it: a lead's history
-- of turns can then be checked for gaps (every version from 1 to the snapshot's has
-- exactly one event), which is how the load test's chaos checks read it.
ALTER TABLE inbox ADD COLUMN lead_version bigint;
CREATE UNIQUE INDEX inbox_lead_version_idx ON inbox (lead_key, lead_version);
