-- An opaque id per lead, so providers (Stripe, the Sheet) never need the phone number.
ALTER TABLE leads ADD COLUMN lead_id uuid NOT NULL DEFAULT gen_random_uuid();
ALTER TABLE leads ADD CONSTRAINT leads_lead_id_key UNIQUE (lead_id);

-- Checkout Sessions we issued, one per lead and attempt; Stripe events are routed by them.
CREATE TABLE deposit_sessions (
    session_id     text PRIMARY KEY,
    lead_key       text        NOT NULL,
    attempt        integer     NOT NULL,
    url            text        NOT NULL,
    expires_at     timestamptz NOT NULL,
    payment_intent text,
    created_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (lead_key, attempt)
);
CREATE INDEX deposit_sessions_payment_intent_idx ON deposit_sessions (payment_intent);

-- Info / warn / error events, per lead or global, written in the transaction they describe.
CREATE TABLE system_events (
    id             bigserial PRIMARY KEY,
    at             timestamptz NOT NULL DEFAULT now(),
    level          text        NOT NULL CHECK (level IN ('info', 'warn', 'error')),
    kind           text        NOT NULL,
    lead_key       text,
    correlation_id text,
    detail         jsonb       NOT NULL DEFAULT '{}'
);
CREATE INDEX system_events_lead_idx ON system_events (lead_key, id);
CREATE INDEX system_events_kind_idx ON system_events (kind, id);

-- Delivery lanes: a lead's rows are ordered per channel, so a Sheets outage never holds
-- back the lead's WhatsApp replies (and the other way round).
DROP INDEX outbox_pending_idx;
CREATE INDEX outbox_pending_idx ON outbox (lead_key, channel, id) WHERE status = 'pending';
