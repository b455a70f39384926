-- Appointments: holds (a slot kept while the deposit link lives) and booked
-- appointments, in ONE table, so that no two live ones can overlap: the exclusion
-- constraint compares [starts_at, blocked_until), the session plus the buffer after it.
-- Rows are written inside the lead's turn; a row stops being live (released, cancelled)
-- instead of being deleted, so the history of a lead's times stays readable.
CREATE TABLE appointments (
    id            bigserial PRIMARY KEY,
    lead_key      text        NOT NULL,
    kind          text        NOT NULL CHECK (kind IN ('hold', 'appointment')),
    starts_at     timestamptz NOT NULL,
    ends_at       timestamptz NOT NULL,
    blocked_until timestamptz NOT NULL,  -- ends_at + the studio's buffer
    status        text        NOT NULL DEFAULT 'live'
                  CHECK (status IN ('live', 'released', 'cancelled')),
    expires_at    timestamptz,           -- a hold's end of life (its deposit link's)
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    CHECK (starts_at < ends_at AND ends_at <= blocked_until),
    CHECK ((kind = 'hold') = (expires_at IS NOT NULL)),
    CONSTRAINT appointments_no_overlap
        EXCLUDE USING gist (tstzrange(starts_at, blocked_until, '[)') WITH &&)
        WHERE (status = 'live')
);
-- A lead has at most one live row: its hold or its appointment.
CREATE UNIQUE INDEX appointments_one_live_idx ON appointments (lead_key) WHERE status = 'live';
CREATE INDEX appointments_lead_idx ON appointments (lead_key, id);
