"""
The memory mode of `booking-assistant loadtest`: touch many distinct leads once each,
then read the replica's RSS once every actor has passivated.

    measure_memory   a warm-up on other leads, settle, RSS before; one signed "hi" per
                     lead over N keep-alive connections, RSS sampled meanwhile; settle
                     again (`booking_actors_live` 0, outbox drained), RSS after
    MemoryReport     the figures, and `ok`: settled, every request 200, growth under
                     the limit

"Settled" is read from the replica's own /metrics. RSS comes from /proc/<pid>/status
(VmRSS, VmHWM; Linux only), in MiB. CPython's allocator keeps arenas it cannot release
whole, so RSS after passivation is what the process holds, not what it still uses: the
report gives what the kernel says, a few samples a second apart, and their median.

Requests are built one at a time as a connection becomes free (a 100,000-lead run does
not hold 100,000 signed bodies), sent over raw asyncio streams, and never retried: a
lead touched twice would measure something else.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import statistics
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import httpx

from fakes.meta import encode, sign, text_message, webhook
from loadtest.http import HttpError, LeanClient, Response
from loadtest.replicas import ServiceProcess
from loadtest.rss import rss_mb

__all__ = ["MemoryReport", "lead_key", "measure_memory"]

MEASURED_PREFIX = "44790"  # wa_ids f"44790{n:07d}"; the warm-up's are apart from them
WARMUP_PREFIX = "44791"
_PATH = "/webhooks/whatsapp"
_REQUEST_TIMEOUT_S = 30.0
_POLL_S = 0.25


@dataclass(frozen=True)
class MemoryReport:
    """What one memory run saw; sizes in MiB."""

    leads: int
    rss_before_mb: float  # replica RSS after a warm-up, before the run
    rss_peak_mb: float  # VmHWM at the end (the process' peak since start), or higher sample
    rss_after_mb: float  # every actor passivated and the outbox drained (median sample)
    growth_mb: float  # rss_after - rss_before
    acknowledged_per_s: float
    passivation_wait_s: float  # from the last answer until booking_actors_live was 0
    ok: bool  # settled, every request (warm-up too) got 200, growth_mb < limit_mb
    limit_mb: float = 100.0
    warmup_leads: int = 0
    settled: bool = True  # no actor live and the outbox drained, after each load
    drained_after_s: float = 0.0  # from the last answer until the outbox was empty too
    status_codes: dict[str, int] = field(default_factory=dict)
    warmup_status_codes: dict[str, int] = field(default_factory=dict)
    actors_live_max: int = 0  # the highest booking_actors_live seen during the run
    rss_after_samples_mb: tuple[float, ...] = ()

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["rss_after_samples_mb"] = list(self.rss_after_samples_mb)
        return data


def lead_key(prefix: str, n: int) -> str:
    return f"{prefix}{n:07d}"


async def measure_memory(
    replica: ServiceProcess,
    *,
    leads: int,
    connections: int,
    app_secret: str,
    limit_mb: float = 100.0,
    progress: Callable[[str], None] = lambda line: None,
    warmup_leads: int = 2_000,
    settle_timeout_s: float = 900.0,
    samples: int = 5,
    sample_interval_s: float = 1.0,
    progress_every_s: float = 5.0,
) -> MemoryReport:
    """Touch `leads` distinct leads once each on `replica` and report its RSS growth.

    `replica` is running, on a migrated database, with a fake Graph API that accepts
    everything, so that its outbox drains. Settling waits at most `settle_timeout_s`
    after each load; a replica that does not settle makes the report not `ok`.
    """
    target = _Target(replica, app_secret, secrets.token_hex(4))
    warm, load = _Load(WARMUP_PREFIX, warmup_leads), _Load(MEASURED_PREFIX, leads)
    async with httpx.AsyncClient(timeout=10.0) as client:
        scraper = _Scraper(client, replica)
        progress(f"memory: warm-up, {warmup_leads:,} leads")
        await _send(target, warm, connections)
        warm_settled = await _settle(scraper, settle_timeout_s, progress, progress_every_s)
        before = await _samples(replica, samples, sample_interval_s)
        progress(f"memory: rss before {statistics.median(before):.1f} MB; {leads:,} leads")

        watch = _Watch(replica, scraper, load, progress, progress_every_s)
        watching = asyncio.create_task(watch.run())
        try:
            await _send(target, load, connections)
        finally:
            watching.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watching
        settled = await _settle(scraper, settle_timeout_s, progress, progress_every_s)
        after = await _samples(replica, samples, sample_interval_s)
        peak = max(rss_mb(replica.pid)[1], watch.rss_max_mb, *after)

    rss_before, rss_after = statistics.median(before), statistics.median(after)
    growth = rss_after - rss_before
    everything_200 = warm.codes["200"] == warmup_leads and load.codes["200"] == leads
    return MemoryReport(
        leads=leads,
        rss_before_mb=round(rss_before, 1),
        rss_peak_mb=round(peak, 1),
        rss_after_mb=round(rss_after, 1),
        growth_mb=round(growth, 1),
        acknowledged_per_s=round(load.codes["200"] / load.wall_s, 1) if load.wall_s else 0.0,
        passivation_wait_s=round(settled.passivated_s, 1),
        ok=warm_settled.done and settled.done and everything_200 and growth < limit_mb,
        limit_mb=limit_mb,
        warmup_leads=warmup_leads,
        settled=warm_settled.done and settled.done,
        drained_after_s=round(settled.drained_s, 1),
        status_codes=dict(sorted(load.codes.items())),
        warmup_status_codes=dict(sorted(warm.codes.items())),
        actors_live_max=watch.actors_max,
        rss_after_samples_mb=tuple(round(s, 1) for s in after),
    )


# -- sending -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    replica: ServiceProcess
    secret: str
    tag: str  # in every message id, so a second run on one database is not a duplicate

    def post(self, client: LeanClient, wa_id: str) -> Awaitable[Response]:
        """POST one signed webhook carrying the text "hi" from `wa_id`."""
        message = text_message(wa_id, f"wamid.mem{self.tag}.{wa_id}", "hi", int(time.time()))
        body = encode(webhook([message], names={wa_id: "Memory Lead"}))
        headers = {
            "Content-Type": "application/json",
            "X-Hub-Signature-256": sign(self.secret, body),
        }
        return client.post(f"{self.replica.base_url}{_PATH}", body, headers)


@dataclass
class _Load:
    """One message for each of `count` leads; answers counted by status."""

    prefix: str
    count: int
    taken: int = 0
    codes: Counter[str] = field(default_factory=Counter)
    wall_s: float = 0.0


async def _send(target: _Target, load: _Load, connections: int) -> None:
    """Send all of `load` over `connections` keep-alive connections."""
    client = LeanClient(timeout_s=_REQUEST_TIMEOUT_S)
    started = time.perf_counter()
    try:
        async with asyncio.TaskGroup() as workers:
            for _ in range(max(1, min(connections, load.count))):
                workers.create_task(_worker(target, load, client))
    finally:
        await client.aclose()
    load.wall_s = time.perf_counter() - started


async def _worker(target: _Target, load: _Load, client: LeanClient) -> None:
    """The next lead's request, its answer, repeat (never retried)."""
    while load.taken < load.count:
        wa_id = lead_key(load.prefix, load.taken)
        load.taken += 1
        try:
            response = await target.post(client, wa_id)
        except HttpError as error:
            load.codes[error.reason] += 1
        else:
            load.codes[str(response.status)] += 1


