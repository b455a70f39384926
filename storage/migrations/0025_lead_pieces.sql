-- A piece of several sessions, named once for storage's reads (actors/lead/codec.py owns
-- the names): its price (the approval's quote, minor units), the sessions it takes and the
-- one booked now, so the artist's calendar feed can say "session 2 of 3" and, on the last,
-- the balance. Its own view: lead_summaries stays as the migrations before made it.
CREATE VIEW lead_pieces AS
SELECT lead_key,
       (state->>'quote')::bigint AS quote,
       coalesce((state->>'sessions')::int, 1) AS sessions,
       coalesce((state->>'session_number')::int, 0) AS session_number
FROM leads;
