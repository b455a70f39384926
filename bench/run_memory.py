"""
Memory of one replica after touching many distinct leads once each.

    .venv/bin/python -m bench.run_memory [--leads 100000] [--connections 32]
        [--warmup-leads 2000] [--idle-s 2] [--limit-mb 100] [--output FILE]

A fresh database on DATABASE_URL's server (default: the local one), the fake Graph API
in its own process (see `bench.run_webhooks.fake_graph`), and one `booking-assistant
serve` with ACTOR_IDLE_S=--idle-s, no outbound rate limit and no per-recipient pacing;
then `loadtest.memory.measure_memory`. Progress goes to stderr, the report (JSON) to
stdout. Exits 1 when the report is not ok.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from bench.run_webhooks import (
    APP_SECRET,
    DEFAULT_SERVER_DSN,
    VERIFY_TOKEN,
    fake_graph,
    fresh_database,
)
from fakes.graph import FakeGraphApi
from loadtest.memory import measure_memory
from loadtest.replicas import ServiceLauncher

__all__ = ["main"]


def _progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


async def run(args: argparse.Namespace, server_dsn: str) -> dict[str, Any]:
    defaults = FakeGraphApi()
    async with fresh_database(server_dsn) as dsn:
        with fake_graph() as graph, tempfile.TemporaryDirectory(prefix="bench-memory-") as logs:
            launcher = ServiceLauncher(
                dsn,
                Path(logs),
                {
                    "app_secret": APP_SECRET,
                    "verify_token": VERIFY_TOKEN,
                    "access_token": defaults.access_token,
                    "phone_number_id": defaults.phone_number_id,
                },
            )
            try:
                replica = await launcher.start(
                    graph.base_url,
                    ACTOR_IDLE_S=str(args.idle_s),
                    WHATSAPP_RATE_PER_S="100000",
                    WHATSAPP_RECIPIENT_INTERVAL_S="0",
                    LOG_LEVEL=args.log_level,
                )
                report = await measure_memory(
                    replica,
                    leads=args.leads,
                    connections=args.connections,
                    app_secret=APP_SECRET,
                    limit_mb=args.limit_mb,
                    progress=_progress,
                    warmup_leads=args.warmup_leads,
                )
                exit_code = await replica.terminate(60)
            finally:
                tail = launcher.report()
                launcher.close()
    return {
        **report.as_json(),
        "connections": args.connections,
        "actor_idle_s": args.idle_s,
        "service_exit_code": exit_code,
        "service_log_tail": tail.splitlines()[-5:],
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run_memory")
    parser.add_argument("--leads", type=int, default=100_000)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--warmup-leads", type=int, default=2_000)
    parser.add_argument("--idle-s", type=float, default=2.0, help="ACTOR_IDLE_S")
    parser.add_argument("--limit-mb", type=float, default=100.0)
    parser.add_argument("--log-level", default="warning")
    parser.add_argument("--output", type=Path, default=None, help="also write the JSON here")
    args = parser.parse_args(argv)
    server_dsn = os.environ.get("DATABASE_URL") or DEFAULT_SERVER_DSN
    figures = asyncio.run(run(args, server_dsn))
    report = json.dumps(figures, indent=2)
    print(report)
    if args.output:
        args.output.write_text(report + "\n")
    return 0 if figures["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
