-- A turn's lock and first read in one round trip. Inside a VOLATILE PL/pgSQL function
-- each statement takes a fresh snapshot, so the read after the lock sees every commit
-- made before the lock was granted (a single plain statement would not).
CREATE FUNCTION begin_turn(p_lock bigint, p_lead text, p_message text, p_known bigint)
RETURNS TABLE (seen boolean, lead_version bigint, lead_status text, lead_state jsonb)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(p_lock);
    RETURN QUERY
    SELECT EXISTS (SELECT 1 FROM inbox AS i WHERE i.message_id = p_message),
           l.version,
           l.status,
           CASE WHEN l.version IS DISTINCT FROM p_known THEN l.state END
    FROM (SELECT 1) AS one
    LEFT JOIN leads AS l ON l.lead_key = p_lead;
END;
$$;

-- The relay's claim walks pending rows in id order and asks the lane index whether an
-- older row of the same lane is still pending: cheap whatever plan is cached.
CREATE INDEX outbox_pending_id_idx ON outbox (id) WHERE status = 'pending';
