-- The spine: lead snapshots, the inbox of processed messages, the outbox of effects
-- and the record of every delivery attempt. Forward-only.

CREATE TABLE leads (
    lead_key        text PRIMARY KEY,             -- the lead's wa_id
    version         bigint      NOT NULL,         -- bumped by every committed turn (compare-and-set)
    status          text        NOT NULL,
    state           jsonb       NOT NULL,
    last_inbound_at timestamptz,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX leads_status_idx ON leads (status, lead_key);

-- One row per inbound message or event id, written in the turn that handled it.
CREATE TABLE inbox (
    message_id     text PRIMARY KEY,
    lead_key       text        NOT NULL,
    outcome        text        NOT NULL,          -- processed, out_of_order, ...
    correlation_id text,
    payload        jsonb       NOT NULL,
    received_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX inbox_lead_idx ON inbox (lead_key, received_at);

-- Effects recorded with the state change; the relay delivers them after commit.
CREATE TABLE outbox (
    id                  bigserial PRIMARY KEY,
    lead_key            text        NOT NULL,
    channel             text        NOT NULL,     -- whatsapp, ...
    payload             jsonb       NOT NULL,
    idempotency_key     text        NOT NULL UNIQUE,
    correlation_id      text,
    status              text        NOT NULL DEFAULT 'pending'
                        CHECK (status IN ('pending', 'sent', 'dead')),
    attempts            integer     NOT NULL DEFAULT 0,
    next_attempt_at     timestamptz NOT NULL DEFAULT now(),
    lease_until         timestamptz,
    provider_message_id text,
    last_error          text,
    created_at          timestamptz NOT NULL DEFAULT now(),
    finished_at         timestamptz
);
-- The relay only ever looks at a lead's oldest pending row.
CREATE INDEX outbox_pending_idx ON outbox (lead_key, id) WHERE status = 'pending';
CREATE INDEX outbox_dead_idx ON outbox (id) WHERE status = 'dead';

CREATE TABLE delivery_attempts (
    id                  bigserial PRIMARY KEY,
    outbox_id           bigint      NOT NULL REFERENCES outbox (id),
    attempt             integer     NOT NULL,
    outcome             text        NOT NULL,     -- sent, retry, dead
    error_code          text,
    error_detail        text,
    provider_message_id text,
    correlation_id      text,
    at                  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX delivery_attempts_outbox_idx ON delivery_attempts (outbox_id, attempt);
