"""The app in-process (lifespan included, via `test_app()`), with a fake Graph API served
on 127.0.0.1, which the app's own Graph client calls over HTTP."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pytest
from quart import Quart
from quart.typing import TestClientProtocol

from actors.runtime.clock import Clock
from fakes.graph import FakeGraphApi, GraphServer
from fakes.meta import encode, sign
from fakes.stripe_api import FakeStripe, StripeServer
from storage.pool import Pool
from web import Settings, create_app

if TYPE_CHECKING:  # the harness imports this module, and Playwright: only when a test needs it
    from playwright.async_api import BrowserContext

    from tests.web.studio_harness import Studio

APP_SECRET = "test-app-secret"
VERIFY_TOKEN = "test-verify-token"
# Every test app has one, as a deployment that is scraped does: /metrics needs it.
ADMIN_TOKEN = "test-admin-token-0123456789abcdef0123"


def test_settings(database_url: str, graph: GraphServer, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "whatsapp_app_secret": APP_SECRET,
        "whatsapp_verify_token": VERIFY_TOKEN,
        "admin_token": ADMIN_TOKEN,
        "whatsapp_access_token": graph.fake.access_token,
        "whatsapp_phone_number_id": graph.fake.phone_number_id,
        "whatsapp_api_base": graph.api_base,
        "relay_poll_s": 0.05,
        "relay_backoff_base_s": 0.01,
        "relay_backoff_cap_s": 0.05,
        "actor_idle_s": 5.0,
        "whatsapp_recipient_interval_s": 0.0,  # no pacing: tests reply at machine speed
        # Off unless a test is about them: scripted Graph failures then hit the replies.
        "whatsapp_read_receipts": False,
    }
    values.update(overrides)
    return Settings(**values)


@dataclass
class Running:
    app: Quart
    client: TestClientProtocol
    graph: FakeGraphApi
    pool: Pool

    async def post_signed(self, payload: dict[str, Any], **headers: str) -> Any:
        body = encode(payload)
        return await self.client.post(
            "/webhooks/whatsapp",
            data=body,
            headers={
                "X-Hub-Signature-256": sign(APP_SECRET, body),
                "Content-Type": "application/json",
                **headers,
            },
        )


def stripe_settings(stripe_fake: FakeStripe, stripe_server: StripeServer) -> dict[str, Any]:
    """The settings that point an app at the fake Stripe over HTTP."""
    return {
        "stripe_api_key": stripe_fake.api_key,
        "stripe_api_base": stripe_server.base_url,
        "stripe_webhook_secret": stripe_fake.webhook_secret,
    }


@asynccontextmanager
async def running_app(
    settings: Settings, pool: Pool, graph_server: GraphServer, clock: Clock | None = None
) -> AsyncIterator[Running]:
    """The app of `settings` in-process, lifespan included, on the test's pool and Graph."""
    app = create_app(settings, clock=clock)
    async with app.test_app() as test_app:
        yield Running(app, test_app.test_client(), graph_server.fake, pool)


@pytest.fixture
def graph() -> FakeGraphApi:
    return FakeGraphApi()


@pytest.fixture
def graph_server(graph: FakeGraphApi) -> Iterator[GraphServer]:
    """`graph` over HTTP on 127.0.0.1, where the app's Graph client (aiohttp) calls it."""
    with graph.serve() as server:
        yield server


@pytest.fixture
def stripe_fake() -> FakeStripe:
    return FakeStripe()


@pytest.fixture
def stripe_server(stripe_fake: FakeStripe) -> Iterator[StripeServer]:
    server = stripe_fake.serve()
    yield server
    server.close()


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {}


@pytest.fixture
async def running(
    database_url: str,
    pool: Pool,
    graph_server: GraphServer,
    settings_overrides: dict[str, Any],
) -> AsyncIterator[Running]:
    settings = test_settings(database_url, graph_server, **settings_overrides)
    async with running_app(settings, pool, graph_server) as running:
        yield running


@pytest.fixture
def studio_overrides() -> dict[str, Any]:
    return {}


@pytest.fixture
async def studio(
    database_url: str, pool: Pool, graph: FakeGraphApi, studio_overrides: dict[str, Any]
) -> AsyncIterator[Studio]:
    """The service served over HTTP with the studio page on, and a headless Chromium."""
    from tests.web.studio_harness import served_studio

    async with served_studio(database_url, pool, graph, **studio_overrides) as served:
        yield served


@pytest.fixture
async def phone(studio: Studio) -> AsyncIterator[BrowserContext]:
    """A fresh browser at a phone's size, closed after the test."""
    context = await studio.phone()
    yield context
    await context.close()
