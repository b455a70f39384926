"""
With STUDIO_FILE's price table (`message_prices:`), the studio page's board shows what
each lead's messages cost and the cost per booking of the leads that came in in the
last 30 days, written in the studio's currency as its locale writes money; free types
and messages Meta marks not billable cost nothing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from fakes.meta import status_entry, webhook
from tests.studio_example import example_data
from tests.web.conftest import Running
from tests.web.phone import Phone
from tests.web.studio_harness import PASSWORD, form_token

pytestmark = pytest.mark.anyio

BOOKED, TALKING = "447700900481", "447700900482"
UTILITY = {"billable": True, "pricing_model": "PMP", "category": "utility", "type": "regular"}
MARKETING = {**UTILITY, "category": "marketing"}
FREE = {**UTILITY, "type": "free_customer_service", "billable": False}


@pytest.fixture
def settings_overrides(tmp_path: Path) -> dict[str, Any]:
    studio = example_data()
    studio["message_prices"] = {"currency": "gbp", "utility": 1.5, "marketing": 2}
    path = tmp_path / "studio.yml"
    path.write_text(yaml.safe_dump(studio))
    return {"studio_file": path, "studio_password": PASSWORD}


async def priced(running: Running, phone: Phone, *pricings: dict[str, Any]) -> None:
    """The phone writes until the bot has sent it one message per pricing; Meta prices
    each of those."""
    while len(running.graph.to(phone.wa_id)) < len(pricings):
        await phone.say("Hi")
        await phone.settle()
    sent = running.graph.to(phone.wa_id)
    statuses = [
        status_entry(phone.wa_id, message.wamid, "sent", timestamp=1700000000, pricing=pricing)
        for message, pricing in zip(sent, pricings, strict=False)
    ]
    response = await running.post_signed(webhook([], statuses=statuses))
    assert response.status_code == 200


async def board(running: Running) -> str:
    token = await form_token(await running.client.get("/studio/login"))
    answer = await running.client.post(
        "/studio/login/password", form={"csrf": token, "password": PASSWORD}
    )
    assert answer.status_code == 303
    page = await running.client.get("/studio/")
    assert page.status_code == 200
    text: str = await page.get_data(as_text=True)
    return text


async def test_the_board_shows_each_leads_message_cost_and_the_cost_per_booking(
    running: Running,
) -> None:
    await priced(running, Phone(running, BOOKED), UTILITY, MARKETING, FREE)
    await priced(running, Phone(running, TALKING), UTILITY)
    # The first lead booked (as the studio page reads it: its status).
    await running.pool.execute("UPDATE leads SET status = 'BOOKED' WHERE lead_key = $1", BOOKED)

    page = await board(running)
    assert "messages £3.50" in page  # 1.50 + 2.00 + free
    assert "messages £1.50" in page
    assert "Messages to the leads of the last 30 days: £5.00, 1 booking: £5.00 per booking." in page


async def test_without_bookings_there_is_no_cost_per_booking(running: Running) -> None:
    await priced(running, Phone(running, TALKING), UTILITY)
    page = await board(running)
    assert "Messages to the leads of the last 30 days: £1.50, 0 bookings." in page
