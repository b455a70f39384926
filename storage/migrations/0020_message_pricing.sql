-- What Meta charges for each of our messages, as its status webhooks report it
-- (`statuses[].pricing`): kept once per message, from the first report that carries it,
-- whatever came later. Keyed by Meta's message id, like `message_statuses`, so a report
-- that arrives before our record of the send is kept all the same and joins its outbox
-- row once the send is recorded. The insert that creates the row is the one moment the
-- message is counted in /metrics, so two replicas never count it twice.
CREATE TABLE message_pricing (
    provider_message_id text PRIMARY KEY,
    category            text        NOT NULL,  -- marketing, utility, authentication, service...
    pricing_type        text,                  -- regular, free_customer_service, free_entry_point
    pricing_model       text,                  -- PMP, CBP
    billable            boolean,
    recorded_at         timestamptz NOT NULL DEFAULT now()
);

-- Each priced message with its lead and whom it went to (the lead, or the artist about
-- the lead): the cost of messages to leads is read here, never from the JSON by path.
CREATE VIEW priced_messages AS
SELECT o.lead_key,
       o.payload->>'to' AS recipient,
       p.category,
       p.pricing_type,
       p.billable
FROM outbox AS o
JOIN message_pricing AS p USING (provider_message_id);
