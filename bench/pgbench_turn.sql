-- The common actor turn as the service sends it (actors/runtime/turn.py, storage/turns.py),
-- for pgbench: one statement, `take_turn` (migration 0015) sent one JSON record (parsed by
-- Postgres on every call, as the service's is), outside a transaction block, so
-- Postgres runs and commits it as its own transaction: the lead's advisory lock, the
-- duplicate and version checks, the snapshot upsert (compare-and-set on its version),
-- the inbox row, two outbox rows and one answer row. One round trip, like the service's
-- for a lead its actor holds. A turn of the benchmark conversation writes one outbox
-- row and at most one answer: this is the heavier case.
-- The lead is random among :leads (-D leads=N). -D notify=false is a process that runs
-- its own relays (no NOTIFY), notify=true a web-role process's turn. The message id is
-- unique per call (client id + a 63-bit random number). Row sizes follow what the service writes. The
-- expected version is read first (pgbench has no cache): a read on the side, not a turn.
-- pgbench reads any `:name` as a variable, even inside a string: ':' in JSON is \u003a.
--
--   pgbench -n -M prepared -f bench/pgbench_turn.sql -D leads=1000 -D notify=false \
--       -c 64 -j 2 -T 20 <db>
\set lead random(1, :leads)
\set mid random(1, 9000000000000000000)
SELECT coalesce((SELECT version FROM leads WHERE lead_key = '44770' || :lead::text), 0)
    AS version
\gset
SELECT result, new_version FROM take_turn(format(
    '{"lock_key": %s, "lead_key": "%s", "expected_version": %s, "status": "QUALIFYING",'
    ' "state": %s, "last_inbound_at": %s, "message_id": "%s", "outcome": "processed",'
    ' "correlation_id": "%s", "inbox_payload": %s, "notify": %s,'
    ' "outbox": [{"channel": "whatsapp", "idempotency_key": "%s/0", "payload": {"to": "4477001000000", "key": "questions.colour", "ref": null, "intro": null, "params": {"name": "Bench Lead"}, "answers": [], "after_opt_out": false}},'
    ' {"channel": "whatsapp", "idempotency_key": "%s/1", "payload": {"to": "4477001000000", "key": "questions.timing", "ref": null, "intro": null, "params": {"name": "Bench Lead"}, "answers": [], "after_opt_out": false}}],'
    ' "answers": [{"seq": %s, "question_key": "size", "value": "10", "media_id": null}]}',
    hashtextextended('lead' || :lead::text, 0),
    '44770' || :lead::text,
    :version::bigint,
    '{"name": "Bench Lead", "wa_id": "4477001000000", "status": "QUALIFYING", "answers": [{"seq": 1, "value": "A small fox, fine line", "media_id": null, "question": "idea", "message_id": "wa\u003awamid.x.4477001000000.1"}, {"seq": 2, "value": "forearm", "media_id": null, "question": "placement", "message_id": "wa\u003awamid.x.4477001000000.2"}, {"seq": 3, "value": "10", "media_id": null, "question": "size", "message_id": "wa\u003awamid.x.4477001000000.3"}], "editing": false, "resume_status": null, "pilot_notified": false, "deposit_attempt": 0, "failed_attempts": 0, "last_message_ts": 1800000003, "current_question": "colour"}',
    to_json(now()),
    'wa:' || :client_id::text || '.' || :mid::text,
    md5(:mid::text),
    '{"id": "wamid.x.4477001000000.2", "from": "4477001000000", "text": {"body": "10"}, "type": "text", "timestamp": 1800000002, "profile_name": "Bench Lead"}',
    to_json(:notify::boolean),
    'wa:' || :client_id::text || '.' || :mid::text,
    'wa:' || :client_id::text || '.' || :mid::text,
    :version::int + 1
)::jsonb);
