"""
WhatsApp as people use it, over HTTP against the fake Graph API: reactions and stickers,
replies with context, read receipts with the typing indicator, media kept, marketing
preferences and Meta's pair rate.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
from typing import Any

import pytest

from fakes.graph import GraphFailure, SentMessage
from fakes.meta import (
    media_message,
    preference_update,
    reaction_message,
    sticker_message,
    text_message,
    webhook,
    with_context,
)
from tests.waiting import eventually
from tests.web.conftest import Running
from tests.web.phone import Phone, meta_timestamp

pytestmark = pytest.mark.anyio

TOKEN = "admin-token-for-tests-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
LEAD = "447700900651"
OTHER = "447700900652"
ARTIST = "447700900999"
THUMBS_UP = "\U0001f44d"
_ids = itertools.count(1)


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"admin_token": TOKEN, "artist_whatsapp_number": ARTIST, "media_max_bytes": 1000}


async def post(running: Running, message: dict[str, Any]) -> None:
    response = await running.post_signed(webhook([message], names={message["from"]: "Ana"}))
    assert response.status_code == 200, await response.get_data(as_text=True)


def next_id() -> str:
    return f"wamid.use.{next(_ids)}"


async def lead_file(running: Running, wa_id: str = LEAD) -> dict[str, Any]:
    response = await running.client.get(f"/admin/leads/{wa_id}", headers=AUTH)
    assert response.status_code == 200
    body: dict[str, Any] = await response.get_json()
    return body


# -- reactions, stickers and replies ---------------------------------------------------


async def test_a_thumbs_up_on_the_summary_confirms_it(running: Running) -> None:
    lead, artist = Phone(running, LEAD), Phone(running, ARTIST, name="Artist")
    summary = await lead.to_the_summary()
    await lead.settle()  # a person reacts once it has arrived, and we know its id by then
    await post(
        running, reaction_message(LEAD, next_id(), summary.wamid, THUMBS_UP, meta_timestamp())
    )
    sent = await lead.next_message()
    assert sent.text.startswith("Thanks! I've sent your request")
    packet = await artist.next_message()
    assert f"approve:{LEAD}" in str(packet.body)
    assert (await lead_file(running))["snapshot"]["status"] == "PENDING_APPROVAL"


async def test_other_reactions_and_stickers_are_recorded_with_no_reply(running: Running) -> None:
    lead = Phone(running, LEAD)
    await lead.say("Hi")
    question = await lead.next_message()
    reacted = next_id()
    await post(
        running, reaction_message(LEAD, reacted, question.wamid, THUMBS_UP, meta_timestamp())
    )
    stuck = next_id()
    await post(running, sticker_message(LEAD, stuck, meta_timestamp()))
    assert await lead.unread() == []
    inbox = {m["message_id"]: m for m in (await lead_file(running))["inbox"]}
    assert inbox[f"wa:{reacted}"]["payload"]["reaction"]["message_id"] == question.wamid
    assert inbox[f"wa:{stuck}"]["payload"]["type"] == "sticker"
    assert {inbox[f"wa:{reacted}"]["outcome"], inbox[f"wa:{stuck}"]["outcome"]} == {"processed"}
    await post(running, text_message(LEAD, next_id(), "a rose with thorns", meta_timestamp()))
    assert "Where on your body" in (await lead.next_message()).text  # it still stood


async def test_a_reply_with_context_is_the_answer_it_is_and_keeps_its_context(
    running: Running,
) -> None:
    lead = Phone(running, LEAD)
    await lead.say("Hi")
    question = await lead.next_message()
    answered = next_id()
    message = text_message(LEAD, answered, "a small swallow", meta_timestamp())
    await post(running, with_context(message, question.wamid, "15550001111"))
    assert "Where on your body" in (await lead.next_message()).text
    body = await lead_file(running)
    kept = next(m for m in body["inbox"] if m["message_id"] == f"wa:{answered}")
    assert kept["payload"]["context"] == {"from": "15550001111", "id": question.wamid}
    assert [a["value"] for a in body["answers"]] == ["a small swallow"]


# -- read and typing -----------------------------------------------------------------------


@pytest.mark.parametrize("settings_overrides", [{"whatsapp_read_receipts": True}])
async def test_the_message_is_marked_read_with_typing_before_the_reply_goes(
    running: Running,
) -> None:
    marked_before: list[bool] = []

    def on_accept(sent: SentMessage) -> None:
        marked_before.append(any(m["message_id"] == said for m in running.graph.read_marks))

    running.graph.listeners.append(on_accept)
    said = next_id()
    await post(running, text_message(LEAD, said, "Hi", meta_timestamp()))
    await eventually(lambda: len(running.graph.to(LEAD)) == 1, what="the greeting")
    (mark,) = running.graph.read_marks
    assert mark == {
        "messaging_product": "whatsapp",
        "status": "read",
        "message_id": said,
        "typing_indicator": {"type": "text"},
    }
    assert marked_before == [True]


@pytest.mark.parametrize("settings_overrides", [{"whatsapp_read_receipts": True}])
async def test_a_failed_read_receipt_never_holds_the_reply_back(running: Running) -> None:
    running.graph.fail_next(GraphFailure.server_error())  # taken by the read receipt
    lead = Phone(running, LEAD)
    await lead.say("Hi")
    assert (await lead.next_message()).text.startswith("Hi Ana!")
    assert running.graph.read_marks == []
    await lead.settle()
    rows = await running.pool.fetch("SELECT status, attempts FROM outbox ORDER BY id")
    assert [(r["status"], r["attempts"]) for r in rows] == [("sent", 1)]


@pytest.mark.parametrize("settings_overrides", [{"whatsapp_read_receipts": False}])
async def test_read_receipts_off_sends_none(running: Running) -> None:
    lead = Phone(running, LEAD)
    await lead.say("Hi")
    await lead.next_message()
    await lead.settle()
    assert running.graph.read_marks == []


# -- media kept ------------------------------------------------------------------------


async def test_a_picture_is_fetched_verified_and_kept_with_its_caption(running: Running) -> None:
    picture = b"\xff\xd8\xff" + b"ink" * 100
    lead = Phone(running, LEAD)
    await lead.say("Hi")
    await lead.next_message()
    await lead.send_image("MEDIA-KEEP-1", caption="like this but smaller")
    # `send_image` registers its own bytes; replace them with ours, as Meta would hold them
    running.graph.add_media("MEDIA-KEEP-2", picture, "image/png")
    digest = base64.b64encode(hashlib.sha256(picture).digest()).decode()
    await post(running, _image(LEAD, "MEDIA-KEEP-2", "the flash sheet one", digest))
    await lead.settle()
    media = {m["media_id"]: m for m in (await lead_file(running))["media"]}
    kept = media["MEDIA-KEEP-2"]
    assert (kept["status"], kept["mime_type"], kept["caption"], kept["size"]) == (
        "stored",
        "image/png",
        "the flash sheet one",
        len(picture),
    )
    assert media["MEDIA-KEEP-1"]["caption"] == "like this but smaller"
    response = await running.client.get(f"/admin/media/{kept['id']}", headers=AUTH)
    assert response.status_code == 200
    body = await response.get_json()
    assert base64.b64decode(body["content_base64"]) == picture
    assert body["item"]["wa_id"] == LEAD


async def test_a_bad_checksum_is_recorded_and_never_shown(running: Running) -> None:
    running.graph.add_media("MEDIA-BAD", b"\xff\xd8\xff tampered", bad_checksum=True)
    await post(running, _image(LEAD, "MEDIA-BAD", None, None))
    (kept,) = await _kept(running)
    assert kept["status"] == "bad_checksum"
    body = await (await running.client.get(f"/admin/media/{kept['id']}", headers=AUTH)).get_json()
    assert body["content_base64"] is None
    assert await running.pool.fetchval("SELECT bytes FROM media") is None


async def test_an_oversize_file_is_recorded_as_too_large_without_its_bytes(
    running: Running,
) -> None:
    running.graph.add_media("MEDIA-BIG", b"x" * 1001, "application/pdf")
    await post(running, _document(LEAD, "MEDIA-BIG"))
    (kept,) = await _kept(running)
    assert (kept["status"], kept["size"]) == ("too_large", 1001)
    assert running.graph.media_downloads == 0  # Meta's size was enough to refuse it
    assert await running.pool.fetchval("SELECT bytes FROM media") is None


async def test_a_media_fetch_that_fails_is_retried_like_a_delivery(running: Running) -> None:
    running.graph.add_media("MEDIA-RETRY", b"\xff\xd8\xff retried")
    running.graph.fail_next_media(GraphFailure.server_error())
    await post(running, _image(LEAD, "MEDIA-RETRY", None, None))
    (kept,) = await _kept(running)
    assert kept["status"] == "stored"

    async def fetched_on_the_second_attempt() -> bool:
        # The row is settled just after the media is kept (acceptances are recorded in
        # batches): wait for it, then count its attempts.
        attempts = await running.pool.fetchval(
            "SELECT attempts FROM outbox WHERE channel = 'media' AND status = 'sent'"
        )
        assert attempts in (None, 2)
        return bool(attempts == 2)

    await eventually(fetched_on_the_second_attempt, what="the media row settled after 2 attempts")


# -- preferences and pacing ------------------------------------------------------------


async def test_stopping_marketing_messages_is_recorded_on_the_lead(running: Running) -> None:
    await Phone(running, LEAD).say("Hi")
    response = await running.post_signed(preference_update(LEAD, "stop", meta_timestamp()))
    assert response.status_code == 200
    assert (await lead_file(running))["snapshot"]["state"]["marketing"] == "stop"


@pytest.mark.parametrize(
    "settings_overrides", [{"relay_backoff_base_s": 0.5, "relay_backoff_cap_s": 1.0}]
)
async def test_the_pair_rate_backs_off_that_recipient_only(running: Running) -> None:
    running.graph.fail_next(GraphFailure.pair_rate_limited())
    first, second = Phone(running, LEAD), Phone(running, OTHER)
    await first.say("Hi")
    await eventually(lambda: running.graph.requests >= 1, what="the first reply's refusal")
    await second.say("Hi")
    await second.next_message()
    assert running.graph.to(LEAD) == []  # still held back
    await first.next_message()
    assert running.graph.sent[0].to == OTHER
    refused = await running.pool.fetchval(
        "SELECT count(*) FROM delivery_attempts WHERE error_code = '131056'"
    )
    assert refused == 1


def _image(wa_id: str, media_id: str, caption: str | None, sha256: str | None) -> dict[str, Any]:
    return media_message(
        wa_id, next_id(), media_id, meta_timestamp(), caption=caption, sha256=sha256
    )


def _document(wa_id: str, media_id: str) -> dict[str, Any]:
    return media_message(
        wa_id, next_id(), media_id, meta_timestamp(), kind="document", mime_type="application/pdf"
    )


async def _kept(running: Running) -> list[dict[str, Any]]:
    async def fetched() -> bool:
        return bool(await running.pool.fetchval("SELECT count(*) FROM media"))

    await eventually(fetched, what="the media kept")
    return list((await lead_file(running))["media"])
