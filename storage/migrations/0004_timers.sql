-- Durable timers: armed and cancelled inside the turn's transaction, fired by any
-- replica's scheduler as an event to the lead's actor (so once, by the inbox).
CREATE TABLE timers (
    id          bigserial PRIMARY KEY,
    lead_key    text        NOT NULL,
    kind        text        NOT NULL,
    due_at      timestamptz NOT NULL,
    status      text        NOT NULL DEFAULT 'pending'
                CHECK (status IN ('pending', 'fired', 'cancelled')),
    lease_until timestamptz,
    created_at  timestamptz NOT NULL DEFAULT now(),
    finished_at timestamptz
);
-- At most one pending timer of a kind per lead.
CREATE UNIQUE INDEX timers_one_pending_idx ON timers (lead_key, kind) WHERE status = 'pending';
CREATE INDEX timers_due_idx ON timers (due_at) WHERE status = 'pending';
