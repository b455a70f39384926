"""
A channel left unconfigured says so in its retry line: which channel, and the setting
that is missing (the relay keeps the row and tries again, so nothing is lost).
"""

from __future__ import annotations

import anyio
import pytest
from structlog.testing import capture_logs

from actors import Backoff, OutboxRelay, WhatsAppSender
from actors.providers.whatsapp.graph import GraphClient
from fakes.graph import FakeGraphApi
from storage import Database
from storage.pool import Pool
from tests.integration.relay_harness import COMPOSER, enqueue
from tests.waiting import eventually

pytestmark = pytest.mark.anyio

LEAD = "447700900321"


async def test_the_retry_line_of_an_unconfigured_sender_names_its_channel_and_setting(
    pool: Pool,
) -> None:
    graph = FakeGraphApi()
    await enqueue(pool, LEAD, ["greeting_anonymous"])
    with capture_logs() as logs, graph.serve() as server:
        async with (
            GraphClient.opened(4) as client,
            anyio.create_task_group() as group,
        ):
            sender = WhatsAppSender(
                client,
                COMPOSER,
                api_base=server.api_base,
                phone_number_id=None,
                access_token=None,
            )
            relay = OutboxRelay(
                Database(pool),
                {"whatsapp": sender},
                backoff=Backoff(base_s=0.02, cap_s=0.05, jitter_s=0.0),
                poll_interval_s=0.02,
            )
            group.start_soon(relay.run)
            await eventually(lambda: any(e["event"] == "relay.retry_scheduled" for e in logs))
            relay.stop()
    line = next(e for e in logs if e["event"] == "relay.retry_scheduled")
    assert line["channel"] == "whatsapp"
    assert line["error_code"] == "not_configured"
    assert "WHATSAPP_ACCESS_TOKEN" in line["reason"]
    assert graph.texts_to(LEAD) == []
