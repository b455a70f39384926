"""
The database's own ceiling for our turn: pgbench running `bench/pgbench_turn.sql`.

    .venv/bin/python -m bench.run_pgbench [--duration 20] [--source DIR]

Each configuration gets a fresh database migrated by `booking-assistant migrate` (the
schema the service would create), so table sizes start equal. Latency percentiles come
from pgbench's per-transaction log, which is written to a temporary directory.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.loadgen import percentile
from bench.run_webhooks import (
    DEFAULT_SERVER_DSN,
    ROOT,
    VENV_BIN,
    fresh_database,
    machine_cpu,
    wait_for_quiet,
)

__all__ = ["CONFIGS", "main"]

SCRIPT = Path(__file__).resolve().parent / "pgbench_turn.sql"
# (clients, leads, notify): the webhook scenarios' connection counts and lead spreads,
# as a process with its own relays takes turns (no NOTIFY) and as a web-role one does.
CONFIGS: tuple[tuple[int, int, bool], ...] = (
    (16, 1000, False),
    (16, 1000, True),
    (64, 1000, False),
    (64, 1000, True),
    (64, 10, False),
)


def _pgbench() -> str:
    found = shutil.which("pgbench") or "/usr/lib/postgresql/15/bin/pgbench"
    if not Path(found).exists():
        raise SystemExit("pgbench not found")
    return found


def _migrate(dsn: str, source: Path) -> None:
    env = {**os.environ, "DATABASE_URL": dsn, "PYTHONPATH": str(source), "LOG_LEVEL": "warning"}
    subprocess.run(
        [str(VENV_BIN / "booking-assistant"), "migrate"], cwd=source, env=env, check=True
    )


def _latencies_ms(log_dir: Path) -> list[float]:
    """Third field of each per-transaction log line: latency in microseconds."""
    values: list[float] = []
    for path in log_dir.iterdir():
        for line in path.read_text().splitlines():
            fields = line.split()
            if len(fields) >= 3 and fields[2].isdigit():
                values.append(int(fields[2]) / 1000)
    values.sort()
    return values


def run_one(dsn: str, clients: int, leads: int, notify: bool, duration_s: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="pgbench-") as tmp:
        busy_before, total_before = machine_cpu()
        completed = subprocess.run(
            [
                *(_pgbench(), "-n", "-M", "prepared", "-f", str(SCRIPT), "-D", f"leads={leads}"),
                *("-D", f"notify={str(notify).lower()}"),
                *("-c", str(clients), "-j", "2", "-T", str(duration_s)),
                *("--log", f"--log-prefix={tmp}/tx", dsn),
            ],
            capture_output=True,
            text=True,
            timeout=duration_s + 120,
            check=False,
        )
        busy_after, total_after = machine_cpu()
        if completed.returncode != 0:
            raise RuntimeError(f"pgbench failed:\n{completed.stderr[-3000:]}")
        latencies = _latencies_ms(Path(tmp))
    out = completed.stdout
    tps = re.search(r"tps = ([\d.]+) \(without initial connection time\)", out)
    failed = re.search(r"number of failed transactions: (\d+)", out)
    processed = re.search(r"number of transactions actually processed: (\d+)", out)
    wall = (total_after - total_before) / (os.cpu_count() or 1)
    return {
        "clients": clients,
        "leads": leads,
        "notify": notify,
        "duration_s": duration_s,
        "transactions": int(processed.group(1)) if processed else None,
        "failed": int(failed.group(1)) if failed else None,
        "tps": float(tps.group(1)) if tps else None,
        "latency_ms": {
            "p50": round(percentile(latencies, 0.50), 1),
            "p99": round(percentile(latencies, 0.99), 1),
            "max": round(latencies[-1], 1) if latencies else 0.0,
        },
        "machine_busy_cores": round((busy_after - busy_before) / wall, 2) if wall else None,
    }


async def _run_config(
    server_dsn: str, source: Path, clients: int, leads: int, notify: bool, duration_s: int
) -> dict[str, Any]:
    async with fresh_database(server_dsn) as dsn:
        await asyncio.to_thread(_migrate, dsn, source)
        background = await wait_for_quiet(60)
        figures = await asyncio.to_thread(run_one, dsn, clients, leads, notify, duration_s)
        return {**figures, "background_cores_before": background}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run_pgbench")
    parser.add_argument("--duration", type=int, default=20, help="seconds per configuration")
    parser.add_argument("--source", type=Path, default=ROOT, help="tree whose schema to use")
    parser.add_argument("--output", type=Path, default=None, help="also write the JSON here")
    args = parser.parse_args(argv)
    server_dsn = os.environ.get("DATABASE_URL") or DEFAULT_SERVER_DSN
    results = []
    for clients, leads, notify in CONFIGS:
        figures = asyncio.run(
            _run_config(server_dsn, args.source.resolve(), clients, leads, notify, args.duration)
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
