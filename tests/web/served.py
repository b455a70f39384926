"""
The app served over real HTTP on 127.0.0.1 by hypercorn (no browser), for tests that
send many requests at once, as many clients would, to one replica or to several on the
same database.

The app's lifespan runs once, through `test_app()`; hypercorn serves its requests. The
in-process client of the same app (`Served.running`) is there for WhatsApp's side
(`tests.web.phone.Phone`).
"""

from __future__ import annotations

import asyncio
import re
import socket
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
from hypercorn.asyncio import serve
from hypercorn.config import Config
from quart import Quart

from fakes.graph import FakeGraphApi, GraphServer
from storage.pool import Pool
from tests.waiting import eventually
from tests.web.conftest import Running, test_settings
from web import create_app

__all__ = ["Served", "form_token_of", "served"]


@dataclass
class Served:
    running: Running  # the same app, in process: WhatsApp's side
    base_url: str

    def client(self, **kwargs: Any) -> httpx.AsyncClient:
        """A browser-like client of this replica (its own cookies)."""
        limits = httpx.Limits(max_connections=50)
        return httpx.AsyncClient(base_url=self.base_url, timeout=60, limits=limits, **kwargs)


def form_token_of(html: str) -> str:
    """The CSRF token a studio page's forms carry."""
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', html)
    assert found is not None, "no form on the page"
    return found.group(1)


def held_port() -> tuple[str, int]:
    """A socket bound now to a free port of 127.0.0.1, for Hypercorn's `bind` (`fd://`),
    and its port. Taken before the app starts, the port cannot go to another server
    (another xdist worker's) in between, as a port merely found free can."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port: int = sock.getsockname()[1]
    return f"fd://{sock.detach()}", port


def _without_lifespan(app: Quart) -> Any:
    """The app for hypercorn, whose lifespan `test_app()` already runs."""

    async def asgi(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "lifespan":
            await app(scope, receive, send)
            return
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                await send({"type": "lifespan.shutdown.complete"})
                return

    return asgi


@asynccontextmanager
async def served(
    database_url: str, pool: Pool, graph_server: GraphServer, **overrides: Any
) -> AsyncIterator[Served]:
    """One replica of the service, with `overrides` to its settings, over HTTP."""
    app = create_app(test_settings(database_url, graph_server, **overrides))
    bind, port = held_port()
    base_url = f"http://127.0.0.1:{port}"
    async with AsyncExitStack() as stack:
        test_app = app.test_app()
        await test_app.startup()
        stack.push_async_callback(test_app.shutdown)
        fake: FakeGraphApi = graph_server.fake
        running = Running(app, test_app.test_client(), fake, pool)
        config = Config()
        config.bind = [bind]
        config.accesslog = None
        config.backlog = 1024  # hundreds of clients connect at once
        stopped = asyncio.Event()
        server = asyncio.create_task(
            serve(_without_lifespan(app), config, shutdown_trigger=stopped.wait)
        )

        async def stop_server() -> None:
            stopped.set()
            await server

        stack.push_async_callback(stop_server)
        async with httpx.AsyncClient() as probe:

            async def listening() -> bool:
                try:
                    return (await probe.get(f"{base_url}/healthz")).status_code == 200
                except httpx.TransportError:
                    return False

            await eventually(listening, what="the service to listen")
        yield Served(running, base_url)
