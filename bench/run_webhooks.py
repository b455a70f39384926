"""
Webhook throughput of one service replica, end to end, on this machine.

    .venv/bin/python -m bench.run_webhooks --scenario a16|a64|b64|all
        [--source DIR] [--output FILE] [--profile DIR]

Per scenario, so that runs do not share state: a fresh database on DATABASE_URL's
server, a fake Graph API in its own process (its threads would otherwise take the GIL
from the load generator), and one `booking-assistant serve` process. A warm-up of 200
requests on other leads runs first; then the measured load; then we wait for the
outbox to drain so outbound delivery is measured too. Everything started is stopped
in `finally` blocks, and both the load and the waits are bounded in time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx

from bench.loadgen import build_requests, lead_keys, run_load, summarise

__all__ = ["SCENARIOS", "Scenario", "main"]

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
APP_SECRET = "bench-app-secret"
VERIFY_TOKEN = "bench-verify-token"
DEFAULT_SERVER_DSN = "postgresql://postgres@127.0.0.1:5432/postgres"
MEASURED_PREFIX = "4477001"  # wa_id prefixes keep warm-up rows apart from measured ones
WARMUP_PREFIX = "4477009"


@dataclass(frozen=True)
class Scenario:
    """`leads` x `messages_per_lead` requests over `connections` keep-alive connections."""

    name: str
    leads: int
    messages_per_lead: int
    connections: int
    warmup_leads: int
    warmup_messages_per_lead: int


SCENARIOS: dict[str, Scenario] = {
    "a16": Scenario("a16", 1000, 5, 16, 40, 5),
    "a64": Scenario("a64", 1000, 5, 64, 40, 5),
    "b64": Scenario("b64", 10, 500, 64, 10, 20),
}


# -- processes -------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


def _stop(process: subprocess.Popen[Any], timeout_s: float) -> None:
    """SIGTERM, wait, and only then SIGKILL: the service drains on SIGTERM."""
    if process.poll() is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(5)


@dataclass
class FakeGraph:
    process: subprocess.Popen[str]
    base_url: str


@contextmanager
def fake_graph() -> Iterator[FakeGraph]:
    """The fake Graph API in a child process (see `serve_fake_graph`)."""
    process = subprocess.Popen(
        [sys.executable, "-m", "bench.run_webhooks", "--serve-fake-graph"],
        cwd=ROOT,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        base_url = process.stdout.readline().strip()
        if not base_url.startswith("http://"):
            raise RuntimeError(f"fake Graph API did not start: {base_url!r}")
        yield FakeGraph(process, base_url)
    finally:
        _stop(process, 5)


def serve_fake_graph() -> int:
    """Child mode: serve until stdin closes, then print what was received as JSON.

    Two socket settings of the stdlib server are changed here, in this process only:
    with Nagle on, its header and body writes meet the client's delayed ACK and every
    call takes ~40 ms; with a listen backlog of 5, the relay's burst of 32 connections
    gets resets. Either would measure the fake instead of the service.
    """
    import http.server
    import socketserver

    from fakes.graph import FakeGraphApi

    socketserver.StreamRequestHandler.disable_nagle_algorithm = True
    http.server.ThreadingHTTPServer.request_queue_size = 256
    api = FakeGraphApi()
    server = api.serve()
    try:
        print(server.base_url, flush=True)
        sys.stdin.read()
    finally:
        server.close()
    print(json.dumps({"sent": len(api.sent), "requests": api.requests}), flush=True)
    return 0


def _fake_graph_counts(graph: FakeGraph) -> dict[str, int]:
    assert graph.process.stdin is not None
    assert graph.process.stdout is not None
    graph.process.stdin.close()
    line = graph.process.stdout.readline()
    graph.process.wait(10)
    counts: dict[str, int] = json.loads(line)
    return counts


@asynccontextmanager
async def service(
    source: Path, dsn: str, graph_url: str, log: IO[bytes], extra_env: dict[str, str] | None = None
) -> AsyncIterator[tuple[int, int]]:
    """One `booking-assistant serve` process; yields (pid, port) once /readyz is 200.

    The code is imported from `source` (PYTHONPATH wins over the editable install), so
    a tree exported with `git archive` can be measured while the work tree changes.
    """
    port = _free_port()
    env = {
        **os.environ,
        "PYTHONPATH": str(source),
        "DATABASE_URL": dsn,
        "WHATSAPP_APP_SECRET": APP_SECRET,
        "WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
        "WHATSAPP_ACCESS_TOKEN": "test-access-token",  # FakeGraphApi's defaults
        "WHATSAPP_PHONE_NUMBER_ID": "100200300",
        "WHATSAPP_API_BASE": graph_url,
        "LOG_LEVEL": "warning",
        # Per-recipient pacing (1 s by default) would cap each lead's replies at one a
        # second; the benchmark measures intake and delivery, not WhatsApp's pacing.
        "WHATSAPP_RECIPIENT_INTERVAL_S": "0",
        "LOG_FORMAT": "json",
        **(extra_env or {}),
    }
    env.pop("PORT", None)
    process = await asyncio.create_subprocess_exec(
        *(str(VENV_BIN / "booking-assistant"), "serve", "--host", HOST, "--port", str(port)),
        cwd=source,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        try:
            await _wait_ready(process, port)
        except (RuntimeError, TimeoutError):
            log.seek(0)
            sys.stderr.write(log.read().decode(errors="replace")[-4000:])
            raise
        yield process.pid, port
    finally:
        await _stop_service(process, 45)  # drain_timeout_s (20) + the relay's last sends


async def _stop_service(process: asyncio.subprocess.Process, timeout_s: float) -> None:
    """SIGTERM and wait for the drain; SIGKILL only if it does not finish in time."""
    if process.returncode is not None:
        return
    process.send_signal(signal.SIGTERM)
    try:
        await asyncio.wait_for(process.wait(), timeout_s)
    except TimeoutError:
        process.kill()
        await process.wait()


async def _wait_ready(
    process: asyncio.subprocess.Process, port: int, timeout_s: float = 60
) -> None:
    """Poll /readyz: the service has migrated and can reach its database."""
    deadline = time.monotonic() + timeout_s
    async with httpx.AsyncClient(base_url=f"http://{HOST}:{port}", timeout=2.0) as client:
        while time.monotonic() < deadline:
            if process.returncode is not None:
                raise RuntimeError(f"service exited with {process.returncode} before ready")
            with suppress(httpx.TransportError):
                if (await client.get("/readyz")).status_code == 200:
                    return
            await asyncio.sleep(0.1)
    raise TimeoutError(f"service not ready within {timeout_s}s")


# -- database ----------------------------------------------------------------------------


def _with_database(dsn: str, name: str) -> str:
    """`dsn` pointed at database `name` (keeps host, socket query and credentials)."""
    parts = urlsplit(dsn)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


@asynccontextmanager
async def fresh_database(server_dsn: str) -> AsyncIterator[str]:
    """CREATE DATABASE bench_<random> on the server; DROP it (forcibly) afterwards."""
    name = f"bench_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield _with_database(server_dsn, name)
    finally:
        admin = await asyncpg.connect(server_dsn)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


async def wait_outbox_drained(con: asyncpg.Connection, prefix: str, timeout_s: float) -> bool:
    """Poll until no outbox row of these leads is pending; False if time ran out."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        pending = await con.fetchval(
            "SELECT count(*) FROM outbox WHERE status = 'pending' AND lead_key LIKE $1",
            prefix + "%",
        )
        if pending == 0:
            return True
        await asyncio.sleep(0.05)
    return False


