"""
Many studios, side by side in one run (BENCHMARKS.md, "Many studios"):

    .venv/bin/python -m bench.many_studios [--studios 100] [--leads 200] [--steps 3]
        [--backlog 5000] [--fair-studios 10] [--output FILE]

1. the same load test (same seed, leads, steps and mix) on one studio and on `--studios`
   studios (the default one and the rest added with `studios add`), one replica;
2. the fairness run: web and worker processes, `--fair-studios` studios, the last one
   given `--backlog` first messages at once (paced at Meta's 80 a second on its number)
   while the others talk; its `fairness` figures.

Each is `booking-assistant loadtest` as an operator runs it, on DATABASE_URL's server (a
database of its own, dropped after). Prints the figures as a Markdown table with the
ratios of the many-studio run to the one-studio run, and writes every summary to
`--output` as JSON.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = ["main"]

EXECUTABLE = Path(sys.executable).with_name("booking-assistant")


def _loadtest(*options: str) -> dict[str, Any]:
    """One `booking-assistant loadtest` run's JSON summary (whatever its checks said)."""
    done = subprocess.run(
        [str(EXECUTABLE), "loadtest", *options],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        check=False,
    )
    sys.stderr.write(done.stderr[-1500:])
    summary: dict[str, Any] = json.loads(done.stdout)
    return summary


def _row(name: str, run: dict[str, Any], base: dict[str, Any] | None) -> str:
    outbound = run["outbound"]
    cells = [
        name,
        f"{run['acknowledged_per_s']}",
        f"{run['latency_ms']['p50']} / {run['latency_ms']['p99']}",
        f"{outbound['deliveries_per_s']}",
        f"{outbound['commit_to_delivery_ms']['p50']} / {outbound['commit_to_delivery_ms']['p99']}",
        f"{max(run['peak_rss_mb'].values())}",
        f"{run['wall_s']}",
        "pass" if run["passed"] else "FAIL",
    ]
    if base is not None:
        cells.append(
            f"{run['acknowledged_per_s'] / base['acknowledged_per_s']:.2f}"
            f" / {run['latency_ms']['p99'] / base['latency_ms']['p99']:.2f}"
        )
    else:
        cells.append("1.00 / 1.00")
    return "| " + " | ".join(cells) + " |"


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.many_studios")
    parser.add_argument("--studios", type=int, default=100)
    parser.add_argument("--leads", type=int, default=200)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--backlog", type=int, default=5000)
    parser.add_argument("--fair-studios", type=int, default=10)
    parser.add_argument("--fair-leads", type=int, default=40)
    parser.add_argument("--output", type=Path)
    args = parser.parse_args(argv)
    same = [f"--leads={args.leads}", f"--steps={args.steps}", f"--seed={args.seed}"]
    one = _loadtest(*same, "--studios=1")
    many = _loadtest(*same, f"--studios={args.studios}")
    fair = _loadtest(
        "--roles",
        f"--studios={args.fair_studios}",
        f"--backlog={args.backlog}",
        f"--leads={args.fair_leads}",
        "--steps=40",
        f"--seed={args.seed}",
        "--drain-timeout-s=900",
        "--give-up-after-s=600",
    )
    lines = [
        "| Run | Ack/s | Webhook p50 / p99 ms | Deliveries/s"
        " | Commit-to-delivery p50 / p99 ms | Peak RSS MB | Wall s | Checks"
        " | Ack/s, p99 vs 1 studio |",
        "|---|---|---|---|---|---|---|---|---|",
        _row("1 studio", one, None),
        _row(f"{args.studios} studios", many, one),
    ]
    measured = fair.get("fairness", {})
    if measured:
        during = measured["during_backlog"]
        lines += [
            "",
            "| Fairness run | Backlog | Quiet replies | p50 ms | p99 ms | max ms"
            " | While the backlog was sent: replies, p99 ms | Backlog posted in s"
            " | Backlog sent in s | Check |",
            "|---|---|---|---|---|---|---|---|---|---|",
            f"| web + worker, {args.fair_studios} studios | {measured['backlog_leads']}"
            f" | {measured['replies']} | {measured['delay_ms']['p50']}"
            f" | {measured['delay_ms']['p99']} | {measured['delay_ms']['max']}"
            f" | {during['replies']}, {during['delay_ms']['p99']}"
            f" | {measured['backlog_posting_s']} | {measured['backlog_sending_s']}"
            f" | {'pass' if measured['passed'] else 'FAIL'} |",
        ]
    print("\n".join(lines))
    if args.output is not None:
        args.output.write_text(json.dumps({"one": one, "many": many, "fair": fair}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
