-- A claim names the database session that vouches for its claimer (storage/claimer.py):
-- the backend's pid and its start time (pids are reused; the pair is not). While that
-- backend is in pg_stat_activity the claim holds until its lease. Once a claim finds it
-- gone, it notes when (relay_claimers.gone_at), and a moment later (the claimer's grace
-- to come back and re-tie the rows it is still working on) the rows are claimed again,
-- long before the lease. NULL: a claim held by its lease alone (a claimer behind a
-- pooler, which cannot vouch for its own session).
ALTER TABLE outbox
    ADD COLUMN claimer_pid     integer,
    ADD COLUMN claimer_started timestamptz;

-- The sessions that have vouched for claims: a handful per replica start.
CREATE TABLE relay_claimers (
    pid        integer     NOT NULL,
    started    timestamptz NOT NULL,
    gone_at    timestamptz,  -- when a claim first found its backend gone
    PRIMARY KEY (pid, started)
);
