"""
Screenshots of the studio page at a phone's size, for the README.

    .venv/bin/python -m bench.studio_screenshots [--output-dir docs]

Starts the service on a fresh database (on DATABASE_URL's server, else an embedded
Postgres) with the fake Graph API and Stripe and the example STUDIO_FILE, plays a few
leads through real conversations (one waiting for approval with a reference picture,
one with the artist, one booked who wrote again, one declined, one still answering)
while Meta's delivery reports come back, signs in with the password in Debian's Chromium
at 390x844 and saves `studio-board.png`, `studio-lead.png` and `studio-agenda.png` (the
day of Sam's appointment, with an afternoon blocked), then at 1280x800
`studio-agenda-week.png` (that week).
"""

from __future__ import annotations

import argparse
import asyncio
from pathlib import Path
from typing import Any

import asyncpg
from playwright.async_api import FloatRect

from fakes.graph import FakeGraphApi
from fakes.statuses import StatusReporter
from fakes.stripe_api import encode, event, sign
from storage.migrate import migrate
from storage.pool import open_pool
from tests.database import fresh_database
from tests.pictures import rose_sketch
from tests.web.phone import Phone, buttons_of
from tests.web.studio_harness import ARTIST, PASSWORD, Studio, served_studio

MAYA, TOM, SAM, PRIYA, LUCIA = (
    "447700900101",
    "447700900102",
    "447700900103",
    "447700900104",
    "447700900105",
)


ROOT = Path(__file__).resolve().parents[1]


async def _confirmed(studio: Studio, wa_id: str, name: str) -> Phone:
    lead = Phone(
        studio.running, wa_id, name=name, picture=rose_sketch(), picture_id=f"MEDIA-{wa_id}"
    )
    summary = await lead.to_the_summary()
    await lead.tap(summary, "confirm")
    await lead.next_message()
    return lead


async def _artist_taps(artist: Phone, action: str, wa_id: str) -> None:
    await artist.settle()
    wanted = f"{action}:{wa_id}"
    packet = next(m for m in reversed(artist.inbox()) if wanted in buttons_of(m))
    if action == "decline":  # asks first: then "Yes, decline"
        await artist.tap_sure(packet, wanted)
        return
    await artist.tap(packet, wanted)


async def _demo_leads(studio: Studio) -> None:
    """Five leads, each where a real conversation left it; Meta reports every message read."""

    async def post(payload: dict[str, Any]) -> None:
        assert (await studio.running.post_signed(payload)).status_code == 200

    reporter = StatusReporter(studio.running.graph, post)
    reporter.start()
    artist = Phone(studio.running, ARTIST, name="Artist")  # one phone: its message ids go on
    sam = await _confirmed(studio, SAM, "Sam Chen")
    await _artist_taps(artist, "approve", SAM)
    offer = await sam.next_message()  # the free times: Sam takes the first
    await sam.tap(offer, next(row for row in buttons_of(offer) if row.startswith("slot:")))
    await sam.next_message()  # held
    await sam.next_message()  # the link
    lead_id = await studio.running.pool.fetchval(
        "SELECT lead_id::text FROM leads WHERE lead_key = $1", SAM
    )
    (session,) = studio.stripe.sessions_for(lead_id)
    body = encode(event("checkout.session.completed", studio.stripe.complete(session["id"])))
    header = sign(body, studio.stripe.webhook_secret)
    answer = await studio.running.client.post(
        "/webhooks/stripe", data=body, headers={"Stripe-Signature": header}
    )
    assert answer.status_code == 200
    await sam.next_message()
    await sam.say("Can I bring a friend to the session?")  # forwarded: the bot stays quiet

    await _confirmed(studio, PRIYA, "Priya Nair")
    await _artist_taps(artist, "decline", PRIYA)

    lucia = Phone(studio.running, LUCIA, name="Lucía Fernández")
    await lucia.say("Hola! Do you have space in March?")
    await lucia.answer(await lucia.next_message())
    await lucia.next_message()

    await _confirmed(studio, TOM, "Tom Reilly")
    await _artist_taps(artist, "take_over", TOM)

    await _confirmed(studio, MAYA, "Maya Okafor")
    await artist.settle()
    await reporter.settle()


def main(output_dir: Path) -> None:
    output_dir.mkdir(parents=True, exist_ok=True)
    with fresh_database() as dsn:  # made and dropped outside the event loop
        asyncio.run(_shoot(dsn, output_dir))
    names = ("studio-board.png", "studio-lead.png", "studio-agenda.png", "studio-agenda-week.png")
    print("wrote " + ", ".join(str(output_dir / name) for name in names))


async def _shoot(dsn: str, output_dir: Path) -> None:
    con = await asyncpg.connect(dsn)
    try:
        await migrate(con)
    finally:
        await con.close()
    async with (
        open_pool(dsn, min_size=1, max_size=5) as pool,
        served_studio(
            dsn,
            pool,
            FakeGraphApi(),
            studio_name="Ink & Iron",
            studio_file=ROOT / "studio.example.yml",
        ) as studio,
    ):
        await _demo_leads(studio)
        phone = await studio.phone()
        page = await phone.new_page()
        await page.goto(studio.url("/studio/login"))
        await page.fill("#password", PASSWORD)
        await page.click("text=Sign in with password")
        await page.wait_for_selector("section.group-needs_you")
        await page.screenshot(path=str(output_dir / "studio-board.png"), full_page=True)
        await page.click("text=Maya Okafor")
        await page.wait_for_selector("#transcript")
        # The top of the page: who, the actions, the answers with the reference picture, the
        # deposit, the first messages with their ticks.
        top: FloatRect = {"x": 0, "y": 0, "width": 390, "height": 2100}
        await page.screenshot(path=str(output_dir / "studio-lead.png"), full_page=True, clip=top)
        day = await _appointment_day(studio)
        await page.goto(studio.url(f"/studio/agenda?view=day&date={day}"))
        await page.click("text=Block time off")
        await page.fill("#block-from", "16:00")
        await page.fill("#block-until", "18:00")
        await page.fill("#block-note", "Supplies delivery")
        await page.click("button:text-is('Block')")
        await page.wait_for_selector(".agenda-item.kind-time_off")
        await page.screenshot(path=str(output_dir / "studio-agenda.png"), full_page=True)
        await phone.close()
        desktop = await studio.browser.new_context(viewport={"width": 1280, "height": 800})
        wide = await desktop.new_page()
        await wide.goto(studio.url("/studio/login"))
        await wide.fill("#password", PASSWORD)
        await wide.click("text=Sign in with password")
        await wide.wait_for_selector("section.group-needs_you")
        await wide.goto(studio.url(f"/studio/agenda?view=week&date={day}"))
        await wide.screenshot(path=str(output_dir / "studio-agenda-week.png"))
        await desktop.close()


async def _appointment_day(studio: Studio) -> str:
    """The day of the booked appointment (Sam's) on the studio's clock, YYYY-MM-DD."""
    found = await studio.running.pool.fetchval(
        "SELECT (starts_at AT TIME ZONE 'Europe/London')::date::text FROM appointments"
        " WHERE kind = 'appointment' AND status = 'live'"
    )
    return str(found)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--output-dir", type=Path, default=Path("docs"))
    main(parser.parse_args().output_dir)