async def outbox_figures(
    con: asyncpg.Connection, prefix: str, load_started: float, load_ended: float
) -> dict[str, Any]:
    """Outbound deliveries of the measured leads, timed by the rows' own timestamps."""
    by_status = {
        row["status"]: row["n"]
        for row in await con.fetch(
            "SELECT status, count(*) AS n FROM outbox WHERE lead_key LIKE $1 GROUP BY status",
            prefix + "%",
        )
    }
    last_finished = await con.fetchval(
        "SELECT extract(epoch FROM max(finished_at)) FROM outbox WHERE lead_key LIKE $1",
        prefix + "%",
    )
    inbox = await con.fetchval("SELECT count(*) FROM inbox WHERE lead_key LIKE $1", prefix + "%")
    attempts = {
        f"{row['outcome']}:{row['error_code'] or '-'}": row["n"]
        for row in await con.fetch(
            """
            SELECT d.outcome, d.error_code, count(*) AS n
            FROM delivery_attempts AS d JOIN outbox AS o ON o.id = d.outbox_id
            WHERE o.lead_key LIKE $1 GROUP BY 1, 2 ORDER BY 1, 2
            """,
            prefix + "%",
        )
    }
    latency = await con.fetchrow(
        """
        SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY s) AS p50,
               percentile_cont(0.99) WITHIN GROUP (ORDER BY s) AS p99,
               max(s) AS max
        FROM (
            SELECT extract(epoch FROM d.at - o.created_at) AS s
            FROM delivery_attempts AS d JOIN outbox AS o ON o.id = d.outbox_id
            WHERE o.lead_key LIKE $1 AND d.outcome = 'sent'
        ) AS sent
        """,
        prefix + "%",
    )
    last = float(last_finished) if last_finished is not None else load_ended
    span = max(last - load_started, 1e-9)
    sent = by_status.get("sent", 0)
    return {
        "rows": sum(by_status.values()),
        "by_status": dict(sorted(by_status.items())),
        "inbox_rows": inbox,
        "delivery_attempts": attempts,
        "drained_after_load_s": round(max(last - load_ended, 0.0), 2),
        "sent_per_s": round(sent / span, 1),  # from load start to the last delivery
        # From the turn's transaction (the row's created_at) to the provider's acceptance
        # being recorded: an upper bound on commit-to-delivery.
        "commit_to_delivery_ms": {
            key: round(float(latency[key]) * 1000, 1) if latency[key] is not None else None
            for key in ("p50", "p99", "max")
        },
    }


