"""
Chaos mode: faults injected while the load runs, each written to a `FaultLog`.

    kill      kill -9 a random replica every `kill_every_s`, then start it again
    pause     SIGSTOP a replica for a few seconds now and then, then SIGCONT; the first
              pause also terminates the paused replica's database backends, so it wakes
              having lost its locks and connections
    backends  pg_terminate_backend on a running replica's connections, once
    postgres  restart the database server, once (when the run knows how)
    graph     the fake Graph API answers 5xx, 429, or accepts and loses the response,
              for a share of calls, while the faults run

The log is what the checks read: a reply sent twice is acceptable only when a fault of
its sender (or of the database) happened between the first copy and the second.

Each kill also notes the replies the replica held claimed at that moment (`Killed`);
`after_kill_delays` measures how long after the kill each went out from another
replica: a dead replica's claims should move within seconds, not a lease later.
"""

from __future__ import annotations

import asyncio
import random
import signal
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from loadtest.cluster import Cluster
from loadtest.replicas import ServiceProcess, ServiceStartError

__all__ = ["Chaos", "ChaosPlan", "Fault", "FaultLog", "Killed", "after_kill_delays"]

ALL_REPLICAS = "*"  # a fault of the database touches every replica
_START_ATTEMPTS = 3
_RECORD_SLACK_S = 5.0  # how long after a send its record may take on a broken connection


@dataclass
class Fault:
    kind: str
    replica: str  # ALL_REPLICAS for the database
    started: float  # time.time()
    ended: float | None = None
    detail: dict[str, object] = field(default_factory=dict)

    def as_json(self) -> dict[str, object]:
        return {
            "kind": self.kind,
            "replica": self.replica,
            "started": round(self.started, 3),
            "ended": None if self.ended is None else round(self.ended, 3),
            **self.detail,
        }


@dataclass
class FaultLog:
    faults: list[Fault] = field(default_factory=list)

    def begin(self, kind: str, replica: str, **detail: object) -> Fault:
        fault = Fault(kind, replica, time.time(), detail=dict(detail))
        self.faults.append(fault)
        return fault

    def explains(self, replica: str, first_at: float, again_at: float) -> bool:
        """Whether a fault of `replica` (or of the database) began between two copies.

        A copy is accepted a moment before its sender can record it; a crash inside that
        moment is the window. Half a second of slack covers the two clocks' reading order.
        """
        return any(
            f.replica in (replica, ALL_REPLICAS)
            and f.kind != "graph"
            and first_at - 0.5 <= f.started <= again_at
            for f in self.faults
        )

    def paused_under_way(self, replica: str, first_at: float, again_at: float) -> bool:
        """Whether `replica` sent the second copy of a reply as a call already under way
        when it was paused (the first copy went out while it slept), and then could not
        record it: it was killed, or its connections cut, within moments of the send."""
        slept = any(
            f.replica == replica
            and f.kind == "pause"
            and f.ended is not None
            and f.started <= first_at <= f.ended <= again_at
            for f in self.faults
        )
        return slept and any(
            f.replica in (replica, ALL_REPLICAS)
            and f.kind in ("kill", "backends", "postgres", "pause")
            and f.detail.get("backends_terminated", f.kind != "pause")
            and again_at - _RECORD_SLACK_S <= max(f.started, f.ended or f.started)
            and f.started <= again_at + _RECORD_SLACK_S
            for f in self.faults
        )

    def count(self, kind: str) -> int:
        return sum(1 for f in self.faults if f.kind == kind)


@dataclass(frozen=True)
class Killed:
    """A kill -9, and the replies (idempotency keys) its replica held claimed then."""

    replica: str
    at: float  # time.time(), just after the signal
    claimed: tuple[str, ...]


def after_kill_delays(
    kills: list[Killed], accepted: list[tuple[str, float]]
) -> tuple[list[float], int]:
    """
    For each reply a killed replica held claimed: seconds from the kill to the first
    copy Meta accepted after it (`accepted`: (idempotency key, time.time()) of every
    copy). Also how many had gone out already before the kill (the dead replica had
    sent them, but not recorded it): the lead did not wait for those.
    """
    copies: dict[str, list[float]] = {}
    for key, at in accepted:
        copies.setdefault(key, []).append(at)
    delays: list[float] = []
    before = 0
    for kill in kills:
        for key in kill.claimed:
            times = sorted(copies.get(key, []))
            if any(at <= kill.at for at in times):
                before += 1
                continue
            if times:
                delays.append(times[0] - kill.at)
    return delays, before


@dataclass(frozen=True)
class ChaosPlan:
    duration_s: float = 60.0
    kill_every_s: float = 5.0
    pause_every_s: float = 11.0
    pause_s: tuple[float, float] = (2.0, 12.0)
    graph_failure_rate: float = 0.05
    restart_postgres: bool = True
    terminate_backends: bool = True


