"""
The crash-point matrix: a real `booking-assistant serve` dies at each crash point of a
lead's first message (FAULT_CRASH_AT, `actors.runtime.faults`), is restarted without it, and
Meta delivers the webhook as it does. Every cell ends with the message in the inbox
once, the lead at version 1, and each reply sent exactly once, except the one window
PRODUCT.md allows: a death between the provider's acceptance and our record of it
sends that reply twice.

    point                     the webhook's first delivery  expected sends (N replies)
    turn.locked               no answer (not committed)     each reply once
    turn.written              no answer (not committed)     each reply once
    turn.before_commit        no answer (not committed)     each reply once
    turn.committed            no answer (committed)         each reply once
    relay.claimed             200 or no answer (committed)  each reply once
    relay.provider_accepted   200 or no answer (committed)  the first twice, then once

each x {single: Meta retries until it gets a 200; duplicate: and delivers it once
more after that}. The replies are computed from the pure behaviour and the copy
(`expected` of test_processes), never written down.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any, Literal

import httpx
import pytest

from actors import Composer, load_copy
from actors.runtime.faults import CRASH_EXIT_CODE, CrashPoint
from fakes.graph import FakeGraphApi, GraphServer
from storage.pool import Pool
from tests.integration.conftest import COPY_DIR, LOCALE
from tests.integration.servers import ServiceLauncher, ServiceProcess
from tests.integration.test_processes import (
    LeadScript,
    expected,
    lead_script,
    outbox_drained,
    replies_to,
)
from tests.waiting import eventually

pytestmark = [pytest.mark.anyio, pytest.mark.slow]

Delivery = Literal["single", "duplicate"]

# Points before the commit: the first delivery is never acknowledged, nothing is kept.
BEFORE_COMMIT = frozenset(
    {CrashPoint.TURN_LOCKED, CrashPoint.TURN_WRITTEN, CrashPoint.TURN_BEFORE_COMMIT}
)
# Points in the relay: the turn committed first, and its 200 may or may not have left.
IN_THE_RELAY = frozenset({CrashPoint.RELAY_CLAIMED, CrashPoint.RELAY_PROVIDER_ACCEPTED})


def expected_sends(point: CrashPoint, replies: tuple[dict[str, Any], ...]) -> list[dict[str, Any]]:
    """
    What the Graph API accepts for the lead, in order. The relay claims only a lead's
    oldest pending reply, so the reply in the hands of a relay that dies is the first.
    """
    if point is CrashPoint.RELAY_PROVIDER_ACCEPTED:
        return [replies[0], *replies]  # accepted, unrecorded, sent again after the lease
    return list(replies)


def expected_outcome(point: CrashPoint) -> str:
    """How the restarted process answers the redelivery of an unacknowledged webhook."""
    return "processed" if point in BEFORE_COMMIT else "duplicate"


# -- fixtures ---------------------------------------------------------------------------


@pytest.fixture
def graph() -> Iterator[tuple[FakeGraphApi, GraphServer]]:
    fake = FakeGraphApi()
    server = fake.serve()
    try:
        yield fake, server
    finally:
        server.close()


async def deliver(
    service: ServiceProcess, client: httpx.AsyncClient, script: LeadScript
) -> httpx.Response | httpx.TransportError:
    """One webhook delivery: the response, or the connection error a crash gives Meta."""
    try:
        return await service.post_webhook(client, script.payload(0))
    except httpx.TransportError as error:
        return error


def received(answer: httpx.Response | httpx.TransportError) -> dict[str, int]:
    assert isinstance(answer, httpx.Response), f"no answer: {answer!r}"
    assert answer.status_code == 200, answer.text
    counts: dict[str, int] = answer.json()["received"]
    return counts


def crash_lines(service: ServiceProcess) -> list[dict[str, Any]]:
    lines = service.log_path.read_text(encoding="utf-8", errors="replace").splitlines()
    return [
        json.loads(line)
        for line in lines
        if line.startswith("{") and '"fault.crash_point_reached"' in line
    ]


# -- the matrix -------------------------------------------------------------------------


@pytest.mark.parametrize("delivery", ["single", "duplicate"])
@pytest.mark.parametrize("point", list(CrashPoint), ids=str)
async def test_a_crash_at_any_point_loses_nothing_and_sends_each_reply_once_but_one(
    point: CrashPoint,
    delivery: Delivery,
    launcher: ServiceLauncher,
    graph: tuple[FakeGraphApi, GraphServer],
    pool: Pool,
) -> None:
    """The process dies at `point` (exit 86) while handling a lead's first message and
    is restarted without the fault; Meta redelivers until it gets a 200 (and, for
    "duplicate", once more after). The message is in the inbox once, the lead is at
    version 1, and the Graph API got each reply once, except that a death after the
    provider's acceptance sends the first reply twice."""
    fake, server = graph
    script = lead_script("447700900186", ["hello"])
    replies = expected(Composer(load_copy(COPY_DIR, LOCALE)), script).replies
    assert replies, "a first message is always answered"
    service = await launcher.start(server.base_url, FAULT_CRASH_AT=point.value, RELAY_LEASE_S="1")

    async with httpx.AsyncClient(timeout=10.0) as client:
        first = await deliver(service, client, script)
        exit_code = await service.wait(10.0)
        print(f"first delivery: {first!r}")  # shown when the cell fails
        if point in IN_THE_RELAY and isinstance(first, httpx.Response):
            assert received(first) == {"processed": 1}  # committed, answered, then died
        else:
            assert isinstance(first, httpx.TransportError), f"answered before commit: {first}"

        del service.env["FAULT_CRASH_AT"]
        await service.start()
        if isinstance(first, httpx.TransportError):  # Meta retries until it gets a 200
            assert received(await deliver(service, client, script)) == {expected_outcome(point): 1}
        if delivery == "duplicate":  # and now and then delivers it again anyway
            assert received(await deliver(service, client, script)) == {"duplicate": 1}

        wanted = expected_sends(point, replies)
        await eventually(lambda: outbox_drained(pool), timeout_s=15, what="the outbox to drain")

    assert exit_code == CRASH_EXIT_CODE
    (line,) = crash_lines(service)
    assert (line["point"], line["exit_code"]) == (point.value, CRASH_EXIT_CODE)
    assert replies_to(fake, script.wa_id) == wanted
    assert len(fake.sent) == len(wanted)  # nothing to anyone else
    inbox = await pool.fetch("SELECT payload->>'id' AS meta_id, outcome FROM inbox")
    assert [(r["meta_id"], r["outcome"]) for r in inbox] == [
        (script.messages[0].meta_id, "processed")
    ]
    assert await pool.fetchval("SELECT version FROM leads WHERE lead_key = $1", script.wa_id) == 1
    statuses = await pool.fetch("SELECT status FROM outbox ORDER BY id")
    assert [r["status"] for r in statuses] == ["sent"] * len(replies)
