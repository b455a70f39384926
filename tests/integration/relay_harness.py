"""
The real relay and WhatsApp sender on real Postgres, talking to the fake Graph API over
HTTP on 127.0.0.1 through the service's own Graph client.

`start(...)` builds and runs one relay with the options a test needs (templates, pacing,
timeouts, attempts); every relay started stops when the test ends. Rows are written
straight into the outbox, as a committed turn would leave them.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any, Protocol

import anyio

from actors import Backoff, Composer, OutboxRelay, WhatsAppSender, load_copy
from actors.providers.whatsapp.graph import GraphClient
from actors.providers.whatsapp.pacing import Pacing
from actors.providers.whatsapp.templates import Templates
from fakes.graph import FakeGraphApi
from storage import Database
from storage.pool import Pool

__all__ = [
    "ARTIST",
    "COMPOSER",
    "COPY_DIR",
    "Event",
    "Start",
    "add_lead",
    "enqueue",
    "events",
    "outcomes",
    "relays",
    "statuses",
]

COPY_DIR = Path(__file__).resolve().parents[2] / "copy"
COMPOSER = Composer(load_copy(COPY_DIR, "en_GB"))
ARTIST = "447700900999"
FAST_BACKOFF = Backoff(base_s=0.02, cap_s=0.1, jitter_s=0.01)
CONNECTIONS = 32  # to Graph: one per delivery under way, at the relay's default
NO_TEMPLATES: Mapping[str, Mapping[str, str]] = {}


class Start(Protocol):
    async def __call__(
        self,
        *,
        max_attempts: int = ...,
        backoff: Backoff = ...,
        templates: Mapping[str, Mapping[str, str]] = ...,
        pacing: Pacing | None = ...,
        timeout_s: float = ...,
        composer: Composer = ...,
    ) -> OutboxRelay: ...


@asynccontextmanager
async def relays(pool: Pool, graph: FakeGraphApi) -> AsyncIterator[Start]:
    """Yield `start`; on exit, stop every relay it started and wait for them."""
    started: list[OutboxRelay] = []
    async with AsyncExitStack() as stack, anyio.create_task_group() as group:
        server = stack.enter_context(graph.serve())

        async def start(
            *,
            max_attempts: int = 5,
            backoff: Backoff = FAST_BACKOFF,
            templates: Mapping[str, Mapping[str, str]] = NO_TEMPLATES,
            pacing: Pacing | None = None,
            timeout_s: float = 5.0,
            composer: Composer = COMPOSER,
        ) -> OutboxRelay:
            client = await stack.enter_async_context(GraphClient.opened(CONNECTIONS))
            sender = WhatsAppSender(
                client,
                composer,
                api_base=server.api_base,
                phone_number_id=graph.phone_number_id,
                access_token=graph.access_token,
                timeout_s=timeout_s,
                templates=Templates.from_config(composer, templates, default_language="en_GB"),
                pacing=pacing,
                artist_number=ARTIST,
            )
            relay = OutboxRelay(
                Database(pool),
                {"whatsapp": sender},
                max_attempts=max_attempts,
                backoff=backoff,
                poll_interval_s=0.02,
            )
            started.append(relay)
            group.start_soon(relay.run)
            return relay

        try:
            yield start
        finally:
            for relay in started:
                relay.stop()


async def enqueue(
    pool: Pool,
    lead: str,
    keys: list[str],
    *,
    to: str | None = None,
    params: Mapping[str, str] | None = None,
    prefix: str = "m",
) -> None:
    """Write one pending row per copy key, in order, as a turn would."""
    for n, key in enumerate(keys):
        await pool.execute(
            "INSERT INTO outbox (lead_key, channel, payload, idempotency_key, correlation_id)"
            " VALUES ($1, 'whatsapp', $2, $3, 'corr-relay')",
            lead,
            {"to": to or lead, "key": key, "params": dict(params or {})},
            f"{prefix}:{lead}:{n}",
        )


async def add_lead(pool: Pool, lead: str, last_inbound_at: datetime | None) -> None:
    await pool.execute(
        "INSERT INTO leads (lead_key, version, status, state, last_inbound_at)"
        " VALUES ($1, 1, 'QUALIFYING', $2, $3)",
        lead,
        {},
        last_inbound_at,
    )


@dataclass(frozen=True)
class Event:
    level: str
    kind: str
    lead_key: str | None
    correlation_id: str | None
    detail: dict[str, Any]


async def events(pool: Pool) -> list[Event]:
    rows = await pool.fetch(
        "SELECT level, kind, lead_key, correlation_id, detail FROM system_events ORDER BY id"
    )
    return [Event(**dict(row)) for row in rows]


async def outcomes(pool: Pool) -> list[tuple[str, str | None]]:
    rows = await pool.fetch(
        "SELECT outcome, error_code FROM delivery_attempts ORDER BY outbox_id, attempt"
    )
    return [(r["outcome"], r["error_code"]) for r in rows]


async def statuses(pool: Pool) -> list[str]:
    return [r["status"] for r in await pool.fetch("SELECT status FROM outbox ORDER BY id")]