# -- CPU accounting -------------------------------------------------------------------------
# Where the two cores went during the measured load: the service, our Postgres cluster
# (postmaster and its children), the fake, the load generator, and whatever else ran on
# the machine meanwhile ("other": a busy neighbour makes the figures worse, not better).

_TICK = os.sysconf("SC_CLK_TCK")


def _stat(pid: int) -> list[str] | None:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None


def _process_cpu(pid: int) -> float:
    fields = _stat(pid)
    return (int(fields[11]) + int(fields[12])) / _TICK if fields else 0.0  # utime + stime


def parent_pid(pid: int) -> int:
    fields = _stat(pid)
    return int(fields[1]) if fields else 0


def _cluster_cpu(postmaster: int) -> dict[int, float]:
    """CPU seconds of the postmaster and every process it forked."""
    found = {postmaster: _process_cpu(postmaster)}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and parent_pid(int(entry.name)) == postmaster:
            found[int(entry.name)] = _process_cpu(int(entry.name))
    return found


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot."""
    values = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values) - idle) / _TICK, sum(values) / _TICK


async def wait_for_quiet(max_wait_s: float, threshold_cores: float = 0.25) -> float:
    """Wait (bounded) for a second in which the machine is nearly idle; return that load.

    The service, Postgres and the load generator share two cores with anything else
    running here (a test suite, say); starting while a neighbour is busy skews the run.
    """
    deadline = time.monotonic() + max_wait_s
    while True:
        busy_before, total_before = machine_cpu()
        await asyncio.sleep(1.0)
        busy_after, total_after = machine_cpu()
        wall = (total_after - total_before) / (os.cpu_count() or 1)
        load = (busy_after - busy_before) / wall if wall > 0 else 0.0
        if load < threshold_cores or time.monotonic() >= deadline:
            return round(load, 2)


@dataclass
class CpuSnapshot:
    service: float
    fake_graph: float
    loadgen: float
    postgres: dict[int, float]
    machine_busy: float

    @classmethod
    def take(cls, service_pid: int, graph_pid: int, postmaster_pid: int) -> CpuSnapshot:
        return cls(
            _process_cpu(service_pid),
            _process_cpu(graph_pid),
            time.process_time(),
            _cluster_cpu(postmaster_pid),
            machine_cpu()[0],
        )

    def since(self, earlier: CpuSnapshot, wall_s: float) -> dict[str, float]:
        used = {
            "service": self.service - earlier.service,
            "postgres": sum(v - earlier.postgres.get(pid, 0.0) for pid, v in self.postgres.items()),
            "loadgen": self.loadgen - earlier.loadgen,
            "fake_graph": self.fake_graph - earlier.fake_graph,
        }
        busy = self.machine_busy - earlier.machine_busy
        used["other"] = max(busy - sum(used.values()), 0.0)
        cores = {f"{name}_cores": round(seconds / wall_s, 2) for name, seconds in used.items()}
        return {**cores, "machine_busy_cores": round(busy / wall_s, 2)}


# -- one scenario ----------------------------------------------------------------------------


@contextmanager
def py_spy(pid: int, output: Path | None) -> Iterator[None]:
    """Sample the service with py-spy while the measured load runs (when asked)."""
    if output is None:
        yield
        return
    spy = subprocess.Popen(
        [
            *(str(VENV_BIN / "py-spy"), "record", "--pid", str(pid), "--format", "raw"),
            *("--rate", "100", "--output", str(output), "--nonblocking"),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        yield
    finally:
        if spy.poll() is None:
            spy.send_signal(signal.SIGINT)  # py-spy writes its output on SIGINT
            try:
                spy.wait(30)
            except subprocess.TimeoutExpired:
                spy.kill()
                spy.wait(5)


async def run_scenario(
    scenario: Scenario,
    server_dsn: str,
    source: Path,
    deadline_s: float,
    profile_dir: Path | None,
    quiet_wait_s: float,
    rate_per_s: float | None = None,
) -> dict[str, Any]:
    extra_env = {"WHATSAPP_RATE_PER_S": str(rate_per_s)} if rate_per_s else {}
    async with fresh_database(server_dsn) as dsn:
        with (
            fake_graph() as graph,
            tempfile.NamedTemporaryFile(prefix=f"bench-{scenario.name}-", suffix=".log") as log,
        ):
            async with service(source, dsn, graph.base_url, log, extra_env) as (pid, port):
                figures = await _drive(
                    scenario, dsn, pid, port, graph, deadline_s, profile_dir, quiet_wait_s
                )
            figures["fake_graph"] = _fake_graph_counts(graph)
            log.seek(0)
            lines = log.read().decode(errors="replace").splitlines()
            figures["service_log_lines"] = len(lines)
            figures["service_log_tail"] = lines[-5:]
    return figures


async def _drive(
    scenario: Scenario,
    dsn: str,
    pid: int,
    port: int,
    graph: FakeGraph,
    deadline_s: float,
    profile_dir: Path | None,
    quiet_wait_s: float,
) -> dict[str, Any]:
    host = f"{HOST}:{port}"
    warmup = build_requests(
        host=host,
        secret=APP_SECRET,
        leads=lead_keys(WARMUP_PREFIX, scenario.warmup_leads),
        messages_per_lead=scenario.warmup_messages_per_lead,
        run_tag="warmup",
    )
    measured = build_requests(
        host=host,
        secret=APP_SECRET,
        leads=lead_keys(MEASURED_PREFIX, scenario.leads),
        messages_per_lead=scenario.messages_per_lead,
        run_tag="measured",
    )
    con = await asyncpg.connect(dsn)
    try:
        warm = summarise(
            await run_load(
                host=HOST,
                port=port,
                requests=warmup,
                connections=scenario.connections,
                deadline_s=deadline_s,
            )
        )
        if not await wait_outbox_drained(con, WARMUP_PREFIX, 120):
            raise RuntimeError("warm-up outbox did not drain")
        profile = profile_dir / f"{scenario.name}.txt" if profile_dir else None
        postmaster = parent_pid(await con.fetchval("SELECT pg_backend_pid()"))
        background = await wait_for_quiet(quiet_wait_s)
        before = CpuSnapshot.take(pid, graph.process.pid, postmaster)
        started = time.time()
        with py_spy(pid, profile):  # the load and the delivery of its replies
            result = await run_load(
                host=HOST,
                port=port,
                requests=measured,
                connections=scenario.connections,
                deadline_s=deadline_s,
            )
            ended = time.time()
            cpu = CpuSnapshot.take(pid, graph.process.pid, postmaster).since(before, result.wall_s)
            drained = await wait_outbox_drained(con, MEASURED_PREFIX, 300)
            delivered_cpu_s = _process_cpu(pid) - before.service
        outbox = await outbox_figures(con, MEASURED_PREFIX, started, ended)
    finally:
        await con.close()
    figures = summarise(result)
    return {
        "scenario": scenario.name,
        "leads": scenario.leads,
        "messages_per_lead": scenario.messages_per_lead,
        **figures,
        "cpu": {**cpu, "background_cores_before": background},
        # From the start of the load until the last reply was delivered, per message.
        "service_cpu_ms_per_message": round(
            delivered_cpu_s / max(figures["acknowledged"], 1) * 1000, 3
        ),
        "outbox": {"drained": drained, **outbox},
        "warmup": {k: warm[k] for k in ("requests", "acknowledged", "status_codes")},
        **({"profile": str(profile)} if profile else {}),
    }


# -- entry point ------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run_webhooks")
    parser.add_argument("--scenario", choices=[*SCENARIOS, "all"], default="all")
    parser.add_argument("--deadline", type=float, default=300.0, help="max seconds per load")
    parser.add_argument(
        "--quiet-wait", type=float, default=60.0, help="max seconds to wait for an idle machine"
    )
    parser.add_argument("--profile", type=Path, default=None, help="py-spy raw output dir")
    parser.add_argument("--output", type=Path, default=None, help="also write the JSON here")
    parser.add_argument(
        "--source", type=Path, default=ROOT, help="service source tree (default: this one)"
    )
    parser.add_argument(
        "--rate-per-s",
        type=float,
        default=None,
        help="WHATSAPP_RATE_PER_S for the service (lift Meta's 80/s to measure the relay)",
    )
    parser.add_argument("--serve-fake-graph", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.serve_fake_graph:
        return serve_fake_graph()
    server_dsn = os.environ.get("DATABASE_URL") or DEFAULT_SERVER_DSN
    names = list(SCENARIOS) if args.scenario == "all" else [args.scenario]
    if args.profile:
        args.profile.mkdir(parents=True, exist_ok=True)
    results = []
    for name in names:
        figures = asyncio.run(
            run_scenario(
                SCENARIOS[name],
                server_dsn,
                args.source.resolve(),
                args.deadline,
                args.profile,
                args.quiet_wait,
                args.rate_per_s,
            )
        )
        print(json.dumps(figures), file=sys.stderr, flush=True)
        results.append(figures)
    report = json.dumps(results, indent=2)
    print(report)
    if args.output:
        args.output.write_text(report + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