# -- watching the replica --------------------------------------------------------------------


@dataclass(frozen=True)
class _Live:
    actors: int
    outbox_pending: int
    database_up: bool


class _Scraper:
    """Reads the gauges that say whether the replica has settled, from its /metrics."""

    def __init__(self, client: httpx.AsyncClient, replica: ServiceProcess) -> None:
        self._client = client
        self._replica = replica

    async def live(self) -> _Live | None:
        """The gauges now; None when the scrape failed (the replica is busy or gone)."""
        if not self._replica.running:
            raise RuntimeError(
                f"{self._replica.name} exited ({self._replica.returncode}):\n"
                f"{self._replica.log_tail()}"
            )
        try:
            token = self._replica.env.get("ADMIN_TOKEN", "")
            response = await self._client.get(
                f"{self._replica.base_url}/metrics", headers={"Authorization": f"Bearer {token}"}
            )
        except httpx.TransportError:
            return None
        if response.status_code != 200:
            return None
        actors, pending, up = 0.0, 0.0, 0.0
        for line in response.text.splitlines():
            if line.startswith("#") or not line.strip():
                continue
            series, _, value = line.rpartition(" ")
            name = series.partition("{")[0]
            if name == "booking_actors_live":
                actors = float(value)
            elif name == "booking_outbox_pending":
                pending += float(value)
            elif name == "booking_metrics_database_up":
                up = float(value)
        return _Live(int(actors), int(pending), up == 1.0)


