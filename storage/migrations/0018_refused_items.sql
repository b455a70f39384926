-- Webhook items that could not be taken (a message without a sender, a status without
-- its id, a turn that failed on a bug), kept exactly as they came so nothing a provider
-- sent is lost unseen, while the rest of the delivery is answered.
CREATE TABLE refused_items (
    id             bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    route          text        NOT NULL,  -- /webhooks/whatsapp
    field          text        NOT NULL,  -- messages, statuses, user_preferences
    reason         text        NOT NULL,  -- the fields at fault, or the error's class
    raw            text        NOT NULL,  -- the item's JSON text, as it came
    correlation_id text,
    received_at    timestamptz NOT NULL DEFAULT now()
);
