"""
The session that vouches for a relay's claims: while it lives, so does its claimer.

A claim held only by its lease makes a reply wait `RELAY_LEASE_S` when its claimer
dies. So each process keeps one connection of its own, outside the pool, whose backend
stands for the process: a claim records that backend's pid and start time (pids are
reused; the pair is not), and another replica may take a row over when that backend
is no longer in `pg_stat_activity` (`storage.outbox`: a claim that finds it gone notes
when, and the rows move `grace_s` later). A process that is killed closes its sockets,
and Postgres ends the backend as soon as it reads the close; a process that is merely
paused (SIGSTOP, a long GC) keeps its socket open, its backend stays, and its claims
hold until their lease, as before.

A live process can lose its session too (a network blip, `pg_terminate_backend`, a
restart of Postgres). It connects again at once and re-ties to the new session the rows
it is still working on (`track`), each only if no other claim has taken it (the
attempt number is unchanged): within the grace, nobody has. A row it could not re-tie
is no longer its own, and it sends nothing for it.

Why a backend and not a heartbeat row: a heartbeat stops when the process is paused as
well as when it is dead, and a paused claimer's row must never be sent twice. Why not
the pooled connection that ran the claim: a pooled connection outlives nothing in
particular, and behind PgBouncer (transaction mode) it is not even ours.

The connection vouches only when it is Postgres's own session: the backend pid that
Postgres told us at startup (asyncpg's `get_server_pid`) must be the pid that answers
`pg_backend_pid()`, at the start and on every heartbeat. Behind PgBouncer that pid is
PgBouncer's own cancel key, so the check fails and claims fall back to the lease (give
`DATABASE_LISTEN_URL` straight to Postgres to keep the faster takeover). A TCP proxy
that keeps one server connection per client passes, and is fine: it closes the one when
the other closes.

The other side of "a live claimer's row is never sent twice": the process must stop
using a claim once its backend may be gone. The connection's loss is heard at once
(asyncpg's termination listener); a connection cut off silently is caught by the
heartbeat: a claim is vouched for only while the last heartbeat that came back began
less than `fresh_s` ago, and the backend is told (TCP keepalives and
`tcp_user_timeout`, below) to give up on a silent client only after longer than that,
so this process stops sending before another may start. A process that was paused
longer than `fresh_s` checks its session again before it sends (`vouches`).

The sessions are registered in `relay_claimers` (migration 0022), which is where a
claim notes that one is gone.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Callable
from contextlib import suppress
from urllib.parse import parse_qs, urlsplit

import asyncpg
import structlog

from storage.database import CONNECTION_ERRORS, SCOPE
from storage.hosts import connect
from storage.outbox import ClaimedDelivery, ClaimerIdentity
from storage.studios import DEFAULT_STUDIO_ID

__all__ = ["APPLICATION_NAME", "ClaimerIdentity", "ClaimerSession"]

APPLICATION_NAME = "booking-assistant claims"  # how operators (and tests) find it

log = structlog.get_logger("storage.claimer")

# The backend ends a silent client's session after about 5 s (idle 2 s, then 3
# probes 1 s apart; unanswered writes give up after 5 s): longer than `fresh_s`, so
# the claimer has stopped trusting its claims before anyone else may take them over.
# Ignored on a Unix socket, where a dead peer is always seen at once.
_KEEPALIVES = """
SET tcp_keepalives_idle = 2; SET tcp_keepalives_interval = 1;
SET tcp_keepalives_count = 3; SET tcp_user_timeout = 5000
"""


def _application_name(dsn: str) -> dict[str, str]:
    """Ours, unless the DSN (or PGAPPNAME) names the replica: then the replica's, so
    that whoever looks for the replica's sessions finds this one too."""
    named = "application_name" in parse_qs(urlsplit(dsn).query) or "PGAPPNAME" in os.environ
    return {} if named else {"application_name": APPLICATION_NAME}


_IDENTITY = """
SELECT pid, backend_start FROM pg_stat_get_activity(pg_backend_pid())
"""

# Register this session (and forget sessions gone for a day: no lease lasts that long).
_REGISTER = """
WITH old AS (DELETE FROM relay_claimers WHERE gone_at < now() - interval '1 day')
INSERT INTO relay_claimers (pid, started) VALUES ($1, $2) ON CONFLICT DO NOTHING
"""

