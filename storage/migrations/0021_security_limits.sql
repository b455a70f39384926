-- Limits that hold under concurrency, and sessions that follow the password.

-- Attempts counted by the limits (wrong passwords, sign-in link requests, wrong admin
-- tokens), per scope and client address. A try is taken by `take_attempt`, one call
-- that decides under a lock per scope (or per address, when the scope has no overall
-- cap): never a count read, then a row written.
CREATE TABLE security_attempts (
    id      bigserial PRIMARY KEY,
    scope   text        NOT NULL,
    address text        NOT NULL,
    at      timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX security_attempts_scope_idx ON security_attempts (scope, at);
CREATE INDEX security_attempts_address_idx ON security_attempts (scope, address, at);

-- Counted read-then-write, per address only: replaced by security_attempts.
DROP TABLE studio_password_failures;

-- Take one try for `p_address` in `p_scope`: its id (0 when `p_counts` is false: a
-- right token, let through uncounted), or NULL with the seconds until the oldest try in
-- the way leaves the window. `p_in_all` NULL: no overall cap. Over the limit the answer
-- is the same whatever `p_counts` says.
-- Each statement of a volatile function sees a fresh snapshot, so the counts taken after
-- the lock include every try committed by whoever held it before.
CREATE FUNCTION take_attempt(
    p_scope text,
    p_address text,
    p_per_address integer,
    p_in_all integer,
    p_window_s double precision,
    p_counts boolean,
    OUT taken bigint,
    OUT retry_after_s integer
) LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    since timestamptz;
    mine bigint;
    everyone bigint;
    oldest timestamptz;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended(
        'security_attempts:' || p_scope
            || CASE WHEN p_in_all IS NULL THEN ':' || p_address ELSE '' END,
        0
    ));
    since := clock_timestamp() - make_interval(secs => p_window_s);
    DELETE FROM security_attempts
    WHERE scope = p_scope AND at < since
        AND (p_in_all IS NOT NULL OR address = p_address);
    SELECT count(*), min(at) INTO mine, oldest FROM security_attempts
    WHERE scope = p_scope AND address = p_address AND at >= since;
    IF mine < p_per_address THEN
        oldest := NULL;
        IF p_in_all IS NOT NULL THEN
            SELECT count(*), min(at) INTO everyone, oldest FROM security_attempts
            WHERE scope = p_scope AND at >= since;
        END IF;
        IF p_in_all IS NULL OR everyone < p_in_all THEN
            taken := 0;
            IF p_counts THEN
                INSERT INTO security_attempts (scope, address) VALUES (p_scope, p_address)
                RETURNING id INTO taken;
            END IF;
            retry_after_s := 0;
            RETURN;
        END IF;
    END IF;
    retry_after_s := greatest(
        1,
        ceil(extract(epoch FROM (coalesce(oldest, clock_timestamp()) - since)))::integer
    );
END
$$;

-- Which STUDIO_PASSWORD the live sessions began under: a salted scrypt digest of it (or
-- of its absence), never the password. A replica that starts with another one ends
-- every session.
CREATE TABLE studio_password_identity (
    id         boolean PRIMARY KEY DEFAULT true CHECK (id),  -- one row at most
    salt       text        NOT NULL,
    digest     text,  -- NULL until a replica first records it
    updated_at timestamptz NOT NULL DEFAULT now()
);
