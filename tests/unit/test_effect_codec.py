"""The outbox's JSON and the effects it carries: one codec, both ways, old rows included."""

from __future__ import annotations

from typing import Any

import pytest

from actors.lead import (
    MEDIA_ANSWER,
    Answer,
    FetchMedia,
    LeadState,
    MarkRead,
    MediaKind,
    MirrorLead,
    OutboxEffect,
    RefundDeposit,
    RequestDepositLink,
    SendMedia,
    SendMessage,
    UndecodableEffect,
    effect_from_json,
    effect_to_json,
    outbox_channel,
    state_from_json,
    state_to_json,
)

EFFECTS: list[OutboxEffect] = [
    SendMessage(
        "447700900123",
        "summary",
        params={"name": "Ana"},
        answers=(("idea", "a fox"), ("placement", "forearm")),
        intro="greeting",
        outro="farewell",
        ref="447700900123",
        after_opt_out=True,
    ),
    SendMessage("447700900999", "artist_packet"),
    SendMessage("447700900123", "declined", as_template=True),
    SendMessage("447700900123", "question_size", mark_read="wamid.HBgL"),
    SendMedia("447700900999", "MEDIA-4", "artist_reference", mark_read="wamid.HBgK"),
    MarkRead("447700900123", "wamid.HBgM"),
    FetchMedia("447700900123", "MEDIA-2", "wa:wamid.HBgN", "image/png", "like this", "abc="),
    FetchMedia("447700900123", "MEDIA-3", "wa:wamid.HBgO"),
    SendMedia("447700900999", "MEDIA-1", "artist_reference", params={"name": "Ana"}),
    SendMedia("447700900999", "MEDIA-5", "artist_forward_media", kind=MediaKind.AUDIO),
    SendMedia(
        "447700900123", "MEDIA-6", "artist_reply_media", kind=MediaKind.DOCUMENT, filename="a.pdf"
    ),
    RequestDepositLink("447700900123", 2),
    RefundDeposit("447700900123", "pi_1", 5000, "gbp", "refund:447700900123:pi_1"),
    RequestDepositLink("447700900123", 1, amount=8050),
    MirrorLead("447700900123"),
]


@pytest.mark.parametrize("effect", EFFECTS, ids=lambda e: type(e).__name__)
def test_every_outbox_effect_survives_the_round_trip(effect: OutboxEffect) -> None:
    stored = effect_to_json(effect)
    assert effect_from_json(outbox_channel(effect), stored) == effect


@pytest.mark.parametrize(
    ("channel", "stored", "expected"),
    [
        (
            "whatsapp",
            {"to": "1", "key": "farewell", "params": {}, "answers": [], "ref": None},
            SendMessage("1", "farewell"),
        ),
        (
            "whatsapp",
            {"to": "2", "media_id": "M", "caption_key": "artist_reference", "params": {}},
            SendMedia("2", "M", "artist_reference"),
        ),
        ("deposit", {"wa_id": "3", "attempt": 1}, RequestDepositLink("3", 1)),
        ("sheets", {"wa_id": "4"}, MirrorLead("4")),
    ],
)
def test_rows_written_before_effects_carried_their_type_still_decode(
    channel: str, stored: dict[str, Any], expected: OutboxEffect
) -> None:
    assert effect_from_json(channel, stored) == expected


@pytest.mark.parametrize(
    ("channel", "stored"),
    [
        ("whatsapp", {}),
        ("whatsapp", {"type": "send_message", "key": "farewell"}),
        ("deposit", {"type": "request_deposit_link", "wa_id": "3", "attempt": "two"}),
        ("stripe_refund", {"type": "refund_deposit", "lead_key": "3", "payment_intent": "pi_1"}),
        ("carrier-pigeon", {"wa_id": "4"}),
        ("whatsapp", {"type": "send_fax", "to": "1"}),
        (
            "whatsapp",
            {
                "type": "send_media",
                "to": "1",
                "media_id": "M",
                "caption_key": "k",
                "kind": "hologram",
            },
        ),
    ],
)
def test_a_payload_that_is_no_known_effect_is_refused_with_the_reason(
    channel: str, stored: dict[str, Any]
) -> None:
    with pytest.raises(UndecodableEffect):
        effect_from_json(channel, stored)


def test_a_media_row_queued_before_the_kind_was_written_is_still_an_image() -> None:
    stored = {"type": "send_media", "to": "1", "media_id": "M", "caption_key": "artist_reference"}
    assert effect_from_json("whatsapp", stored) == SendMedia("1", "M", "artist_reference")
    assert SendMedia("1", "M", "artist_reference").kind is MediaKind.IMAGE


def test_the_kind_is_written_so_a_voice_note_stays_a_voice_note() -> None:
    stored = effect_to_json(SendMedia("1", "M", "artist_forward_media", kind=MediaKind.AUDIO))
    assert stored["kind"] == "audio"
    decoded = effect_from_json("whatsapp", stored)
    assert isinstance(decoded, SendMedia)
    assert decoded.kind is MediaKind.AUDIO


def test_a_snapshots_media_answer_keeps_its_kind_and_an_older_one_reads_as_an_image() -> None:
    """The snapshot shares this codec: a reference sent as a document goes on as one."""
    answer = Answer("reference", MEDIA_ANSWER, "wa:1", 1, "M", MediaKind.DOCUMENT)
    state = LeadState(wa_id="1", answers=(answer,))
    stored = state_to_json(state)
    assert state_from_json(stored) == state
    del stored["answers"][0]["media_kind"]
    assert state_from_json(stored).answers[0].media_kind is MediaKind.IMAGE
