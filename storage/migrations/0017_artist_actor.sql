-- The artist is an actor: one snapshot per artist (today one, under the key 'artist'),
-- written by its turns with its inbox and outbox rows, under its advisory lock.
CREATE TABLE artist_actors (
    actor_key  text PRIMARY KEY,
    version    bigint      NOT NULL,
    state      jsonb       NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);

-- Its first snapshot: the messages kept while the artist was asked which lead they were
-- for (before the artist was an actor), the newest ten, so a list sent before this
-- migration still relays what its rows name. The shape is actors/artist/codec.py's.
INSERT INTO artist_actors (actor_key, version, state)
SELECT 'artist', 1, jsonb_build_object(
    'pending', coalesce(jsonb_agg(kept ORDER BY received_at), '[]'::jsonb),
    'links_sent', '[]'::jsonb
)
FROM (
    SELECT received_at, jsonb_build_object(
        'message_id', message_id,
        'text', payload -> 'relayed' ->> 'text',
        'media_id', payload -> 'relayed' ->> 'media_id',
        'kind', coalesce(payload -> 'relayed' ->> 'kind', payload ->> 'type'),
        'filename', payload -> 'relayed' ->> 'filename'
    ) AS kept
    FROM inbox
    WHERE outcome = 'asked_which_lead'
    ORDER BY received_at DESC
    LIMIT 10
) AS newest
HAVING count(*) > 0;
