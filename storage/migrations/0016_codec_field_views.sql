-- The fields of the lead's JSON that storage reads, named here and nowhere else.
-- actors/lead/codec.py owns these names: it writes the lead's state (`leads.state`) and
-- each outbox effect (`outbox.payload`). Storage's Python reads these views' typed
-- columns, never the JSON by path, so renaming a field in the codec means changing
-- this one place (with a new migration that replaces the view).
-- Plain views: Postgres inlines them, so a read through them uses the tables' indexes.

-- A lead as lists show it: its name and the start of its visit (epoch seconds), beside
-- the typed columns the turn already writes.
CREATE VIEW lead_summaries AS
SELECT lead_key,
       lead_id,
       status,
       state->>'name' AS name,
       (state->'visit'->>'starts_at')::bigint AS visit_starts_at,
       last_inbound_at,
       updated_at
FROM leads;

-- An outbox row with the copy key of the message it carries: `copy_key` for a text
-- (send_message), `caption_key` for media (send_media); both null for other effects.
CREATE VIEW outbox_copy_keys AS
SELECT id,
       lead_key,
       channel,
       provider_message_id,
       created_at,
       payload->>'key' AS copy_key,
       payload->>'caption_key' AS caption_key
FROM outbox;
