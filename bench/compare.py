"""
Side by side, in one run, on one machine, one Postgres and one load generator: the
seed-style design, this service with 1 worker, with 2 workers and as a web + a worker
process, and a hello-world Quart POST (the HTTP stack's ceiling).

    .venv/bin/python -m bench.compare [--baseline DIR] [--targets ...] [--workloads a b]
        [--before COMMIT] [--output FILE] [--benchmarks BENCHMARKS.md]

The baseline kit (`--baseline DIR`; by default `shared/baseline` in the folder that holds
this repository) holds the seed-style service (`seedstyle/run.sh`), the hello-world app
(`limits/hello_quart.py`) and the load generator (`loadgen/loadgen.py`, which replays
pre-signed webhooks with wrk); without it the comparison is skipped with a message. Its
own dependencies live in a separate venv (`--baseline-venv`, made from its requirement
files when missing).

Per target and workload: a fresh database (for the two services), a warm-up, a wait for
a quiet machine, the measured load (wrk, 64 keep-alive connections), then, for this
service, the wait until every reply is delivered to the fake Graph API. Figures:
acknowledged/s and p99 (wrk's), the service's CPU per message (its process trees' CPU
from the start of the load until the last reply was delivered, divided by the messages
acknowledged), and, for this service, commit-to-delivery p99 at half its peak rate
(paced by `bench.loadgen`, fresh leads). Meta's 80 messages/s per number is lifted
(`WHATSAPP_RATE_PER_S`) so that the service, not the cap, is measured.

`--before COMMIT` adds this service as it was at COMMIT (`service-before`: one process,
checked out into a temporary git worktree and run with this venv), so that a change in
CPU per message is a ratio from one run, not from two machines or two days.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import asyncpg
import httpx

from bench.loadgen import build_requests, lead_keys, run_load, summarise
from bench.report import write_section
from bench.run_webhooks import (
    APP_SECRET,
    DEFAULT_SERVER_DSN,
    FakeGraph,
    fake_graph,
    fresh_database,
    machine_cpu,
    outbox_figures,
    parent_pid,
    wait_for_quiet,
    wait_outbox_drained,
)

__all__ = ["TARGETS", "WORKLOADS", "main"]

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
HOST = "127.0.0.1"
CONNECTIONS = 64
WARMUP_TAG = 998
HALF_RATE_PREFIX = "4471"  # paced leads' wa_ids, apart from the load generator's 4470...


@dataclass(frozen=True)
class Workload:
    name: str
    leads: int
    per_lead: int


WORKLOADS = {"a": Workload("a", 1000, 5), "b": Workload("b", 10, 500)}
TARGETS = ("seedstyle", "service-before", "service-1", "service-2", "service-roles", "hello")
DEFAULT_TARGETS = [t for t in TARGETS if t != "service-before"]  # it needs --before


# -- CPU of process trees ----------------------------------------------------------------


def _tree_pids(root: int) -> list[int]:
    found, stack = [], [root]
    while stack:
        pid = stack.pop()
        found.append(pid)
        for task in Path(f"/proc/{pid}/task").glob("*"):
            with suppress(OSError):
                stack += [int(c) for c in (task / "children").read_text().split()]
    return found


def tree_cpu_s(roots: Sequence[int]) -> float:
    """CPU seconds of these process trees, their reaped children included."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for root in roots:
        for pid in _tree_pids(root):
            with suppress(OSError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += sum(int(x) for x in fields[11:15])
    return total / tick


# -- the targets -------------------------------------------------------------------------


@dataclass
class Running:
    name: str
    port: int
    pids: list[int]  # the process trees that are "the service"
    dsn: str | None  # its database, for this service's delivery figures
    graph: FakeGraph | None


def _free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind((HOST, 0))
        port: int = sock.getsockname()[1]
        return port


async def _ready(url: str, processes: Sequence[subprocess.Popen[bytes]], log: IO[bytes]) -> None:
    """Until `url` answers 200 (GET; POST for the hello app, which has only that route)."""
    method = "POST" if url.endswith("/webhooks/whatsapp") else "GET"
    deadline = time.monotonic() + 90
    async with httpx.AsyncClient(timeout=2.0) as client:
        while time.monotonic() < deadline:
            if any(p.poll() is not None for p in processes):
                break
            with suppress(httpx.TransportError):
                response = await client.request(method, url, content=b'{"entry":[]}')
                if response.status_code == 200:
                    return
            await asyncio.sleep(0.1)
    log.seek(0)
    sys.stderr.write(log.read().decode(errors="replace")[-3000:])
    raise RuntimeError(f"not ready: {url}")


def _service_env(dsn: str, graph_url: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": dsn,
        "WHATSAPP_APP_SECRET": APP_SECRET,
        "WHATSAPP_VERIFY_TOKEN": "bench-verify-token",
        "WHATSAPP_ACCESS_TOKEN": "test-access-token",  # FakeGraphApi's defaults
        "WHATSAPP_PHONE_NUMBER_ID": "100200300",
        "WHATSAPP_API_BASE": graph_url,
        "WHATSAPP_RATE_PER_S": "100000",
        "WHATSAPP_RECIPIENT_INTERVAL_S": "0",
        "LOG_LEVEL": "warning",
        "LOG_FORMAT": "json",
        "PYTHONPATH": str(ROOT),
    }
    env.pop("PORT", None)
    env.pop("WEB_CONCURRENCY", None)
    return env


@asynccontextmanager
async def start_target(
    name: str,
    baseline: Path,
    venv: Path,
    server_dsn: str,
    log: IO[bytes],
    before: Path | None = None,
) -> AsyncIterator[Running]:
    """Start one target on a free port (with a fresh database when it has one)."""
    port = _free_port()
    processes: list[subprocess.Popen[bytes]] = []

    def spawn(argv: list[str], env: dict[str, str], cwd: Path) -> None:
        processes.append(
            subprocess.Popen(argv, env=env, cwd=cwd, stdout=log, stderr=subprocess.STDOUT)
        )

    try:
        if name == "hello":
            hypercorn = [str(venv / "bin" / "hypercorn"), "-w", "2", "-k", "uvloop"]
            spawn(
                [*hypercorn, "-b", f"{HOST}:{port}", "hello_quart:app"],
                dict(os.environ),
                baseline / "limits",
            )
            await _ready(f"http://{HOST}:{port}/webhooks/whatsapp", processes, log)
            yield Running(name, port, [p.pid for p in processes], None, None)
            return
        async with fresh_database(server_dsn) as dsn:
            if name == "seedstyle":
                env = {
                    **os.environ,
                    "VENV": str(venv),
                    "PORT": str(port),
                    "WORKERS": "2",
                    "DATABASE_URL": dsn.replace("postgresql://", "postgresql+psycopg://", 1),
                    "WHATSAPP_APP_SECRET": APP_SECRET,
                }
                spawn(["bash", "run.sh"], env, baseline / "seedstyle")
                await _ready(f"http://{HOST}:{port}/healthz", processes, log)
                yield Running(name, port, [p.pid for p in processes], dsn, None)
                return
            with fake_graph() as graph:
                env = _service_env(dsn, graph.base_url)
                serve = [str(VENV_BIN / "booking-assistant"), "serve", "--host", HOST]
                if name == "service-roles":
                    spawn([*serve, "--port", str(_free_port()), "--role", "worker"], env, ROOT)
                    spawn([*serve, "--port", str(port), "--role", "web"], env, ROOT)
                elif name == "service-before":
                    assert before is not None, "service-before needs --before COMMIT"
                    # Its code first on the path: the editable install points here.
                    spawn([*serve, "--port", str(port)], {**env, "PYTHONPATH": str(before)}, before)
                else:
                    workers = "2" if name == "service-2" else "1"
                    spawn([*serve, "--port", str(port), "--workers", workers], env, ROOT)
                await _ready(f"http://{HOST}:{port}/readyz", processes, log)
                yield Running(name, port, [p.pid for p in processes], dsn, graph)
    finally:
        for process in processes:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in processes:
            try:
                process.wait(60)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(10)


# -- one measurement ---------------------------------------------------------------------


def _loadgen(
    baseline: Path, venv: Path, port: int, workload: Workload, tag: int, watch: dict[str, int]
) -> dict[str, Any]:
    """The baseline's load generator (wrk), one JSON line back."""
    argv = [
        str(venv / "bin" / "python"),
        str(baseline / "loadgen" / "loadgen.py"),
        *("--port", str(port), "--secret", APP_SECRET),
        *("-L", str(workload.leads), "-S", str(workload.per_lead), "-C", str(CONNECTIONS)),
        *("--run-tag", str(tag), "--max-seconds", "240", "--label", workload.name),
    ]
    for name, pid in watch.items():
        argv += ["--watch", f"{name}={pid}"]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=300, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"loadgen failed: {done.stdout[-2000:]} {done.stderr[-2000:]}")
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


