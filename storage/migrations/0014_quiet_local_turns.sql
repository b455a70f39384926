-- A turn taken by a process that runs its own outbox relay wakes that relay in process,
-- so its outbox rows need no NOTIFY. And NOTIFY is dear: at commit Postgres takes one
-- lock, across the whole cluster, that serializes every transaction that notified. With
-- it, the one-statement turn did 2,438 turns a second in pgbench (16 clients, 1,000
-- leads, `bench/run_pgbench.py`); without it, 4,616.
-- `take_turn(..., p_notify => false)` says so for its own transaction
-- (`booking.outbox_wakes`, set transaction-local, so it never outlives the turn, behind
-- PgBouncer included); every other writer of the outbox (a web-role process's turns,
-- the studio page, a re-drive) still notifies, and polling stays the fallback.
CREATE OR REPLACE FUNCTION notify_outbox() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('booking.outbox_wakes', true) IS DISTINCT FROM 'in_process' THEN
        PERFORM pg_notify('booking_outbox', '');
    END IF;
    RETURN NULL;
END;
$$;

-- take_turn as migration 0013 made it, with `p_notify` last.
DROP FUNCTION take_turn(bigint, text, bigint, text, jsonb, timestamptz, text, text, text, jsonb, text[], jsonb[], text[], integer[], text[], text[], text[], text[], timestamptz[], text[], text[], text[], jsonb[], text[], integer[], text[], timestamptz[], bigint, timestamptz, text[], text[]);

CREATE FUNCTION take_turn(
    p_lock bigint,
    p_lead text,
    p_expected bigint,
    p_status text,
    p_state jsonb,
    p_last_inbound_at timestamptz,
    p_message text,
    p_outcome text,
    p_correlation text,
    p_inbox_payload jsonb,
    p_outbox_channels text[],
    p_outbox_payloads jsonb[],
    p_outbox_keys text[],
    p_answer_seqs integer[],
    p_answer_questions text[],
    p_answer_values text[],
    p_answer_media text[],
    p_armed_kinds text[],
    p_armed_due timestamptz[],
    p_cancelled_kinds text[],
    p_event_levels text[],
    p_event_kinds text[],
    p_event_details jsonb[],
    p_session_ids text[],
    p_session_attempts integer[],
    p_session_urls text[],
    p_session_expiry timestamptz[],
    p_fired_id bigint,
    p_fired_due timestamptz,
    p_intent_sessions text[],
    p_intents text[],
    p_notify boolean
)
RETURNS TABLE (result text, new_version bigint)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_version bigint;
BEGIN
    IF NOT p_notify THEN  -- until this turn's transaction ends (see above)
        PERFORM set_config('booking.outbox_wakes', 'in_process', true);
    END IF;
    PERFORM pg_advisory_xact_lock(p_lock);
    IF EXISTS (SELECT 1 FROM inbox AS i WHERE i.message_id = p_message) THEN
        RETURN QUERY SELECT 'seen'::text, NULL::bigint;
        RETURN;
    END IF;
    SELECT l.version INTO v_version FROM leads AS l WHERE l.lead_key = p_lead;
    IF COALESCE(v_version, 0) <> p_expected THEN
        RETURN QUERY SELECT 'stale'::text, NULL::bigint;
        RETURN;
    END IF;

    -- The snapshot, still a compare-and-set on its version.
    v_version := NULL;
    INSERT INTO leads AS l (lead_key, version, status, state, last_inbound_at)
    VALUES (p_lead, p_expected + 1, p_status, p_state, p_last_inbound_at)
    ON CONFLICT (lead_key) DO UPDATE
        SET version = EXCLUDED.version,
            status = EXCLUDED.status,
            state = EXCLUDED.state,
            last_inbound_at = COALESCE(EXCLUDED.last_inbound_at, l.last_inbound_at),
            updated_at = now()
        WHERE l.version = p_expected
    RETURNING l.version INTO v_version;
    IF v_version IS NULL THEN
        RETURN QUERY SELECT 'stale'::text, NULL::bigint;
        RETURN;
    END IF;

    -- The inbox row carries the version the turn made.
    INSERT INTO inbox (message_id, lead_key, outcome, correlation_id, payload, lead_version)
    VALUES (p_message, p_lead, p_outcome, p_correlation, p_inbox_payload, v_version);

    INSERT INTO outbox (lead_key, channel, payload, idempotency_key, correlation_id)
    SELECT p_lead, t.channel, t.payload, t.idempotency_key, p_correlation
    FROM unnest(p_outbox_channels, p_outbox_payloads, p_outbox_keys)
        AS t(channel, payload, idempotency_key);

    -- Each write below runs only when it has rows: a statement costs Postgres a plan
    -- and an execution even for an empty array, and the lock is held meanwhile.
    IF cardinality(p_answer_seqs) > 0 THEN
        INSERT INTO answers (lead_key, seq, question_key, value, media_id, message_id)
        SELECT p_lead, a.seq, a.question_key, a.value, a.media_id, p_message
        FROM unnest(p_answer_seqs, p_answer_questions, p_answer_values, p_answer_media)
            AS a(seq, question_key, value, media_id);
    END IF;

    -- Re-arming moves the pending timer of that kind in place (one pending per kind).
    IF cardinality(p_armed_kinds) > 0 THEN
        INSERT INTO timers (lead_key, kind, due_at)
        SELECT p_lead, t.kind, t.due_at
        FROM unnest(p_armed_kinds, p_armed_due) AS t(kind, due_at)
        ON CONFLICT (lead_key, kind) WHERE status = 'pending'
        DO UPDATE SET due_at = EXCLUDED.due_at, lease_until = NULL;
    END IF;

    IF cardinality(p_cancelled_kinds) > 0 THEN
        UPDATE timers SET status = 'cancelled', finished_at = now()
        WHERE lead_key = p_lead AND kind = ANY(p_cancelled_kinds) AND status = 'pending';
    END IF;

    -- The rarer writes: most turns have none.
    IF cardinality(p_event_levels) > 0 THEN
        INSERT INTO system_events (level, kind, lead_key, correlation_id, detail)
        SELECT e.level, e.kind, p_lead, p_correlation, e.detail
        FROM unnest(p_event_levels, p_event_kinds, p_event_details) AS e(level, kind, detail);
    END IF;

    IF cardinality(p_session_ids) > 0 THEN
        INSERT INTO deposit_sessions (session_id, lead_key, attempt, url, expires_at)
        SELECT d.session_id, p_lead, d.attempt, d.url, d.expires_at
        FROM unnest(p_session_ids, p_session_attempts, p_session_urls, p_session_expiry)
            AS d(session_id, attempt, url, expires_at);
    END IF;

    IF p_fired_id IS NOT NULL THEN
        -- Only the firing that came due: a re-armed row (new due time) stays pending.
        UPDATE timers SET status = 'fired', finished_at = now(), lease_until = NULL
        WHERE id = p_fired_id AND status = 'pending' AND due_at = p_fired_due;
    END IF;

    IF cardinality(p_intent_sessions) > 0 THEN
        UPDATE deposit_sessions AS d SET payment_intent = p.payment_intent
        FROM unnest(p_intent_sessions, p_intents) AS p(session_id, payment_intent)
        WHERE d.session_id = p.session_id AND d.lead_key = p_lead;
    END IF;

    RETURN QUERY SELECT 'written'::text, v_version;
END;
$$;
