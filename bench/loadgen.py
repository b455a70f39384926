"""
A lean HTTP/1.1 load generator for the WhatsApp webhook.

It shares two cores with the service and Postgres, so it does as little as it can
while the clock runs: every request (headers, body, X-Hub-Signature-256) is built
before the start, N keep-alive connections on raw asyncio streams each send one
request at a time, and responses are kept as bytes and parsed after the clock stops.
Non-200 answers are counted, never retried.
"""

from __future__ import annotations

import asyncio
import json
import math
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from fakes.meta import encode, sign, text_message, webhook
from loadtest.http import read_response

__all__ = [
    "LoadResult",
    "Request",
    "build_requests",
    "percentile",
    "run_load",
    "summarise",
]

PATH = "/webhooks/whatsapp"
# What a lead types, message by message (cycled): a greeting, then valid answers to the
# copy's first questions, so each turn is a real step of the conversation (an answer row,
# a reply in the outbox) rather than a re-ask.
CONVERSATION = ("Hi", "A small fox, fine line", "Forearm", "10", "Colour", "next month")
CONNECTION_ERROR = 0  # status recorded when a connection fails mid-request
TIMED_OUT = -1  # status recorded for requests still unanswered at the deadline


@dataclass(frozen=True)
class Request:
    """One pre-built POST: the exact bytes that go on the wire."""

    lead: str
    index: int  # position of the message within its lead (0-based)
    wire: bytes


@dataclass
class LoadResult:
    """Raw observations; `summarise` turns them into figures."""

    connections: int
    wall_s: float = 0.0
    client_cpu_s: float = 0.0
    statuses: list[int] = field(default_factory=list)
    latencies_s: list[float] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)
    unsent: int = 0


def lead_keys(prefix: str, count: int) -> list[str]:
    """Phone-like wa_ids (digits only), distinct per `prefix`."""
    return [f"{prefix}{n:06d}" for n in range(count)]


def build_requests(
    *,
    host: str,
    secret: str,
    leads: Sequence[str],
    messages_per_lead: int,
    run_tag: str,
    texts: Sequence[str] = CONVERSATION,
    base_ts: int = 1_800_000_000,
) -> list[Request]:
    """Every message, round-robin over leads so each lead's messages go out in order.

    Message k of a lead carries timestamp `base_ts + k`, so a message that overtakes an
    earlier one of the same lead makes the earlier one `out_of_order`, never the reverse.
    """
    requests: list[Request] = []
    for k in range(messages_per_lead):
        for lead in leads:
            text = texts[k % len(texts)]
            message = text_message(lead, f"wamid.{run_tag}.{lead}.{k}", text, base_ts + k)
            body = encode(webhook([message], names={lead: "Bench Lead"}))
            head = (
                f"POST {PATH} HTTP/1.1\r\n"
                f"Host: {host}\r\n"
                "Content-Type: application/json\r\n"
                f"Content-Length: {len(body)}\r\n"
                f"X-Hub-Signature-256: {sign(secret, body)}\r\n"
                "\r\n"
            ).encode()
            requests.append(Request(lead, k, head + body))
    return requests


async def _worker(
    host: str,
    port: int,
    requests: Sequence[Request],
    cursor: list[int],
    result: LoadResult,
    pace: tuple[float, float] | None = None,
) -> None:
    """One connection: take the next request, send it, wait for its answer, repeat.

    With `pace` (start, rate per second), request n leaves no sooner than start + n / rate.
    """
    reader: asyncio.StreamReader | None = None
    writer: asyncio.StreamWriter | None = None
    statuses, latencies, bodies = result.statuses, result.latencies_s, result.bodies
    clock = time.perf_counter
    try:
        while cursor[0] < len(requests):
            request = requests[cursor[0]]
            cursor[0] += 1
            if pace is not None:
                due = pace[0] + (cursor[0] - 1) / pace[1]
                if due > clock():
                    await asyncio.sleep(due - clock())
            if writer is None:
                try:
                    reader, writer = await asyncio.open_connection(host, port)
                except OSError:
                    statuses.append(CONNECTION_ERROR)
                    latencies.append(0.0)
                    bodies.append(b"")
                    continue
            assert reader is not None
            started = clock()
            try:
                writer.write(request.wire)
                status, body, close = await read_response(reader)
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError, ValueError):
                statuses.append(CONNECTION_ERROR)
                latencies.append(clock() - started)
                bodies.append(b"")
                writer.close()
                reader = writer = None
                continue
            latencies.append(clock() - started)
            statuses.append(status)
            bodies.append(body)
            if close:
                writer.close()
                reader = writer = None
    finally:
        if writer is not None:
            writer.close()


