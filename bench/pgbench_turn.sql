-- One actor turn as the service runs it (actors/runtime.py, storage/turns.py), for pgbench:
-- BEGIN; the lead's advisory lock; the read of `_BEGIN`; the write of `_FINISH` (snapshot
-- upsert with the version compare-and-set, the inbox row, two outbox rows, one answer
-- row); COMMIT. Five round trips, like the service's. A turn of the benchmark
-- conversation writes one outbox row and at most one answer: this is the heavier case.
-- The lead is random among :leads (-D leads=N); the message id is unique per transaction
-- (client id + a 63-bit random number). Row sizes follow what the service writes.
-- pgbench reads any `:name` as a variable, even inside a string: ':' in JSON is \u003a.
--
--   pgbench -n -M prepared -f bench/pgbench_turn.sql -D leads=1000 -c 64 -j 2 -T 20 <db>
\set lead random(1, :leads)
\set mid random(1, 9000000000000000000)
BEGIN;
SELECT pg_advisory_xact_lock(hashtextextended('lead' || :lead::text, 0));
-- `_BEGIN`. The service passes the version it has cached, so the state column is NULL on
-- the common path; comparing the version with itself gives that same answer here.
SELECT
    EXISTS (SELECT 1 FROM inbox WHERE message_id = 'wa:' || :client_id::text || '.' || :mid::text) AS seen,
    coalesce(l.version, 0) AS version,
    l.status AS status,
    CASE WHEN l.version IS DISTINCT FROM l.version THEN l.state END AS state
FROM (SELECT 1) AS one
LEFT JOIN leads AS l ON l.lead_key = '44770' || :lead::text
\gset
-- `_FINISH`, with the version read above as the expected one.
WITH snapshot AS (
    INSERT INTO leads AS l (lead_key, version, status, state, last_inbound_at)
    VALUES (
        '44770' || :lead::text,
        :version::bigint + 1,
        'QUALIFYING',
        '{"name": "Bench Lead", "wa_id": "4477001000000", "status": "QUALIFYING", "answers": [{"seq": 1, "value": "A small fox, fine line", "media_id": null, "question": "idea", "message_id": "wa\u003awamid.x.4477001000000.1"}, {"seq": 2, "value": "forearm", "media_id": null, "question": "placement", "message_id": "wa\u003awamid.x.4477001000000.2"}, {"seq": 3, "value": "10", "media_id": null, "question": "size", "message_id": "wa\u003awamid.x.4477001000000.3"}], "editing": false, "resume_status": null, "pilot_notified": false, "deposit_attempt": 0, "failed_attempts": 0, "last_message_ts": 1800000003, "current_question": "colour"}'::jsonb,
        now()
    )
    ON CONFLICT (lead_key) DO UPDATE
        SET version = EXCLUDED.version,
            status = EXCLUDED.status,
            state = EXCLUDED.state,
            last_inbound_at = COALESCE(EXCLUDED.last_inbound_at, l.last_inbound_at),
            updated_at = now()
        WHERE l.version = :version::bigint
    RETURNING l.version
), inbox_row AS (
    INSERT INTO inbox (message_id, lead_key, outcome, correlation_id, payload, lead_version)
    SELECT
        'wa:' || :client_id::text || '.' || :mid::text,
        '44770' || :lead::text,
        'processed',
        md5(:mid::text),
        '{"id": "wamid.x.4477001000000.2", "from": "4477001000000", "text": {"body": "10"}, "type": "text", "timestamp": 1800000002, "profile_name": "Bench Lead"}'::jsonb,
        version
    FROM snapshot
), outbox_rows AS (
    INSERT INTO outbox (lead_key, channel, payload, idempotency_key, correlation_id)
    SELECT '44770' || :lead::text, channel, payload,
           'wa:' || :client_id::text || '.' || :mid::text || '/' || (n - 1), md5(:mid::text)
    FROM unnest(
        ARRAY['whatsapp', 'whatsapp'],
        ARRAY['{"to": "4477001000000", "key": "questions.colour", "ref": null, "intro": null, "params": {"name": "Bench Lead"}, "answers": [], "after_opt_out": false}'::jsonb,
              '{"to": "4477001000000", "key": "questions.timing", "ref": null, "intro": null, "params": {"name": "Bench Lead"}, "answers": [], "after_opt_out": false}'::jsonb]
    ) WITH ORDINALITY AS t(channel, payload, n)
), answer_rows AS (
    -- seq: the lead's own answer counter; the turn's new version is unique per lead too.
    INSERT INTO answers (lead_key, seq, question_key, value, media_id, message_id)
    VALUES ('44770' || :lead::text, :version::int + 1, 'size', '10', NULL,
            'wa:' || :client_id::text || '.' || :mid::text)
)
SELECT version AS new_version FROM snapshot;
COMMIT;