class Chaos:
    """Runs a `ChaosPlan` against a cluster until its duration is over."""

    def __init__(
        self,
        cluster: Cluster,
        plan: ChaosPlan,
        log: FaultLog,
        rng: random.Random,
        say: Callable[[str], None],
    ) -> None:
        self._cluster = cluster
        self._plan = plan
        self._log = log
        self._rng = rng
        self._say = say
        self._busy: set[str] = set()  # replicas being killed, restarted or paused
        self.errors: list[str] = []
        self.kills: list[Killed] = []

    async def run(self) -> None:
        plan = self._plan
        graph = self._cluster.graph_process
        graph_fault = self._log.begin("graph", ALL_REPLICAS, rate=plan.graph_failure_rate)
        await graph.fail_randomly(
            plan.graph_failure_rate,
            "server_error",
            "unavailable",
            "rate_limited",
            "response_lost",
            seed=self._rng.randrange(2**32),
        )
        stop_at = time.monotonic() + plan.duration_s
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(self._every(plan.kill_every_s, stop_at, self._kill_one))
                group.create_task(self._every(plan.pause_every_s, stop_at, self._pause_one))
                if plan.terminate_backends:
                    group.create_task(self._at(0.3 * plan.duration_s, self._terminate_once))
                if plan.restart_postgres:
                    group.create_task(self._at(0.6 * plan.duration_s, self._restart_postgres))
        finally:
            await graph.fail_randomly(0.0)
            graph_fault.ended = time.time()
        # A replica left dead by a failed restart is started again before the checks.
        for replica in self._cluster.replicas:
            if not replica.running:
                await self._start(replica)

    async def _every(self, period_s: float, stop_at: float, action: Callable[[], object]) -> None:
        await asyncio.sleep(period_s * self._rng.uniform(0.5, 1.0))
        while time.monotonic() < stop_at:
            started = time.monotonic()
            await action()  # type: ignore[misc]
            await asyncio.sleep(max(0.0, period_s - (time.monotonic() - started)))

    async def _at(self, delay_s: float, action: Callable[[], object]) -> None:
        await asyncio.sleep(delay_s)
        await action()  # type: ignore[misc]

    def _pick(self) -> ServiceProcess | None:
        free = [r for r in self._cluster.replicas if r.name not in self._busy and r.running]
        return self._rng.choice(free) if free else None

    async def _kill_one(self) -> None:
        replica = self._pick()
        if replica is None:
            return
        self._busy.add(replica.name)
        try:
            claimed = await self._claimed_by(replica)
            fault = self._log.begin("kill", replica.name)
            replica.send_signal(signal.SIGKILL)
            self.kills.append(Killed(replica.name, time.time(), tuple(claimed)))
            await replica.kill()  # reaped
            self._say(f"chaos: kill -9 {replica.name}")
            await self._start(replica)
            fault.ended = time.time()
        finally:
            self._busy.discard(replica.name)

    async def _claimed_by(self, replica: ServiceProcess) -> list[str]:
        try:
            return await self._cluster.claimed_by(replica)
        except Exception:  # the database restarting: this kill is measured without them
            return []

    async def _start(self, replica: ServiceProcess) -> None:
        """Start it again, as a supervisor would: a start that meets the database
        restarting exits, and is tried again."""
        for attempt in range(1, _START_ATTEMPTS + 1):
            try:
                await replica.start()
                return
            except ServiceStartError as error:
                if attempt == _START_ATTEMPTS:
                    self.errors.append(f"{replica.name} did not restart: {error}"[:2000])
                    return
                self._say(f"chaos: {replica.name} failed to start (attempt {attempt}); again")
                await asyncio.sleep(1.0)

    async def _pause_one(self) -> None:
        replica = self._pick()
        if replica is None:
            return
        first = self._log.count("pause") == 0
        self._busy.add(replica.name)
        try:
            seconds = self._rng.uniform(*self._plan.pause_s)
            fault = self._log.begin("pause", replica.name, seconds=round(seconds, 2))
            before = await self._cluster.backend_pids(replica) if first else set()
            replica.pause()
            self._say(f"chaos: SIGSTOP {replica.name} for {seconds:.1f}s")
            try:
                await asyncio.sleep(seconds / 2)
                if first:
                    terminated = await self._cluster.terminate_backends(replica)
                    fault.detail["backends_terminated"] = terminated
                    fault.detail["lost_locks"] = True
                await asyncio.sleep(seconds / 2)
                if first:
                    left = before & await self._cluster.backend_pids(replica)
                    fault.detail["old_backends_left_at_wake"] = len(left)
            finally:
                replica.resume()
                fault.ended = time.time()
        finally:
            self._busy.discard(replica.name)

    async def _terminate_once(self) -> None:
        replica = self._pick()
        if replica is None:
            return
        fault = self._log.begin("backends", replica.name)
        fault.detail["terminated"] = await self._cluster.terminate_backends(replica)
        fault.ended = time.time()
        self._say(f"chaos: pg_terminate_backend x{fault.detail['terminated']} ({replica.name})")

    async def _restart_postgres(self) -> None:
        restart = self._cluster.database.restart
        if restart is None:
            self._log.begin("postgres", ALL_REPLICAS, skipped="no way to restart this server")
            return
        fault = self._log.begin("postgres", ALL_REPLICAS)
        self._say("chaos: restarting Postgres")
        started = time.monotonic()
        await asyncio.to_thread(restart)
        fault.ended = time.time()
        fault.detail["seconds"] = round(time.monotonic() - started, 2)
