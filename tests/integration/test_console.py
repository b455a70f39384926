"""
The console against a real `serve` started with the variables the console prints: a
whole conversation typed line by line, from "Hi" to booked, the artist's Approve tapped
by number like the lead's buttons.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import asyncpg
import httpx
import pytest

from fakes.console import Action, Console, OnPort, graph_responder, serve_env, stripe_responder
from fakes.graph import FakeGraphApi
from fakes.stripe_api import FakeStripe
from loadtest.replicas import ServiceProcess, free_port, service_env
from tests.database import TABLES

pytestmark = pytest.mark.slow

LEAD, ARTIST = "447700900777", "447700900999"
STUDIO_NAME, ARTIST_NAME = "Black Lantern Tattoo", "Mika"


@pytest.fixture
def emptied(database_url: str) -> None:
    """The test database with every table emptied, as the `pool` fixture leaves it."""

    async def empty() -> None:
        con = await asyncpg.connect(database_url)
        try:
            await con.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY")
        finally:
            await con.close()

    asyncio.run(empty())


@pytest.fixture
def console(database_url: str, emptied: None, tmp_path: Path) -> Iterator[Console]:
    """A console whose fakes a `serve` process talks to, started with the printed env, on
    an emptied database (an earlier test's leased rows for the same number would hold
    this lead's replies back)."""
    fake, stripe = FakeGraphApi(), FakeStripe()
    graph_server = OnPort(graph_responder(fake), free_port())
    stripe_server = OnPort(stripe_responder(stripe), free_port())
    printed = serve_env(
        fake,
        stripe,
        graph_port=graph_server.port,
        stripe_port=stripe_server.port,
        secret="dev",
        verify_token="dev",
        artist=ARTIST,
        studio_name=STUDIO_NAME,
        artist_name=ARTIST_NAME,
    )
    base = service_env(  # PATH, the database and fast polls; the console's values win
        database_url,
        printed["WHATSAPP_API_BASE"],
        app_secret="-",
        verify_token="-",
        access_token="-",
        phone_number_id="-",
    )
    process = ServiceProcess("console-serve", {**base, **printed}, tmp_path / "serve.log")
    try:
        asyncio.run(process.start())
        with httpx.Client(base_url=process.base_url, timeout=30.0) as client:
            yield Console(
                fake,
                client,
                stripe=stripe,
                secret="dev",
                lead=LEAD,
                artist=ARTIST,
                lead_name="Ana",
            )
    finally:
        process.kill_now()
        graph_server.close()
        stripe_server.close()
        print(process.log_tail())


def test_from_hi_to_booked_typed_into_the_console(
    console: Console, capsys: pytest.CaptureFixture[str]
) -> None:
    lines = [
        "Hi",
        "a small fox",
        "8",  # the placement list's last row: Other
        "behind my left ear",
        "3 in",
        "2",  # Black & grey
        "next month",
        "/image",
        "1",  # the lead's summary: Yes, send it
        "1",  # the newest open buttons are the artist's packet: Approve
        "/pay",
    ]
    for line in lines:
        assert console.handle(line) is Action.SENT, line
        console.wait_for_replies(20.0, quiet_s=0.8)
    out = capsys.readouterr().out
    print(out)  # the transcript, shown when an assertion fails

    assert f"Thanks for getting in touch with {STUDIO_NAME}." in out
    assert "Where exactly? Tell me in a few words" in out
    assert "• Placement: behind my left ear" in out
    assert "• Size: 7.6 cm" in out
    assert f"[artist -> bot] <tapped 'Approve' id=approve:{LEAD}>" in out
    who = f"Ana (+{LEAD}, https://wa.me/{LEAD})"
    assert f"New enquiry from {who} to {STUDIO_NAME}:" in out
    link_at = out.index(f"{ARTIST_NAME} would love to do this")
    assert out.index("About the deposit:", link_at) < out.index("[stripe -> bot]")
    assert f"booked in at {STUDIO_NAME}" in out
    assert "(no reply within" not in out
