"""The outbox's JSON and the effects it carries: one codec, both ways, old rows included."""

from __future__ import annotations

from typing import Any

import pytest

from actors.lead import (
    FetchMedia,
    MarkRead,
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
    ],
)
def test_a_payload_that_is_no_known_effect_is_refused_with_the_reason(
    channel: str, stored: dict[str, Any]
) -> None:
    with pytest.raises(UndecodableEffect):
        effect_from_json(channel, stored)
