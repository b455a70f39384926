"""
CPU per Graph call of the service's Graph client (`actors.providers.whatsapp.graph`,
aiohttp) beside plain httpx, the baseline aiohttp was chosen against.

    .venv/bin/python -m bench.graph_clients [--calls N] [--concurrency C ...]

The fake Graph API runs in its own process (as in `bench.run_webhooks`); this process
POSTs a text message N times per client over C concurrent callers (the relay's
deliveries), on uvloop as the service runs, after a warm-up, and prints this process's
CPU per call and the calls per second. One JSON line per (client, concurrency).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol

import httpx
import uvloop

from actors.providers.whatsapp.graph import GraphAnswer, GraphClient
from bench.run_webhooks import fake_graph

__all__ = ["main"]

AUTH = {"Authorization": "Bearer test-access-token"}
TEXT = {
    "messaging_product": "whatsapp",
    "recipient_type": "individual",
    "to": "447700900123",
    "type": "text",
    "text": {"body": "Thanks! What would you like done?"},
}


class Poster(Protocol):
    """What is measured: a JSON POST to Graph (`GraphClient.post_json`)."""

    async def post_json(
        self, url: str, body: Mapping[str, Any], headers: Mapping[str, str], timeout_s: float
    ) -> GraphAnswer: ...


class _HttpxBaseline:
    """The same POST over httpx: what the service's client is measured against (the
    service has no httpx path to Graph)."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self._client = client

    async def post_json(
        self, url: str, body: Mapping[str, Any], headers: Mapping[str, str], timeout_s: float
    ) -> GraphAnswer:
        response = await self._client.post(
            url, json=dict(body), headers=dict(headers), timeout=timeout_s
        )
        return GraphAnswer(response.status_code, response.content)


@asynccontextmanager
async def _aiohttp(concurrency: int) -> AsyncIterator[Poster]:
    async with GraphClient.opened(concurrency) as client:
        yield client


@asynccontextmanager
async def _httpx(concurrency: int) -> AsyncIterator[Poster]:
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(limits=limits) as client:
        yield _HttpxBaseline(client)


CLIENTS: dict[str, Callable[[int], AbstractAsyncContextManager[Poster]]] = {
    "aiohttp": _aiohttp,
    "httpx": _httpx,
}


async def _calls(graph: Poster, url: str, calls: int, concurrency: int) -> None:
    left = iter(range(calls))

    async def caller() -> None:
        for _ in left:
            answer = await graph.post_json(url, TEXT, AUTH, 10.0)
            if answer.status != 200:
                raise RuntimeError(f"Graph answered {answer.status}")

    await asyncio.gather(*(caller() for _ in range(concurrency)))


async def measure(name: str, url: str, calls: int, concurrency: int) -> dict[str, object]:
    async with CLIENTS[name](concurrency) as graph:
        await _calls(graph, url, min(calls, 500), concurrency)  # warm: connections open
        cpu, wall = time.process_time(), time.perf_counter()
        await _calls(graph, url, calls, concurrency)
        cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    return {
        "client": name,
        "concurrency": concurrency,
        "calls": calls,
        "cpu_ms_per_call": round(cpu / calls * 1000, 3),
        "calls_per_s": round(calls / wall),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.graph_clients")
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 32])
    args = parser.parse_args(argv)
    with fake_graph() as graph:
        url = f"{graph.base_url}/v21.0/100200300/messages"
        for concurrency in args.concurrency:
            for name in CLIENTS:
                figures = uvloop.run(measure(name, url, args.calls, concurrency))
                print(json.dumps(figures), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