@dataclass(frozen=True)
class _Settled:
    done: bool
    passivated_s: float  # until no actor was live
    drained_s: float  # until, besides, the outbox was empty


async def _settle(
    scraper: _Scraper, timeout_s: float, progress: Callable[[str], None], every_s: float
) -> _Settled:
    """Wait (at most `timeout_s`) until no actor is live and the outbox is empty."""
    started = reported = time.monotonic()
    passivated: float | None = None  # seconds until no actor was live (first seen)
    while True:
        live = await scraper.live()
        waited = time.monotonic() - started
        if live is not None and live.actors == 0 and passivated is None:
            passivated = waited
        done = live is not None and live.database_up and live.actors == live.outbox_pending == 0
        if done or waited > timeout_s:
            if not done:
                progress(f"memory: not settled after {timeout_s:.0f}s: {live}")
            return _Settled(done, waited if passivated is None else passivated, waited)
        now = started + waited
        if now - reported >= every_s and live is not None:
            reported = now
            progress(
                f"memory: settling, {live.actors:,} actors live, "
                f"{live.outbox_pending:,} outbox rows pending"
            )
        await asyncio.sleep(_POLL_S)


async def _samples(replica: ServiceProcess, count: int, interval_s: float) -> list[float]:
    taken = [rss_mb(replica.pid)[0]]
    for _ in range(max(1, count) - 1):
        await asyncio.sleep(interval_s)
        taken.append(rss_mb(replica.pid)[0])
    return taken


class _Watch:
    """During the load: RSS every `_POLL_S`, a progress line (and a scrape) now and then."""

    def __init__(
        self,
        replica: ServiceProcess,
        scraper: _Scraper,
        load: _Load,
        progress: Callable[[str], None],
        every_s: float,
    ) -> None:
        self._replica = replica
        self._scraper = scraper
        self._load = load
        self._progress = progress
        self._every_s = every_s
        self.rss_max_mb = 0.0
        self.actors_max = 0

    async def run(self) -> None:
        started = reported = time.monotonic()
        while True:
            await asyncio.sleep(_POLL_S)
            rss, _ = rss_mb(self._replica.pid)
            self.rss_max_mb = max(self.rss_max_mb, rss)
            now = time.monotonic()
            if now - reported < self._every_s:
                continue
            reported = now
            live = await self._scraper.live()
            if live is not None:
                self.actors_max = max(self.actors_max, live.actors)
            answered = self._load.codes.total()
            self._progress(
                f"memory: {answered:,}/{self._load.count:,} leads answered, "
                f"{answered / (now - started):.0f}/s, rss {rss:.1f} MB, "
                f"actors live {live.actors if live else '?'}"
            )
