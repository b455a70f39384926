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
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from fakes.meta import encode, sign, text_message, webhook
from loadtest.replicas import ServiceProcess

__all__ = ["MemoryReport", "Rss", "lead_key", "measure_memory", "read_rss"]

MEASURED_PREFIX = "44790"  # wa_ids f"44790{n:07d}"; the warm-up's are apart from them
WARMUP_PREFIX = "44791"
_PATH = "/webhooks/whatsapp"
_CONNECTION_ERROR = "connection_error"
_TIMED_OUT = "timeout"
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
    passivation_wait_s: float  # from the last answer until settled
    ok: bool  # settled, every request got 200, growth_mb < limit_mb
    limit_mb: float = 100.0
    warmup_leads: int = 0
    settled: bool = True
    status_codes: dict[str, int] = field(default_factory=dict)
    actors_live_max: int = 0  # the highest booking_actors_live seen during the run
    rss_after_samples_mb: tuple[float, ...] = ()

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["rss_after_samples_mb"] = list(self.rss_after_samples_mb)
        return data


@dataclass(frozen=True)
class Rss:
    """Resident set size now, and its high-water mark, in MiB."""

    rss_mb: float
    hwm_mb: float


def read_rss(pid: int) -> Rss:
    """VmRSS and VmHWM of `pid`, from /proc/<pid>/status."""
    values: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0]) / 1024  # the kernel counts in kB
    return Rss(values["VmRSS"], values["VmHWM"])


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
    async with httpx.AsyncClient(timeout=10.0) as client:
        scraper = _Scraper(client, replica)
        progress(f"memory: warm-up, {warmup_leads:,} leads")
        warm = await _send(target, WARMUP_PREFIX, warmup_leads, connections)
        if warm.codes.keys() - {"200"}:
            progress(f"memory: warm-up answers {dict(warm.codes)}")
        warm_settled, _ = await _settle(scraper, settle_timeout_s, progress, progress_every_s)
        before = await _samples(replica, samples, sample_interval_s)
        progress(f"memory: rss before {statistics.median(before):.1f} MB; {leads:,} leads")

        watch = _Watch(replica, scraper, leads, progress, progress_every_s)
        watching = asyncio.create_task(watch.run())
        try:
            load = await _send(target, MEASURED_PREFIX, leads, connections, watch)
        finally:
            watching.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await watching
        settled, waited = await _settle(scraper, settle_timeout_s, progress, progress_every_s)
        after = await _samples(replica, samples, sample_interval_s)
        peak = max(read_rss(replica.pid).hwm_mb, watch.rss_max_mb, *after)

    rss_before, rss_after = statistics.median(before), statistics.median(after)
    growth = rss_after - rss_before
    codes = dict(sorted(load.codes.items()))
    everything_200 = codes == {"200": leads}
    return MemoryReport(
        leads=leads,
        rss_before_mb=round(rss_before, 1),
        rss_peak_mb=round(peak, 1),
        rss_after_mb=round(rss_after, 1),
        growth_mb=round(growth, 1),
        acknowledged_per_s=round(load.codes["200"] / load.wall_s, 1) if load.wall_s else 0.0,
        passivation_wait_s=round(waited, 1),
        ok=warm_settled and settled and everything_200 and growth < limit_mb,
        limit_mb=limit_mb,
        warmup_leads=warmup_leads,
        settled=warm_settled and settled,
        status_codes=codes,
        actors_live_max=watch.actors_max,
        rss_after_samples_mb=tuple(round(s, 1) for s in after),
    )


# -- sending -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Target:
    replica: ServiceProcess
    secret: str
    tag: str  # in every message id, so a second run on one database is not a duplicate

    def wire(self, wa_id: str) -> bytes:
        """One signed webhook carrying the text "hi" from `wa_id`, as bytes on the wire."""
        message = text_message(wa_id, f"wamid.mem{self.tag}.{wa_id}", "hi", int(time.time()))
        body = encode(webhook([message], names={wa_id: "Memory Lead"}))
        head = (
            f"POST {_PATH} HTTP/1.1\r\n"
            f"Host: {urlsplit(self.replica.base_url).netloc}\r\n"
            "Content-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n"
            f"X-Hub-Signature-256: {sign(self.secret, body)}\r\n"
            "\r\n"
        ).encode()
        return head + body


@dataclass
class _Load:
    count: int
    taken: int = 0
    codes: Counter[str] = field(default_factory=Counter)
    wall_s: float = 0.0

    @property
    def answered(self) -> int:
        return self.codes.total()


