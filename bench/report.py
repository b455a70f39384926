"""
`bench.compare`'s figures as a BENCHMARKS.md section: a table per workload and the
ratios against the targets, between two markers so that a new run replaces the old one.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

__all__ = ["BEGIN", "END", "render", "write_section"]

BEGIN = "<!-- bench.compare: begin -->"
END = "<!-- bench.compare: end -->"

_NAMES = {
    "seedstyle": "seed-style (FastAPI + sync SQLAlchemy, 2 uvicorn workers)",
    "service-before": "this service before (`serve` at the `--before` commit, 1 process)",
    "service-1": "this service, `serve` (1 process)",
    "service-2": "this service, `serve --workers 2`",
    "service-roles": "this service, `serve --role web` + `serve --role worker`",
    "hello": "hello-world Quart POST (hypercorn -w 2)",
}
_SERVICES = ("service-1", "service-2", "service-roles")
_WORKLOADS = {"a": "1,000 leads x 5 messages", "b": "10 leads x 500 messages"}


def _cell(value: Any, fmt: str = "{:,.0f}") -> str:
    return "-" if value is None else fmt.format(value)


def _table(runs: dict[str, Any], workload: str) -> list[str]:
    lines = [
        f"**{_WORKLOADS[workload]}, 64 connections**",
        "",
        "| Target | Ack/s | p50 ms | p99 ms | Non-2xx | Service CPU ms/msg | Cores: service"
        " / Postgres / machine | Commit-to-delivery p99 ms (at peak) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for target, name in _NAMES.items():
        run = runs.get(f"{target}/{workload}")
        if run is None:
            continue
        cpu = run["cpu_during_load"]
        service_cores = cpu.get("service_cores", 0) + cpu.get("service_2_cores", 0)
        status = run["status"]
        non2xx = status["4xx"] + status["5xx"] + status["other"]
        delivery = run.get("outbox", {}).get("commit_to_delivery_ms", {}).get("p99")
        lines.append(
            f"| {name} | {_cell(run['acknowledged_per_s'])} | {_cell(run['p50_ms'], '{:.1f}')}"
            f" | {_cell(run['p99_ms'], '{:.1f}')} | {non2xx} |"
            f" {_cell(run['service_cpu_ms_per_message'], '{:.2f}')} |"
            f" {service_cores:.2f} / {cpu.get('postgres_cores', 0):.2f} /"
            f" {cpu.get('machine_busy_cores', 0):.2f} | {_cell(delivery)} |"
        )
    return [*lines, ""]


def _ratio(a: float | None, b: float | None) -> float | None:
    return None if a is None or not b else a / b


def _targets(runs: dict[str, Any]) -> list[str]:
    def get(key: str, field: str) -> float | None:
        run = runs.get(key)
        return None if run is None else float(run[field])

    seed_rate, seed_p99 = get("seedstyle/a", "acknowledged_per_s"), get("seedstyle/a", "p99_ms")
    hello = get("hello/a", "acknowledged_per_s")
    before_cpu = get("service-before/a", "service_cpu_ms_per_message")
    lines = [
        "| This service as | x seed-style ack/s (>= 3) | seed-style p99 / its p99 (>= 3)"
        " | x hello ceiling (>= 0.3) | CPU ms/msg | CPU / before's (<= 0.5)"
        " | commit-to-delivery p99 at half the peak (< 100 ms) |",
        "|---|---|---|---|---|---|---|",
    ]
    for target in _SERVICES:
        run = runs.get(f"{target}/a")
        if run is None:
            continue
        half = run.get("half_peak", {})
        delivery = half.get("commit_to_delivery_ms", {}).get("p99")
        lines.append(
            f"| {_NAMES[target]} | {_cell(_ratio(run['acknowledged_per_s'], seed_rate), '{:.2f}')}"
            f" | {_cell(_ratio(seed_p99, run['p99_ms']), '{:.2f}')}"
            f" | {_cell(_ratio(run['acknowledged_per_s'], hello), '{:.2f}')}"
            f" | {run['service_cpu_ms_per_message']:.2f}"
            f" | {_cell(_ratio(run['service_cpu_ms_per_message'], before_cpu), '{:.2f}')}"
            f" | {_cell(delivery, '{:.0f}')} (at {_cell(half.get('rate_per_s'))}/s) |"
        )
    return [*lines, ""]


def render(results: dict[str, Any]) -> str:
    machine = results["machine"]
    runs = results["runs"]
    workloads = sorted({key.split("/", 1)[1] for key in runs})
    lines = [
        BEGIN,
        "## Side by side (`bench/compare.py`)",
        "",
        f"Measured {results['date']} at commit `{results.get('commit', 'unknown')}`"
        + (f" (before: `{results['before']}`)" if results.get("before") else "")
        + " with"
        f" `{results['command']}`, on {machine['cpus']} vCPU"
        f" {machine['cpu_model']}, {machine['memory_gib']} GiB, Python {machine['python']},"
        f" PostgreSQL {machine['postgres']} (default configuration), Linux"
        f" {machine['kernel']}. Load average before: "
        + " / ".join(f"{x:.2f}" for x in results["load_average_before"])
        + ", after: "
        + " / ".join(f"{x:.2f}" for x in results["load_average_after"])
        + ". Everything (targets, Postgres, wrk, the fake Graph API) shares the machine.",
        "",
        "Ack/s and latency are wrk's (the baseline's load generator, pre-signed webhooks,"
        " 64 keep-alive connections). Service CPU per message is the CPU of the service's"
        " processes from the start of the load until its last reply was delivered, divided"
        " by the messages acknowledged; the cores columns are during the load only.",
        "",
    ]
    for workload in workloads:
        lines += _table(runs, workload)
    lines += ["Against the targets (1,000 leads x 5):", "", *_targets(runs), END]
    return "\n".join(lines) + "\n"


def write_section(path: Path, results: dict[str, Any]) -> None:
    """Replace the section between the markers, or put it after the title."""
    text = path.read_text() if path.exists() else "# Benchmarks\n"
    section = render(results)
    if BEGIN in text and END in text:
        before, rest = text.split(BEGIN, 1)
        after = rest.split(END, 1)[1].lstrip("\n")
        text = before + section + "\n" + after
    else:
        title, _, body = text.partition("\n")
        text = f"{title}\n\n{section}\n{body.lstrip(chr(10))}"
    path.write_text(text)
