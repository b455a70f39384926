-- A lead's consent before an appointment (PRODUCT.md, "Tattoo studio specifics"): the
-- record as kept when complete (or refused for a minor), sealed with the SHA-256 of its
-- canonical JSON, kept until `retain_until`. One per lead and appointment start; a
-- complete record is never changed (a second keep of the same one does nothing).
CREATE TABLE consent_records (
    id bigserial PRIMARY KEY,
    lead_key text NOT NULL,
    appointment_start timestamptz NOT NULL,
    status text NOT NULL CHECK (status IN ('complete', 'refused_minor', 'deleted')),
    record jsonb NOT NULL,
    sha256 text NOT NULL,
    retain_until date NOT NULL,
    kept_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (lead_key, appointment_start)
);
CREATE INDEX consent_records_retain ON consent_records (retain_until);

-- Whether a booked lead's consent is still missing, from the lead's JSON (the codec
-- writes `consent.status`; a booked lead without it has not been asked yet).
CREATE VIEW lead_consent AS
SELECT lead_key,
       lead_id,
       status,
       coalesce(state->'consent'->>'status', 'missing') AS consent_status,
       (state->'visit'->>'starts_at')::bigint AS visit_starts_at
FROM leads;