async def _send(
    target: _Target, prefix: str, count: int, connections: int, watch: _Watch | None = None
) -> _Load:
    """Send one message for each of `count` leads over `connections` connections."""
    load = _Load(count)
    if watch is not None:
        watch.load = load
    started = time.perf_counter()
    async with asyncio.TaskGroup() as workers:
        for _ in range(max(1, min(connections, count))):
            workers.create_task(_worker(target, prefix, load))
    load.wall_s = time.perf_counter() - started
    return load


async def _worker(target: _Target, prefix: str, load: _Load) -> None:
    """One keep-alive connection: the next lead's request, its answer, repeat."""
    host = urlsplit(target.replica.base_url)
    streams: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    try:
        while load.taken < load.count:
            wire = target.wire(lead_key(prefix, load.taken))
            load.taken += 1
            try:
                async with asyncio.timeout(_REQUEST_TIMEOUT_S):
                    if streams is None:
                        streams = await asyncio.open_connection(host.hostname, host.port)
                    streams[1].write(wire)
                    status, close = await _read_response(streams[0])
            except TimeoutError:
                load.codes[_TIMED_OUT] += 1
                close = True
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
                load.codes[_CONNECTION_ERROR] += 1
                close = True
            else:
                load.codes[str(status)] += 1
            if close and streams is not None:
                streams[1].close()
                streams = None
    finally:
        if streams is not None:
            streams[1].close()


async def _read_response(reader: asyncio.StreamReader) -> tuple[int, bool]:
    """Read one response whole; return (status, the server closes the connection)."""
    head = await reader.readuntil(b"\r\n\r\n")
    status = int(head[9:12])
    length, chunked, close = 0, False, False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        name = name.strip().lower()
        if name == b"content-length":
            length = int(value)
        elif name == b"transfer-encoding":
            chunked = b"chunked" in value.lower()
        elif name == b"connection":
            close = b"close" in value.lower()
    if not chunked:
        await reader.readexactly(length)
        return status, close
    while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
        await reader.readexactly(size + 2)
    await reader.readuntil(b"\r\n")
    return status, close


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
            response = await self._client.get(f"{self._replica.base_url}/metrics")
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


async def _settle(
    scraper: _Scraper, timeout_s: float, progress: Callable[[str], None], every_s: float
) -> tuple[bool, float]:
    """Wait until no actor is live and the outbox is empty: (settled, seconds waited)."""
    started = time.monotonic()
    reported = started
    while True:
        live = await scraper.live()
        now = time.monotonic()
        if live is not None and live.database_up and live.actors == live.outbox_pending == 0:
            return True, now - started
        if now - started > timeout_s:
            progress(f"memory: not settled after {timeout_s:.0f}s: {live}")
            return False, now - started
        if now - reported >= every_s and live is not None:
            reported = now
            progress(
                f"memory: settling, {live.actors:,} actors live, "
                f"{live.outbox_pending:,} outbox rows pending"
            )
        await asyncio.sleep(_POLL_S)


async def _samples(replica: ServiceProcess, count: int, interval_s: float) -> list[float]:
    taken = [read_rss(replica.pid).rss_mb]
    for _ in range(max(1, count) - 1):
        await asyncio.sleep(interval_s)
        taken.append(read_rss(replica.pid).rss_mb)
    return taken


class _Watch:
    """During the load: RSS every `_POLL_S`, a progress line (and a scrape) now and then."""

    def __init__(
        self,
        replica: ServiceProcess,
        scraper: _Scraper,
        leads: int,
        progress: Callable[[str], None],
        every_s: float,
    ) -> None:
        self._replica = replica
        self._scraper = scraper
        self._leads = leads
        self._progress = progress
        self._every_s = every_s
        self.load: _Load | None = None
        self.rss_max_mb = 0.0
        self.actors_max = 0

    async def run(self) -> None:
        started = reported = time.monotonic()
        while True:
            await asyncio.sleep(_POLL_S)
            rss = read_rss(self._replica.pid).rss_mb
            self.rss_max_mb = max(self.rss_max_mb, rss)
            now = time.monotonic()
            if now - reported < self._every_s:
                continue
            reported = now
            live = await self._scraper.live()
            if live is not None:
                self.actors_max = max(self.actors_max, live.actors)
            answered = self.load.answered if self.load is not None else 0
            self._progress(
                f"memory: {answered:,}/{self._leads:,} leads answered, "
                f"{answered / (now - started):.0f}/s, rss {rss:.1f} MB, "
                f"actors live {live.actors if live else '?'}"
            )
