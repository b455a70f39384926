-- The words the studio page's search finds a lead by: its name and its latest answers
-- (a picked option by its title), lower case and without accents, one space apart.
-- The embedded Postgres (pgserver) ships no `unaccent` and no `pg_trgm`, so the turn
-- folds them in Python (actors/lead/search_words.py) and sends them in its record as
-- `search` (only when they changed); the query folds its words the same way and
-- matches each as a word prefix through the GIN index below (core text search, no
-- extension: 'simple' neither stems nor drops words).
CREATE TABLE lead_search (
    lead_key text PRIMARY KEY,
    words    text NOT NULL
);
CREATE INDEX lead_search_words_idx ON lead_search USING gin (to_tsvector('simple', words));

-- `take_turn` (0015) writes the words too. Wrapped rather than copied, so its body stays
-- in one place: the wrapper runs it, and when it wrote the turn (under the lead's lock,
-- in the same transaction) keeps the record's `search`.
ALTER FUNCTION take_turn(jsonb) RENAME TO take_turn_body;

CREATE FUNCTION take_turn(p_turn jsonb)
RETURNS TABLE (result text, new_version bigint)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_result text;
    v_version bigint;
BEGIN
    SELECT t.result, t.new_version INTO v_result, v_version FROM take_turn_body(p_turn) AS t;
    IF v_result = 'written' AND p_turn ? 'search' THEN
        INSERT INTO lead_search (lead_key, words)
        VALUES (p_turn->>'lead_key', p_turn->>'search')
        ON CONFLICT (lead_key) DO UPDATE SET words = EXCLUDED.words;
    END IF;
    RETURN QUERY SELECT v_result, v_version;
END;
$$;

-- Every existing lead stays searchable: its name and its latest answers, folded here as
-- closely as SQL can (common Latin accents; a picked option by its id, which its title
-- replaces the next time the lead's words change).
INSERT INTO lead_search (lead_key, words)
SELECT s.lead_key,
       trim(regexp_replace(
           lower(translate(
               concat_ws(' ', s.name, (
                   SELECT string_agg(a.value, ' ' ORDER BY a.seq)
                   FROM (SELECT DISTINCT ON (question_key) value, seq, media_id
                         FROM answers
                         WHERE lead_key = s.lead_key
                         ORDER BY question_key, seq DESC) AS a
                   WHERE a.media_id IS NULL AND a.value NOT IN ('media', 'skip'))),
               'ÀÁÂÃÄÅàáâãäåÈÉÊËèéêëÌÍÎÏìíîïÒÓÔÕÖòóôõöÙÚÛÜùúûüÑñÇçÝýÿ',
               'aaaaaaaaaaaaeeeeeeeeiiiiiiiioooooooooouuuuuuuunnccyyy')),
           '[^[:alnum:]]+', ' ', 'g'))
FROM lead_summaries AS s
ON CONFLICT (lead_key) DO NOTHING;