async def _postmaster(server_dsn: str) -> int:
    con = await asyncpg.connect(server_dsn)
    try:
        return parent_pid(await con.fetchval("SELECT pg_backend_pid()"))
    finally:
        await con.close()


async def measure(
    running: Running,
    workload: Workload,
    baseline: Path,
    venv: Path,
    server_dsn: str,
    quiet_wait_s: float,
) -> dict[str, Any]:
    tag = random.randrange(100, 900)
    prefix = f"4470{tag:03d}"
    warm = Workload("warmup", 40, 5)
    await asyncio.to_thread(_loadgen, baseline, venv, running.port, warm, WARMUP_TAG, {})
    con = await asyncpg.connect(running.dsn) if running.graph and running.dsn else None
    try:
        if con is not None:
            await wait_outbox_drained(con, f"4470{WARMUP_TAG}", 120)
        background = await wait_for_quiet(quiet_wait_s)
        watch = {"service": running.pids[0], "postgres": await _postmaster(server_dsn)}
        if len(running.pids) > 1:
            watch["service_2"] = running.pids[1]
        cpu_before, busy_before = tree_cpu_s(running.pids), machine_cpu()[0]
        started = time.time()
        result = await asyncio.to_thread(
            _loadgen, baseline, venv, running.port, workload, tag, watch
        )
        ended = time.time()
        figures: dict[str, Any] = {
            "acknowledged_per_s": round(result["status"]["2xx"] / result["duration_s"], 1),
            "p50_ms": result["latency_ms"]["p50"],
            "p99_ms": result["latency_ms"]["p99"],
            "status": result["status"],
            "socket_errors": result["socket_errors"],
            "cpu_during_load": result["cpu"],
            "background_cores_before": background,
        }
        acknowledged = result["status"]["2xx"]
        if con is not None:
            drained = await wait_outbox_drained(con, prefix, 300)
            outbox = await outbox_figures(con, prefix, started, ended)
            figures["outbox"] = {"drained": drained, **outbox}
        cpu_s = tree_cpu_s(running.pids) - cpu_before
        wall = max(time.time() - started, 1e-9)
        figures["service_cpu_ms_per_message"] = round(cpu_s / max(acknowledged, 1) * 1000, 3)
        figures["machine_busy_cores_until_delivered"] = round(
            (machine_cpu()[0] - busy_before) / wall, 2
        )
    finally:
        if con is not None:
            await con.close()
    return figures