async def run_load(
    *,
    host: str,
    port: int,
    requests: Sequence[Request],
    connections: int,
    deadline_s: float,
    rate_per_s: float | None = None,
) -> LoadResult:
    """Send every request over `connections` connections, within `deadline_s` at most;
    at `rate_per_s` at most when it is given (an open loop while the service keeps up)."""
    result = LoadResult(connections=connections)
    cursor = [0]  # shared position in `requests`: one event loop, so no lock is needed
    cpu_started = time.process_time()
    started = time.perf_counter()
    pace = (started, rate_per_s) if rate_per_s else None
    tasks = [
        asyncio.create_task(_worker(host, port, requests, cursor, result, pace))
        for _ in range(connections)
    ]
    _, pending = await asyncio.wait(tasks, timeout=deadline_s)
    for task in pending:
        task.cancel()
    if pending:
        await asyncio.wait(pending)
    result.wall_s = time.perf_counter() - started
    result.client_cpu_s = time.process_time() - cpu_started
    answered = len(result.statuses)
    in_flight = min(cursor[0], len(requests)) - answered
    result.statuses.extend([TIMED_OUT] * in_flight)
    result.unsent = len(requests) - min(cursor[0], len(requests))
    for task in tasks:
        if not task.cancelled() and task.exception() is not None:
            raise RuntimeError("load worker crashed") from task.exception()
    return result


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending sequence (0.0 when empty)."""
    if not sorted_values:
        return 0.0
    rank = math.ceil(fraction * len(sorted_values) - 1e-9)  # 0.99 * 5000 is not exact
    return sorted_values[min(max(rank, 1), len(sorted_values)) - 1]


def _code_name(status: int) -> str:
    if status == CONNECTION_ERROR:
        return "connection_error"
    if status == TIMED_OUT:
        return "timeout"
    return str(status)


def summarise(result: LoadResult) -> dict[str, Any]:
    """Figures of one run: acknowledged/s, latency of 200s, codes, turn outcomes."""
    codes = Counter(result.statuses)
    ok_latencies = sorted(
        latency
        for status, latency in zip(result.statuses, result.latencies_s, strict=False)
        if status == 200
    )
    outcomes: Counter[str] = Counter()
    for status, body in zip(result.statuses, result.bodies, strict=False):
        if status != 200 or not body:
            continue
        for outcome, count in json.loads(body).get("received", {}).items():
            outcomes[outcome] += int(count)
    acknowledged = codes.get(200, 0)
    return {
        "connections": result.connections,
        "requests": len(result.statuses) + result.unsent,
        "acknowledged": acknowledged,
        "wall_s": round(result.wall_s, 3),
        "acknowledged_per_s": round(acknowledged / result.wall_s, 1) if result.wall_s else 0.0,
        "latency_ms": {
            "p50": round(percentile(ok_latencies, 0.50) * 1000, 1),
            "p99": round(percentile(ok_latencies, 0.99) * 1000, 1),
            "max": round((ok_latencies[-1] if ok_latencies else 0.0) * 1000, 1),
            "mean": round(sum(ok_latencies) / len(ok_latencies) * 1000, 1) if ok_latencies else 0,
        },
        "status_codes": {_code_name(c): n for c, n in sorted(codes.items())},
        "unsent": result.unsent,
        "outcomes": dict(sorted(outcomes.items())),
        "client_cpu_s": round(result.client_cpu_s, 2),
    }
