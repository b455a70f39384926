-- The turn as one record: `take_turn(p_turn jsonb)` replaces the 33-parameter function
-- of migrations 0013 and 0014 (its parallel arrays, one per column of each table it
-- writes, grew with every record a turn learned to write; 0014 had to copy the whole
-- body to add one flag). Same checks, same writes, same answers; the body is here once.
--
-- The record is storage's own wire format, built in one place (storage/turns.py,
-- `_record`); its fields are named after the columns they fill:
--
--   lock_key          bigint  the lead's advisory-lock key (storage.locks)
--   lead_key          text
--   expected_version  bigint  0 for a lead never written
--   status            text
--   state             object  the lead's snapshot, as the codec wrote it
--   last_inbound_at   text    ISO 8601 instant, or null
--   message_id        text
--   outcome           text
--   correlation_id    text    or null
--   inbox_payload     object
--   notify            boolean false: the process wakes its own relays (migration 0014)
-- and, each present only when the turn writes any (most turns write none of them):
--   outbox            [{channel, payload, idempotency_key}]
--   answers           [{seq, question_key, value, media_id}]
--   armed_timers      [{kind, due_at}]
--   cancelled_timers  [kind]
--   events            [{level, kind, detail}]
--   deposit_sessions  [{session_id, attempt, url, expires_at}]
--   fired_timer       {id, due_at}
--   payment_intents   [{session_id, payment_intent}]
--
-- As before: an actor that holds the lead's state sends it alone, outside a transaction
-- block, and Postgres commits it as its own transaction (one round trip); a turn that
-- had to read first (`begin_turn`, 0005) sends it inside its transaction, where the lock
-- is already held (advisory locks are re-entrant). Each statement of a VOLATILE
-- PL/pgSQL function takes a fresh snapshot, so the checks after the lock see every
-- commit made before the lock was granted.
--
-- 'seen': the message is in the inbox already; 'stale': the lead is not at
-- expected_version. Both write nothing. Otherwise 'written' and the version made.
DROP FUNCTION take_turn(bigint, text, bigint, text, jsonb, timestamptz, text, text, text, jsonb, text[], jsonb[], text[], integer[], text[], text[], text[], text[], timestamptz[], text[], text[], text[], jsonb[], text[], integer[], text[], timestamptz[], bigint, timestamptz, text[], text[], boolean);

CREATE FUNCTION take_turn(p_turn jsonb)
RETURNS TABLE (result text, new_version bigint)
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_lead text := p_turn->>'lead_key';
    v_expected bigint := (p_turn->>'expected_version')::bigint;
    v_message text := p_turn->>'message_id';
    v_correlation text := p_turn->>'correlation_id';
    v_version bigint;