# Re-tie the rows this process still works on to its new session: each only if no other
# claim has taken it since (its attempt number is still ours).
_RETIE = """
UPDATE outbox AS o SET claimer_pid = $1, claimer_started = $2
FROM unnest($3::bigint[], $4::integer[]) AS w(id, attempt)
WHERE o.id = w.id AND o.attempts = w.attempt AND o.status = 'pending'
RETURNING o.id
"""


class ClaimerSession:
    """One connection per process whose backend stands for the process's claims."""

    def __init__(
        self,
        dsn: str,
        *,
        heartbeat_s: float = 1.0,
        fresh_s: float = 3.0,
        connect_timeout_s: float = 5.0,
        backoff_base_s: float = 0.1,
        backoff_cap_s: float = 1.0,  # well within the grace other replicas give us
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._dsn = dsn
        self._heartbeat_s = heartbeat_s
        self._fresh_s = fresh_s
        self._connect_timeout_s = connect_timeout_s
        self._backoff_base_s = backoff_base_s
        self._backoff_cap_s = backoff_cap_s
        self._monotonic = monotonic
        self._stopping = asyncio.Event()
        self._con: asyncpg.Connection | None = None
        self._identity: ClaimerIdentity | None = None
        self._confirmed_at = float("-inf")  # when the last heartbeat that came back began
        # The claims this process works on: row id -> (attempt, the session it is tied to).
        self._working: dict[int, tuple[int, ClaimerIdentity]] = {}
        self._studios: dict[int, int] = {}  # each worked-on row's studio
        self._changed = asyncio.Event()  # set whenever the session is (re)established
        self._beating = asyncio.Lock()  # one query at a time on the connection
        self.connections = 0  # how many sessions it has vouched with
        self._pooler = False  # the connection is a pooler's: claims go by the lease
        self._down_since: float | None = monotonic()  # no session since

    @property
    def ready(self) -> bool:
        """Whether to claim now: with a session, or by the lease alone if a pooler is in
        the way or the session has been down for `fresh_s` (else a claim made in the
        moment of a reconnection would hold by its lease alone: the relay waits)."""
        down = self._down_since
        return (
            self._identity is not None
            or self._pooler
            or (down is not None and self._monotonic() - down >= self._fresh_s)
        )

    @property
    def identity(self) -> ClaimerIdentity | None:
        """The session to record on a claim now (the claim itself checks that the server
        still sees it alive); None: claim by the lease alone."""
        return self._identity

    def track(self, claim: ClaimedDelivery) -> None:
        """This process works on `claim` until `untrack`: re-tie it if the session is lost."""
        if claim.claimer is not None:
            self._working[claim.id] = (claim.attempt, claim.claimer)
            self._studios[claim.id] = claim.studio_id

    def untrack(self, claim: ClaimedDelivery) -> None:
        self._working.pop(claim.id, None)
        self._studios.pop(claim.id, None)

    def holds(self, claim: ClaimedDelivery) -> bool:
        """Whether `claim` may still be used: tied to our live session (or to none, and
        held by its lease alone)."""
        if claim.claimer is None:
            return True
        working = self._working.get(claim.id)
        return working is not None and working == (claim.attempt, self._identity) and self._fresh()

    async def vouches(self, claim: ClaimedDelivery) -> bool:
        """`holds`, once the session has answered again if it is old (we were paused)
        or being connected again (we lost it): up to `fresh_s`."""
        if self.holds(claim):
            return True
        if claim.claimer is None or claim.id not in self._working:
            return False
        if self._con is not None:
            await self._beat()
        else:
            self._changed.clear()
            with suppress(TimeoutError):
                async with asyncio.timeout(self._fresh_s):
                    await self._changed.wait()
        return self.holds(claim)

    def stop(self) -> None:
        self._stopping.set()

    async def run(self) -> None:
        """Keep a vouching session until `stop()`; never raises for a lost connection."""
        delay = self._backoff_base_s
        while not self._stopping.is_set():
            try:
                await self._hold()
                delay = self._backoff_base_s
            except (*CONNECTION_ERRORS, asyncpg.PostgresError) as error:
                log.warning(
                    "claimer.connection_lost",
                    error=type(error).__name__,
                    retry_in_s=round(delay, 3),
                )
                if await self._stopped_within(delay):
                    return
                delay = min(delay * 2, self._backoff_cap_s)

    async def _hold(self) -> None:
        con = await connect(  # each of a multi-host DSN's hosts in turn: the primary's
            self._dsn,
            timeout=self._connect_timeout_s,
            statement_cache_size=0,
            # Only what PgBouncer also takes at startup; the keepalives once it is ours.
            server_settings=_application_name(self._dsn),
        )
        lost = asyncio.Event()
        con.add_termination_listener(lambda closed: self._lost(closed, lost))
        try:
            row = await con.fetchrow(_IDENTITY, timeout=self._connect_timeout_s)
            if row is None or row["pid"] != con.get_server_pid():
                # A pooler's session, not Postgres's: it cannot vouch for us. Claims go
                # by the lease; keep the connection so that this is said once.
                log.warning("claimer.not_own_session", fallback="lease")
                self._pooler = True
                await self._stopped_within(float("inf"), lost)
            else:
                await con.execute(_KEEPALIVES, timeout=self._connect_timeout_s)
                await self._vouch(con, ClaimerIdentity(row["pid"], row["backend_start"]), lost)
            if lost.is_set():
                raise ConnectionResetError("the claims' session closed")
        finally:
            self._forget(con)
            if not con.is_closed():
                con.terminate()

    async def _vouch(
        self, con: asyncpg.Connection, identity: ClaimerIdentity, lost: asyncio.Event
    ) -> None:
        """Stand for this process's claims with `identity` until stopped or lost."""
        if not lost.is_set():
            await con.execute(
                _REGISTER, identity.pid, identity.started, timeout=self._connect_timeout_s
            )
            await self._retie(con, identity)
            self._con = con
            self._identity = identity
            self._confirmed_at = self._monotonic()
            self._changed.set()
            self._down_since, self._pooler = None, False
            self.connections += 1
            log.info("claimer.vouching", connections=self.connections)
        while not (self._stopping.is_set() or lost.is_set()):
            await self._stopped_within(self._heartbeat_s, lost)
            if not (self._stopping.is_set() or lost.is_set()):
                await self._beat()

    async def _retie(self, con: asyncpg.Connection, identity: ClaimerIdentity) -> None:
        """Move the rows still being worked on to `identity`; drop the others' ties."""
        working = dict(self._working)
        if not working:
            return
        kept: set[int] = set()
        by_studio: dict[int, list[int]] = {}
        for row in working:
            by_studio.setdefault(self._studios.get(row, DEFAULT_STUDIO_ID), []).append(row)
        for studio_id, ids in by_studio.items():  # each under its studio's policies
            async with con.transaction():
                await con.execute(SCOPE, str(studio_id), timeout=self._connect_timeout_s)
                retied = await con.fetch(
                    _RETIE,
                    identity.pid,
                    identity.started,
                    ids,
                    [working[row][0] for row in ids],
                    timeout=self._connect_timeout_s,
                )
            kept.update(row["id"] for row in retied)
        for row, (attempt, _old) in working.items():
            if self._working.get(row) == working[row]:
                if row in kept:
                    self._working[row] = (attempt, identity)
                else:
                    del self._working[row]  # taken over: not ours to send
        log.info("claimer.retied", kept=len(kept), lost=len(working) - len(kept))

    async def _beat(self) -> None:
        """One heartbeat: the session is still the backend it was, and it answers."""
        con, identity = self._con, self._identity
        if con is None or identity is None:
            return
        async with self._beating:
            began = self._monotonic()
            try:
                pid = await con.fetchval("SELECT pg_backend_pid()", timeout=self._fresh_s)
            except (*CONNECTION_ERRORS, asyncpg.PostgresError):
                self._forget(con)
                if not con.is_closed():
                    con.terminate()  # `_hold` hears it and connects again
                return
        if pid != identity.pid:
            log.warning("claimer.session_changed", fallback="lease")
            self._forget(con)
            con.terminate()
            return
        if self._identity == identity:
            self._confirmed_at = max(self._confirmed_at, began)

    def _lost(self, con: asyncpg.Connection, lost: asyncio.Event) -> None:
        """The connection closed: no claim made under it is ours to use any more."""
        self._forget(con)
        lost.set()

    def _forget(self, con: asyncpg.Connection) -> None:
        if self._con is con:
            self._con, self._identity = None, None
            self._down_since = self._monotonic()

    def _fresh(self) -> bool:
        return self._monotonic() - self._confirmed_at < self._fresh_s

    async def _stopped_within(self, seconds: float, also: asyncio.Event | None = None) -> bool:
        """Wait up to `seconds` for `stop()` (or `also`); True if it was `stop()`."""
        waits = [asyncio.ensure_future(self._stopping.wait())]
        if also is not None:
            waits.append(asyncio.ensure_future(also.wait()))
        try:
            timeout = None if seconds == float("inf") else seconds
            await asyncio.wait(waits, timeout=timeout, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for each in waits:
                each.cancel()
        return self._stopping.is_set()