async def half_peak_delivery(running: Running, peak_per_s: float) -> dict[str, Any]:
    """1,000 fresh leads x 5 at half the peak rate: commit-to-delivery of their replies."""
    assert running.dsn is not None
    leads = lead_keys(f"{HALF_RATE_PREFIX}{random.randrange(100, 999)}", 1000)
    prefix = leads[0][:7]
    requests = build_requests(
        host=f"{HOST}:{running.port}",
        secret=APP_SECRET,
        leads=leads,
        messages_per_lead=5,
        run_tag="half",
        base_ts=int(time.time()) - 60,
    )
    started = time.time()
    result = await run_load(
        host=HOST,
        port=running.port,
        requests=requests,
        connections=CONNECTIONS,
        deadline_s=300,
        rate_per_s=peak_per_s / 2,
    )
    ended = time.time()
    con = await asyncpg.connect(running.dsn)
    try:
        await wait_outbox_drained(con, prefix, 300)
        outbox = await outbox_figures(con, prefix, started, ended)
    finally:
        await con.close()
    load = summarise(result)
    return {
        "rate_per_s": round(peak_per_s / 2, 1),
        "acknowledged_per_s": load["acknowledged_per_s"],
        "p99_ms": load["latency_ms"]["p99"],
        "commit_to_delivery_ms": outbox["commit_to_delivery_ms"],
    }


# -- the run -----------------------------------------------------------------------------


def _baseline_venv(baseline: Path, venv: Path) -> None:
    if (venv / "bin" / "uvicorn").exists() and (venv / "bin" / "hypercorn").exists():
        return
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    requirements = ["seedstyle", "limits", "loadgen"]
    files = [baseline / r / "requirements.txt" for r in requirements]
    args = [x for f in files if f.exists() for x in ("-r", str(f))]
    subprocess.run([str(venv / "bin" / "pip"), "install", "-q", *args], check=True)


@contextmanager
def checked_out(commit: str | None) -> Iterator[Path | None]:
    """`commit` in a temporary git worktree (None: nothing to check out)."""
    if commit is None:
        yield None
        return
    folder = Path(tempfile.mkdtemp(prefix="compare-before-")) / "tree"
    git = ["git", "-C", str(ROOT)]
    subprocess.run([*git, "worktree", "add", "--detach", str(folder), commit], check=True)
    try:
        yield folder
    finally:
        subprocess.run([*git, "worktree", "remove", "--force", str(folder)], check=False)
        shutil.rmtree(folder.parent, ignore_errors=True)


