-- WhatsApp as people use it: Meta's delivery reports on each message we sent, the
-- statuses that arrive before our own record of the send, and the media leads send us.

-- Inbound replies (context.id), reactions and statuses name our message by Meta's id.
CREATE INDEX IF NOT EXISTS outbox_provider_message_idx ON outbox (provider_message_id);

-- Meta's latest word on the message: NULL until it reports, then sent, delivered, read
-- or failed; it only moves forward (see delivery_rank), and `delivery_error` is the
-- error code of a failure.
ALTER TABLE outbox ADD COLUMN delivery_state text
    CHECK (delivery_state IN ('sent', 'delivered', 'read', 'failed'));
ALTER TABLE outbox ADD COLUMN delivery_error text;

-- The order a message's states go in: a late "delivered" never undoes "read", and a
-- failure is final.
CREATE FUNCTION delivery_rank(state text) RETURNS integer
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE state
        WHEN 'sent' THEN 1 WHEN 'delivered' THEN 2 WHEN 'read' THEN 3 WHEN 'failed' THEN 4
        ELSE 0 END
$$;

-- A report and the record of its send may commit at the same moment; each takes this
-- lock on the message's id first, so whichever commits second sees the other.
CREATE FUNCTION lock_provider_message(id text) RETURNS void
LANGUAGE sql VOLATILE AS $$
    SELECT pg_advisory_xact_lock(hashtextextended('provider_message:' || id, 0))
$$;

-- Every status Meta reported, once each (a redelivered webhook changes nothing), kept
-- whether or not the message it names is known yet: a status that overtakes our record
-- of the send is applied when the send is recorded (the trigger below).
CREATE TABLE message_statuses (
    provider_message_id text        NOT NULL,
    state               text        NOT NULL
                        CHECK (state IN ('sent', 'delivered', 'read', 'failed')),
    error_code          text,
    recipient           text,
    reported_at         timestamptz,
    received_at         timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (provider_message_id, state)
);

-- Whoever records Meta's id on an outbox row (the relay, after the send) picks up the
-- statuses that arrived first, in the same statement.
CREATE FUNCTION outbox_apply_kept_statuses() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    kept record;
BEGIN
    PERFORM lock_provider_message(NEW.provider_message_id);
    SELECT s.state, s.error_code INTO kept
    FROM message_statuses AS s
    WHERE s.provider_message_id = NEW.provider_message_id
    ORDER BY delivery_rank(s.state) DESC
    LIMIT 1;
    IF FOUND AND delivery_rank(kept.state) > delivery_rank(NEW.delivery_state) THEN
        NEW.delivery_state := kept.state;
        NEW.delivery_error := COALESCE(kept.error_code, NEW.delivery_error);
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER outbox_kept_statuses
    BEFORE INSERT OR UPDATE OF provider_message_id ON outbox
    FOR EACH ROW
    WHEN (NEW.provider_message_id IS NOT NULL)
    EXECUTE FUNCTION outbox_apply_kept_statuses();

-- Media a lead sent, fetched from Meta (whose download URL lives minutes and whose id
-- lives days) and kept here with the lead's caption. Only `stored` rows are the lead's
-- image: a bad checksum or an oversize file is recorded, never shown.
CREATE TABLE media (
    id          bigserial PRIMARY KEY,
    lead_key    text        NOT NULL,
    media_id    text        NOT NULL UNIQUE,       -- Meta's media id
    message_id  text,                               -- the inbox id of the message
    mime_type   text,
    caption     text,
    sha256      text,                               -- what Meta said the bytes hash to
    size        bigint,
    status      text        NOT NULL
                CHECK (status IN ('stored', 'bad_checksum', 'too_large', 'failed')),
    bytes       bytea,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX media_lead_idx ON media (lead_key, id);
