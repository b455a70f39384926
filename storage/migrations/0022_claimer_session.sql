-- A claim names the database session that vouches for its claimer (storage/claimer.py):
-- the backend's pid and its start time (pids are reused). While that backend is in
-- pg_stat_activity the claim holds until its lease; once it is gone, the claimer is
-- dead and the row may be claimed again at once. NULL: a claim held by its lease alone
-- (a claimer behind a pooler, which cannot vouch for its own session).
ALTER TABLE outbox
    ADD COLUMN claimer_pid     integer,
    ADD COLUMN claimer_started timestamptz;
