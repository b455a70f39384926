"""
Design approval over HTTP, as the artist and the lead use it, against the fake Graph API
(which refuses an interactive header Meta would refuse): a design sent from the studio
page, or by swipe-replying in WhatsApp with a picture captioned "design ...", reaches the
lead as one message with the picture above Approve / Ask for changes; a change request
(the lead's next words) goes to the artist as a note and shows on the lead's page; an
older design's buttons only get a note; revisions past STUDIO_FILE's free ones add its
drawing fee to the balance; outside WhatsApp's 24 hours nothing goes and the page says why.
"""

from __future__ import annotations

import time
from io import BytesIO
from pathlib import Path
from typing import Any

import pytest
import yaml
from werkzeug.datastructures import FileStorage

from fakes.graph import SentMessage
from tests.pictures import rose_sketch
from tests.studio_example import example_data
from tests.waiting import eventually
from tests.web.conftest import ADMIN_TOKEN, Running
from tests.web.phone import Phone, buttons_of
from tests.web.studio_harness import PASSWORD, form_token

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).resolve().parents[2]
ARTIST = "447700900999"
LEAD = "447700900432"


@pytest.fixture
def studio_keys() -> dict[str, Any]:
    """STUDIO_FILE's design keys for one test (none: no studio file)."""
    return {}


@pytest.fixture
def settings_overrides(tmp_path: Path, studio_keys: dict[str, Any]) -> dict[str, Any]:
    settings: dict[str, Any] = {"artist_whatsapp_number": ARTIST, "studio_password": PASSWORD}
    if studio_keys:
        data = example_data()
        data.update(studio_keys)
        path = tmp_path / "studio.yml"
        path.write_text(yaml.safe_dump(data))
        settings["studio_file"] = path
    return settings


async def signed_in(running: Running) -> None:
    token = await form_token(await running.client.get("/studio/login"))
    answer = await running.client.post(
        "/studio/login/password", form={"csrf": token, "password": PASSWORD}
    )
    assert answer.status_code == 303


async def lead_id(running: Running) -> str:
    found = await running.pool.fetchval("SELECT lead_id::text FROM leads WHERE lead_key = $1", LEAD)
    return str(found)


async def a_lead(running: Running, *, said_at: int | None = None) -> tuple[Phone, str]:
    """Rosa said hi (at `said_at`, seconds since the epoch: default now); the artist is
    signed in to the studio page."""
    lead = Phone(running, LEAD, name="Rosa Diaz")
    await lead.say("Hi", at=said_at)
    if said_at is None:
        await lead.next_message()  # the greeting (an old "Hi" gets none: outside the 24 hours)
    await lead.settle()
    await signed_in(running)
    return lead, await lead_id(running)


async def send_design(running: Running, the_id: str, note: str = "") -> Any:
    token = await form_token(await running.client.get(f"/studio/leads/{the_id}"))
    picture = FileStorage(BytesIO(rose_sketch()), filename="rose.png", content_type="image/png")
    return await running.client.post(
        f"/studio/leads/{the_id}/design",
        form={"csrf": token, "note": note},
        files={"design": picture},
    )


async def admin_file(running: Running) -> dict[str, Any]:
    answer = await running.client.get(
        f"/admin/leads/{LEAD}", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
    )
    assert answer.status_code == 200
    found: dict[str, Any] = await answer.get_json()
    return found


async def lead_page(running: Running, the_id: str) -> str:
    answer = await running.client.get(f"/studio/leads/{the_id}")
    assert answer.status_code == 200
    text: str = await answer.get_data(as_text=True)
    return text


def header_image(message: SentMessage) -> str:
    assert message.type == "interactive"
    header = message.body["interactive"]["header"]
    assert header["type"] == "image"
    return str(header["image"]["id"])


async def next_to_artist(artist: Phone, starting: str) -> SentMessage:
    """The artist's next message whose words start with `starting`."""
    message = await artist.next_message()
    while not message.text.startswith(starting):
        message = await artist.next_message()
    return message


async def test_a_design_from_the_page_is_approved_after_a_change_asked_in_whatsapp(
    running: Running,
) -> None:
    lead, the_id = await a_lead(running)
    artist = Phone(running, ARTIST, name="Artist")

    sent = await send_design(running, the_id, note="A rose on your forearm, 9 cm.")
    assert sent.status_code == 303
    assert "replied=free_text" in sent.headers["location"]
    first = await lead.next_message()
    (upload,) = running.graph.uploads  # the picture, uploaded to Graph as Meta takes it
    assert upload.content == rose_sketch()
    assert header_image(first) == upload.id
    assert "A rose on your forearm, 9 cm." in first.text
    assert buttons_of(first) == {
        "design_approve:1": "Approve",
        "design_changes:1": "Ask for changes",
    }
    assert (await admin_file(running))["design"]["status"] == "sent"

    await lead.tap(first, "design_changes:1")
    asked = await lead.next_message()
    assert asked.text.startswith("Of course! What would you like changed?")
    assert "drawing fee" not in asked.text  # the first two are free
    await lead.say("Could the stem be longer, with two leaves?")
    assert (await lead.next_message()).text.startswith("Thanks, I've passed your changes")
    note = await next_to_artist(artist, "Rosa Diaz")
    assert note.text == (
        f"Rosa Diaz (+{LEAD}, https://wa.me/{LEAD}) asks for changes to the design "
        "(revision 1): Could the stem be longer, with two leaves?"
    )
    found = await admin_file(running)
    assert found["design"]["status"] == "changes_requested"
    assert found["design"]["revisions"] == 1
    assert found["design"]["free_revisions"] == 2
    html = await lead_page(running, the_id)
    card = html[html.index('id="design"') : html.index('class="card events"')]
    assert "Changes asked" in card
    assert "Revision 1" in card
    assert "Could the stem be longer, with two leaves?" in card

    # The artist swipe-replies to the note with the new version, captioned "Design ...".
    await lead.settle()
    await artist.send_media(
        "image", "ARTIST-ROSE-2", "image/png", caption="Design: longer stem", replying_to=note
    )
    second = await lead.next_message()
    assert header_image(second) == "ARTIST-ROSE-2"
    assert "longer stem" in second.text
    assert set(buttons_of(second)) == {"design_approve:2", "design_changes:2"}

    await lead.tap(first, "design_approve:1")  # the old one's button: only a note
    assert (await lead.next_message()).text.startswith("That's an older version")
    assert (await admin_file(running))["design"]["status"] == "sent"  # the latest's

    await lead.tap(second, "design_approve:2")
    assert (await lead.next_message()).text.startswith("Wonderful, the design is approved!")
    told = await next_to_artist(artist, "Rosa Diaz")
    assert told.text == f"Rosa Diaz (+{LEAD}, https://wa.me/{LEAD}) approved the design."
    found = await admin_file(running)
    assert found["design"]["status"] == "approved"
    assert found["design"]["designs"] == 2
    assert found["design"]["approved_at"] is not None
    assert found["balance_minor"] is None  # nothing owed: no price, no fee
    html = await lead_page(running, the_id)
    card = html[html.index('id="design"') : html.index('class="card events"')]
    assert "Design 2" in card
    assert "Approved" in card


