-- The fields of an inbox row's WhatsApp message that the board reads (its last message
-- and the unread marker), named here and nowhere else: storage's Python reads these
-- typed columns, never the payload by path. Only rows that are a message someone sent
-- (Meta's `from` or `from_user_id`, and a `type`) are in it; actions, payments and
-- timers are not. `payload` is carried whole for the page's own reading of the words.
CREATE VIEW inbox_messages AS
SELECT message_id,
       lead_key,
       received_at,
       coalesce(payload->>'from', payload->>'from_user_id') AS sender,
       payload->>'type' AS kind,
       coalesce(payload->>'via', '') AS via,
       payload
FROM inbox
WHERE payload ? 'type' AND (payload ? 'from' OR payload ? 'from_user_id');

-- An outbox row's recipient (`to` of a WhatsApp message effect), beside its payload,
-- so the board can find the newest message that went to the lead (not to the artist).
CREATE VIEW outbox_recipients AS
SELECT id,
       lead_key,
       channel,
       created_at,
       payload->>'to' AS recipient,
       payload->>'type' AS kind,  -- the effect's tag: mark_read is no message
       payload
FROM outbox;

-- A file the artist sent a lead from the studio page (a design, a PDF): its bytes kept
-- until they leave through the outbox, and the id Graph gave the upload, so a retried
-- delivery sends by that id instead of uploading again.
CREATE TABLE studio_files (
    id             bigserial   PRIMARY KEY,
    lead_key       text        NOT NULL,
    mime_type      text        NOT NULL,
    filename       text,
    content        bytea       NOT NULL,
    graph_media_id text,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX studio_files_lead_idx ON studio_files (lead_key, created_at);