BEGIN
    IF NOT (p_turn->'notify')::boolean THEN  -- until this turn's transaction ends (0014)
        PERFORM set_config('booking.outbox_wakes', 'in_process', true);
    END IF;
    PERFORM pg_advisory_xact_lock((p_turn->>'lock_key')::bigint);
    IF EXISTS (SELECT 1 FROM inbox AS i WHERE i.message_id = v_message) THEN
        RETURN QUERY SELECT 'seen'::text, NULL::bigint;
        RETURN;
    END IF;
    SELECT l.version INTO v_version FROM leads AS l WHERE l.lead_key = v_lead;
    IF COALESCE(v_version, 0) <> v_expected THEN
        RETURN QUERY SELECT 'stale'::text, NULL::bigint;
        RETURN;
    END IF;

    -- The snapshot, still a compare-and-set on its version.
    v_version := NULL;
    INSERT INTO leads AS l (lead_key, version, status, state, last_inbound_at)
    VALUES (
        v_lead,
        v_expected + 1,
        p_turn->>'status',
        p_turn->'state',
        (p_turn->>'last_inbound_at')::timestamptz
    )
    ON CONFLICT (lead_key) DO UPDATE
        SET version = EXCLUDED.version,
            status = EXCLUDED.status,
            state = EXCLUDED.state,
            last_inbound_at = COALESCE(EXCLUDED.last_inbound_at, l.last_inbound_at),
            updated_at = now()
        WHERE l.version = v_expected
    RETURNING l.version INTO v_version;
    IF v_version IS NULL THEN
        RETURN QUERY SELECT 'stale'::text, NULL::bigint;
        RETURN;
    END IF;

    -- The inbox row carries the version the turn made.
    INSERT INTO inbox (message_id, lead_key, outcome, correlation_id, payload, lead_version)
    VALUES (v_message, v_lead, p_turn->>'outcome', v_correlation, p_turn->'inbox_payload',
            v_version);

    -- Each write below runs only when the record has its rows: a statement costs
    -- Postgres a plan and an execution even for nothing, and the lock is held meanwhile.
    IF p_turn ? 'outbox' THEN
        INSERT INTO outbox (lead_key, channel, payload, idempotency_key, correlation_id)
        SELECT v_lead, o.channel, o.payload, o.idempotency_key, v_correlation
        FROM jsonb_to_recordset(p_turn->'outbox')
            AS o(channel text, payload jsonb, idempotency_key text);
    END IF;

    IF p_turn ? 'answers' THEN
        INSERT INTO answers (lead_key, seq, question_key, value, media_id, message_id)
        SELECT v_lead, a.seq, a.question_key, a.value, a.media_id, v_message
        FROM jsonb_to_recordset(p_turn->'answers')
            AS a(seq integer, question_key text, value text, media_id text);
    END IF;

    -- Re-arming moves the pending timer of that kind in place (one pending per kind).
    IF p_turn ? 'armed_timers' THEN
        INSERT INTO timers (lead_key, kind, due_at)
        SELECT v_lead, t.kind, t.due_at
        FROM jsonb_to_recordset(p_turn->'armed_timers') AS t(kind text, due_at timestamptz)
        ON CONFLICT (lead_key, kind) WHERE status = 'pending'
        DO UPDATE SET due_at = EXCLUDED.due_at, lease_until = NULL;
    END IF;

    IF p_turn ? 'cancelled_timers' THEN
        UPDATE timers SET status = 'cancelled', finished_at = now()
        WHERE lead_key = v_lead
          AND kind IN (SELECT jsonb_array_elements_text(p_turn->'cancelled_timers'))
          AND status = 'pending';
    END IF;

    -- The rarer writes.
    IF p_turn ? 'events' THEN
        INSERT INTO system_events (level, kind, lead_key, correlation_id, detail)
        SELECT e.level, e.kind, v_lead, v_correlation, e.detail
        FROM jsonb_to_recordset(p_turn->'events') AS e(level text, kind text, detail jsonb);
    END IF;

    IF p_turn ? 'deposit_sessions' THEN
        INSERT INTO deposit_sessions (session_id, lead_key, attempt, url, expires_at)
        SELECT d.session_id, v_lead, d.attempt, d.url, d.expires_at
        FROM jsonb_to_recordset(p_turn->'deposit_sessions')
            AS d(session_id text, attempt integer, url text, expires_at timestamptz);
    END IF;

    IF p_turn ? 'fired_timer' THEN
        -- Only the firing that came due: a re-armed row (new due time) stays pending.
        UPDATE timers SET status = 'fired', finished_at = now(), lease_until = NULL
        WHERE id = (p_turn->'fired_timer'->>'id')::bigint
          AND status = 'pending'
          AND due_at = (p_turn->'fired_timer'->>'due_at')::timestamptz;
    END IF;

    IF p_turn ? 'payment_intents' THEN
        UPDATE deposit_sessions AS d SET payment_intent = p.payment_intent
        FROM jsonb_to_recordset(p_turn->'payment_intents')
            AS p(session_id text, payment_intent text)
        WHERE d.session_id = p.session_id AND d.lead_key = v_lead;
    END IF;

    RETURN QUERY SELECT 'written'::text, v_version;
END;
$$;
