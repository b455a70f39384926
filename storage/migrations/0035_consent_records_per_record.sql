-- A consent record is one per lead and record (its SHA-256), not per lead and start time:
-- a lead who rebooks the very time of a cancelled booking gives a new consent, and the
-- new record is kept beside the old one; the same record kept twice is still one row.
ALTER TABLE consent_records DROP CONSTRAINT consent_records_lead_key_appointment_start_key;
ALTER TABLE consent_records ADD CONSTRAINT consent_records_lead_key_sha256_key
    UNIQUE (lead_key, sha256);
