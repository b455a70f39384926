-- The lead's money, named once for storage's reads (actors/lead/codec.py owns the names):
-- where the deposit stands and its amounts in the studio currency's minor units, so the
-- artist's calendar feed can say what was paid. Columns are appended to the view
-- (CREATE OR REPLACE keeps the existing ones, in order, as 0016 made them).
CREATE OR REPLACE VIEW lead_summaries AS
SELECT lead_key,
       lead_id,
       status,
       state->>'name' AS name,
       (state->'visit'->>'starts_at')::bigint AS visit_starts_at,
       last_inbound_at,
       updated_at,
       state->>'deposit' AS deposit,
       (state->>'deposit_amount')::bigint AS deposit_amount,
       (state->>'paid_amount')::bigint AS paid_amount,
       coalesce((state->>'refunded_amount')::bigint, 0) AS refunded_amount
FROM leads;