def _commit() -> str:
    found = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
        capture_output=True,
        text=True,
        check=False,
    )
    return found.stdout.strip() or "unknown"


def _command(args: argparse.Namespace) -> str:
    """The command line as it reads in a clone: what was measured, not where files went."""
    words = [".venv/bin/python -m bench.compare"]
    if args.targets != DEFAULT_TARGETS:
        words.append("--targets " + " ".join(args.targets))
    if args.before:
        words.append(f"--before {args.before}")
    if args.workloads != list(WORKLOADS):
        words.append("--workloads " + " ".join(args.workloads))
    words.append(f"--quiet-wait {args.quiet_wait:g} --benchmarks BENCHMARKS.md")
    return " ".join(words)


def machine() -> dict[str, Any]:
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    memory_kb = int(Path("/proc/meminfo").read_text().split()[1])
    return {
        "cpus": os.cpu_count(),
        "cpu_model": model,
        "memory_gib": round(memory_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "kernel": platform.release(),
    }


async def run(args: argparse.Namespace) -> dict[str, Any]:
    server_dsn = os.environ.get("DATABASE_URL") or DEFAULT_SERVER_DSN
    con = await asyncpg.connect(server_dsn)
    try:
        postgres = await con.fetchval("SHOW server_version")
    finally:
        await con.close()
    results: dict[str, Any] = {
        "command": _command(args),
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "commit": args.commit or _commit(),
        "before": args.before,
        "machine": {**machine(), "postgres": postgres},
        "load_average_before": os.getloadavg(),
        "runs": {},
    }
    workloads = [WORKLOADS[w] for w in args.workloads]
    targets = list(args.targets)
    if args.before and "service-before" not in targets:
        targets.insert(
            targets.index("service-1") if "service-1" in targets else 0, "service-before"
        )
    with checked_out(args.before) as before:
        for target in targets:
            for workload in workloads:
                key = f"{target}/{workload.name}"
                results["runs"][key] = await _measure_target(
                    args, target, workload, server_dsn, before
                )
    results["load_average_after"] = os.getloadavg()
    return results


async def _measure_target(
    args: argparse.Namespace,
    target: str,
    workload: Workload,
    server_dsn: str,
    before: Path | None,
) -> dict[str, Any]:
    key = f"{target}/{workload.name}"
    print(f"compare: {key}", file=sys.stderr, flush=True)
    with tempfile.NamedTemporaryFile(prefix=f"compare-{target}-", suffix=".log") as log:
        async with start_target(
            target, args.baseline, args.baseline_venv, server_dsn, log, before
        ) as running:
            figures = await measure(
                running,
                workload,
                args.baseline,
                args.baseline_venv,
                server_dsn,
                args.quiet_wait,
            )
            if running.graph is not None and workload.name == "a":
                figures["half_peak"] = await half_peak_delivery(
                    running, figures["acknowledged_per_s"]
                )
    print(f"compare: {key} {json.dumps(figures)}", file=sys.stderr, flush=True)
    return figures


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.compare")
    parser.add_argument("--baseline", type=Path, default=ROOT.parent / "shared" / "baseline")
    parser.add_argument("--baseline-venv", type=Path, default=Path("/tmp/blvenv"))
    parser.add_argument("--targets", nargs="+", choices=TARGETS, default=DEFAULT_TARGETS)
    parser.add_argument(
        "--before", default=None, help="also this service at this commit (service-before)"
    )
    parser.add_argument("--workloads", nargs="+", choices=list(WORKLOADS), default=["a", "b"])
    parser.add_argument("--quiet-wait", type=float, default=30.0)
    parser.add_argument("--commit", default=None, help="the commit measured (default: git's)")
    parser.add_argument("--output", type=Path, default=None, help="also write the JSON here")
    parser.add_argument(
        "--benchmarks", type=Path, default=None, help="write the comparison into this file"
    )
    args = parser.parse_args(argv)
    if not (args.baseline / "loadgen" / "loadgen.py").exists():
        print(f"compare: skipped: no baseline at {args.baseline}", file=sys.stderr)
        return 0
    if shutil.which("wrk") is None:
        print("compare: wrk is not installed (apt-get install wrk)", file=sys.stderr)
        return 2
    _baseline_venv(args.baseline, args.baseline_venv)
    results = asyncio.run(run(args))
    report = json.dumps(results, indent=2)
    print(report)
    if args.output:
        args.output.write_text(report + "\n")
    if args.benchmarks:
        write_section(args.benchmarks, results)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
