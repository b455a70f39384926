"""
The load-test scenarios of BENCHMARKS.md, one `booking-assistant loadtest` each.

    .venv/bin/python -m bench.run_loadtests --scenario a|b|c|d|e|all --output-dir DIR

    a  1 replica,  1,000 leads x 5 steps, 64 concurrent leads
    b  2 replicas, 1,000 leads x 5 steps, 64 concurrent leads
    c  1 replica,  10 leads x 500 steps
    d  chaos: 2 replicas, each a web and a worker process, kill -9 every 5 s for 60 s
       (1,500 leads x 5 steps keep it busy)
    e  memory: 100,000 distinct leads touched once, RSS after passivation

Each scenario's JSON summary is written to DIR/<scenario>.json; the exit code is the
number of scenarios whose checks failed. DATABASE_URL is passed on as it is (unset: each
run starts an embedded Postgres of its own, which chaos mode can restart).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

__all__ = ["SCENARIOS", "main"]

EXECUTABLE = Path(sys.executable).with_name("booking-assistant")

SCENARIOS: dict[str, list[str]] = {
    "a": ["--replicas=1", "--leads=1000", "--steps=5", "--concurrency=64"],
    "b": ["--replicas=2", "--leads=1000", "--steps=5", "--concurrency=64"],
    "c": ["--replicas=1", "--leads=10", "--steps=500", "--concurrency=64", "--pay-share=0"],
    "d": [
        "--replicas=2",
        "--roles",
        "--leads=1500",
        "--steps=5",
        "--concurrency=64",
        "--schedule-share=0.04",
        "--chaos",
        "--chaos-duration-s=60",
        "--kill-every-s=5",
    ],
    "e": ["--memory-leads=100000", "--concurrency=32"],
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scenario", choices=[*SCENARIOS, "all"], default="all")
    parser.add_argument("--output-dir", type=Path, required=True)
    parser.add_argument("--seed", type=int, default=20261125)
    args = parser.parse_args()
    args.output_dir.mkdir(parents=True, exist_ok=True)
    names = list(SCENARIOS) if args.scenario == "all" else [args.scenario]
    failed = 0
    for name in names:
        output = args.output_dir / f"{name}.json"
        command = [str(EXECUTABLE), "loadtest", *SCENARIOS[name], f"--seed={args.seed}"]
        command += [f"--output={output}", f"--log-dir={args.output_dir / (name + '-logs')}"]
        print(f"== {name}: {' '.join(command[1:])}", file=sys.stderr, flush=True)
        started = time.monotonic()
        done = subprocess.run(command, stdout=subprocess.DEVNULL, check=False)
        took = time.monotonic() - started
        summary = json.loads(output.read_text()) if output.exists() else {}
        passed = bool(summary.get("passed", summary.get("ok", False)))
        failed += 0 if done.returncode == 0 and passed else 1
        print(
            f"== {name}: exit {done.returncode}, passed {passed}, {took:.0f}s",
            file=sys.stderr,
            flush=True,
        )
    return failed


if __name__ == "__main__":
    sys.exit(main())
