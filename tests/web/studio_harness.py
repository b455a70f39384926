"""
The app served over real HTTP for a real browser: Debian's Chromium driven by Playwright
at a phone's viewport, against fake Graph API and Stripe, on the test database.

The app's lifespan runs once, through `test_app()`, so a test can drive leads through
the in-process client (`Running`, as the other web tests do) while the browser talks to
the same running service through hypercorn on a free port.
"""

from __future__ import annotations

import asyncio
import os
import re
import shutil
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from hypercorn.asyncio import serve
from hypercorn.config import Config
from playwright.async_api import Browser, BrowserContext, ViewportSize, async_playwright
from quart import Quart, Response

from actors.runtime.clock import Clock
from fakes.graph import FakeGraphApi
from fakes.stripe_api import FakeStripe
from storage.pool import Pool
from tests.waiting import eventually
from tests.web.conftest import Running, test_settings
from tests.web.served import held_port
from web import create_app

__all__ = [
    "ARTIST",
    "PASSWORD",
    "PHONE",
    "Studio",
    "chromium_or_skip",
    "form_token",
    "served_studio",
]

ARTIST = "447700900999"
PASSWORD = "studio-password-for-tests"
PHONE: ViewportSize = {"width": 390, "height": 844}  # an iPhone 12-14's CSS viewport
_CHROMIUM = "/usr/bin/chromium"


async def form_token(page: Response) -> str:
    """The CSRF token a studio page's forms carry."""
    found = re.search(r'name="csrf" value="([0-9a-f]+)"', await page.get_data(as_text=True))
    assert found is not None, "no form on the page"
    return found.group(1)


def chromium_or_skip() -> str:
    """Debian's Chromium; without it the browser tests skip locally and fail in CI."""
    found = _CHROMIUM if os.path.exists(_CHROMIUM) else shutil.which("chromium")
    if found is None:
        if os.environ.get("CI"):
            pytest.fail("chromium is not installed (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    return found


@dataclass
class Studio:
    running: Running
    base_url: str
    browser: Browser
    stripe: FakeStripe

    async def phone(self, *, javascript: bool = True) -> BrowserContext:
        """A fresh browser (no cookies) at a phone's size."""
        return await self.browser.new_context(
            viewport=PHONE,
            device_scale_factor=2,
            is_mobile=True,
            has_touch=True,
            java_script_enabled=javascript,
        )

    def url(self, path: str) -> str:
        return self.base_url + path


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
async def served_studio(
    database_url: str,
    pool: Pool,
    graph: FakeGraphApi,
    *,
    clock: Clock | None = None,
    **overrides: Any,
) -> AsyncIterator[Studio]:
    """The service with the studio page on, served on 127.0.0.1, and a headless Chromium
    (on `clock` when given: a test's hand-moved clock)."""
    executable = chromium_or_skip()
    stripe = FakeStripe()
    bind, port = held_port()
    base_url = f"http://127.0.0.1:{port}"
    async with AsyncExitStack() as stack:
        stripe_server = stripe.serve()
        stack.callback(stripe_server.close)
        graph_server = stack.enter_context(graph.serve())
        settings = test_settings(
            database_url,
            graph_server,
            **{  # a test's overrides win, PUBLIC_BASE_URL's included
                "artist_whatsapp_number": ARTIST,
                "public_base_url": base_url,
                "studio_password": PASSWORD,
                "stripe_api_key": stripe.api_key,
                "stripe_api_base": stripe_server.base_url,
                "stripe_webhook_secret": stripe.webhook_secret,
                **overrides,
            },
        )
        app = create_app(settings, clock=clock)
        test_app = app.test_app()
        await test_app.startup()
        stack.push_async_callback(test_app.shutdown)
        running = Running(app, test_app.test_client(), graph, pool)

        config = Config()
        config.bind = [bind]
        config.accesslog = None
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

            await eventually(listening, what="the studio to listen")
        playwright = await stack.enter_async_context(async_playwright())
        browser = await playwright.chromium.launch(executable_path=executable)
        stack.push_async_callback(browser.close)
        yield Studio(running, base_url, browser, stripe)