async def test_a_picture_without_the_design_word_is_relayed_as_before(running: Running) -> None:
    lead, the_id = await a_lead(running)
    artist = Phone(running, ARTIST, name="Artist")
    token = await form_token(await running.client.get(f"/studio/leads/{the_id}"))
    took = await running.client.post(
        f"/studio/leads/{the_id}/act", form={"csrf": token, "action": "take_over"}
    )
    assert took.status_code == 303
    await lead.say("Here is my idea")
    forwarded = await next_to_artist(artist, "Rosa Diaz (")
    while "Here is my idea" not in forwarded.text:  # the handover's packet came first
        forwarded = await next_to_artist(artist, "Rosa Diaz (")
    await lead.settle()  # the forward's id is known: a reply to it finds the lead
    await artist.send_media(
        "image", "ARTIST-SKETCH", "image/png", caption="A first sketch", replying_to=forwarded
    )
    relayed = await lead.next_message()
    assert relayed.type == "image"
    assert relayed.body["image"] == {"id": "ARTIST-SKETCH", "caption": "A first sketch"}
    assert (await admin_file(running))["design"]["status"] == "none"


@pytest.mark.parametrize(
    "studio_keys", [{"design_free_revisions": 1, "design_drawing_fee_minor": 2500}]
)
async def test_a_change_past_the_free_ones_adds_the_drawing_fee_to_the_balance(
    running: Running,
) -> None:
    lead, the_id = await a_lead(running)
    assert (await send_design(running, the_id)).status_code == 303
    first = await lead.next_message()
    await lead.tap(first, "design_changes:1")
    assert "drawing fee" not in (await lead.next_message()).text  # the one free change
    await lead.say("Smaller petals please")
    await lead.next_message()
    assert (await admin_file(running))["balance_minor"] is None

    assert (await send_design(running, the_id, note="Smaller petals")).status_code == 303
    second = await lead.next_message()
    await lead.tap(second, "design_changes:2")
    asked = await lead.next_message()
    assert "adds a £25.00 drawing fee to what you pay at the studio" in asked.text
    await lead.say("And a little darker")
    await lead.next_message()
    found = await admin_file(running)
    assert found["design"]["revisions"] == 2
    assert found["design"]["free_revisions"] == 1
    assert found["balance_minor"] == 2500
    assert found["money"]["balance_minor"] == 2500
    html = await lead_page(running, the_id)
    card = html[html.index('id="design"') : html.index('class="card events"')]
    assert "Revisions: 2 (1 free)" in card
    assert "Balance: £25.00" in card


async def test_outside_the_24_hours_a_design_is_not_sent_and_the_page_says_why(
    running: Running,
) -> None:
    lead, the_id = await a_lead(running, said_at=int(time.time()) - 2 * 86400)
    before = len(lead.inbox())
    sent = await send_design(running, the_id, note="Your rose")
    assert sent.status_code == 303
    assert "replied=not_sent" in sent.headers["location"]
    assert "reason=reason_window" in sent.headers["location"]
    page = await running.client.get(sent.headers["location"].split("#")[0])
    assert "Not sent: their last message was more than 24 hours ago" in (
        await page.get_data(as_text=True)
    )
    await lead.settle()
    assert len(lead.inbox()) == before
    assert running.graph.uploads == []
    assert (await admin_file(running))["design"]["status"] == "none"


async def test_a_design_must_be_a_picture(running: Running) -> None:
    _lead, the_id = await a_lead(running)
    token = await form_token(await running.client.get(f"/studio/leads/{the_id}"))
    pdf = FileStorage(
        BytesIO(b"%PDF-1.4\n%%EOF\n"), filename="d.pdf", content_type="application/pdf"
    )
    refused = await running.client.post(
        f"/studio/leads/{the_id}/design", form={"csrf": token}, files={"design": pdf}
    )
    assert refused.status_code == 422
    assert "A design goes as a picture" in await refused.get_data(as_text=True)
    await eventually(lambda: _nothing_kept(running), what="no file kept")


async def _nothing_kept(running: Running) -> bool:
    return bool(await running.pool.fetchval("SELECT count(*) FROM studio_files") == 0)
