"""The outbox's JSON and the effects it carries: one codec, both ways, old rows included."""

from __future__ import annotations

from typing import Any

import pytest

from actors.lead import (
    MEDIA_ANSWER,
    Answer,
    AskQuestion,
    AskWhatToEdit,
    AskWhichLead,
    ConfirmBooking,
    ConfirmCancellation,
    ConfirmOptOut,
    FetchMedia,
    LeadState,
    MarkRead,
    MediaKind,
    MirrorLead,
    OfferSlots,
    OutboxEffect,
    ReaskQuestion,
    RefundDeposit,
    RelayReply,
    RequestDepositLink,
    SendBookingNotice,
    SendDepositLink,
    SendMedia,
    SendMessage,
    SendPacket,
    SendSummary,
    UndecodableEffect,
    effect_from_json,
    effect_to_json,
    outbox_channel,
    state_from_json,
    state_to_json,
)

LEAD = "447700900123"
ARTIST = "447700900999"
WHO = {"name": "Ana", "number": f"+{LEAD}", "link": f"https://wa.me/{LEAD}"}
ANSWERS = (("idea", "a fox"), ("placement", "forearm"))
NAMED = {"name": "Ana"}

EFFECTS: list[OutboxEffect] = [
    SendMessage(LEAD, "declined", {"name": "Ana"}),
    SendMessage(LEAD, "declined", as_template=True),
    SendMessage(LEAD, "holding", mark_read="wamid.HBgL"),
    AskQuestion(LEAD, "idea", intro="greeting", name="Ana"),
    AskQuestion(LEAD, "placement", "other", mark_read="wamid.HBgL"),
    ReaskQuestion(LEAD, "size"),
    ReaskQuestion(LEAD, "placement", "other", as_template=True),
    SendSummary(LEAD, ANSWERS, intro="resumed"),
    SendSummary(LEAD, ANSWERS, again=True),
    AskWhatToEdit(LEAD),
    ConfirmOptOut(LEAD, mark_read="wamid.HBgL"),
    SendPacket(ARTIST, LEAD, WHO, ANSWERS),
    SendPacket(ARTIST, LEAD, WHO, ANSWERS, reason="reason_stuck"),
    SendBookingNotice(ARTIST, LEAD, WHO, 1_900_000_000),
    OfferSlots(LEAD, 120, (1_900_000_000, 1_900_007_200), "2030-03-20", "slots_intro"),
    OfferSlots(LEAD, 120, intro="slot_taken"),
    SendDepositLink(LEAD, "https://checkout.stripe.com/c/1", "£50.00"),
    SendDepositLink(LEAD, "https://checkout.stripe.com/c/2", "£50.00", attempt=2),
    ConfirmBooking(LEAD, "£50.00"),
    ConfirmBooking(LEAD, "£50.00", 1_900_000_000),
    ConfirmCancellation(LEAD, 1_900_000_000, forfeit=True),
    AskWhichLead(ARTIST, (("to:1:wa:2", "Ana", "+1"), ("to:3:wa:2", "+3", "+3"))),
    RelayReply(LEAD, "Friday at 2?"),
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


def _wide(key: str, **fields: Any) -> dict[str, Any]:
    """A message row as every one was written before the kinds were typed."""
    row: dict[str, Any] = {"type": "send_message", "to": LEAD, "key": key, "params": {}}
    row |= {"answers": []}
    row |= {"intro": None, "outro": None, "ref": None, "after_opt_out": False}
    return row | {"as_template": False, "slots": [], "later": None, **fields}


@pytest.mark.parametrize(
    ("stored", "expected"),
    [
        (
            _wide("declined", params={"name": "Ana"}),
            SendMessage(LEAD, "declined", NAMED),
        ),
        (
            _wide("questions.idea", params=NAMED, intro="greeting", mark_read="wamid.1"),
            AskQuestion(LEAD, "idea", intro="greeting", name="Ana", mark_read="wamid.1"),
        ),
        (_wide("questions.placement.other"), AskQuestion(LEAD, "placement", "other")),
        (_wide("reask.size", as_template=True), ReaskQuestion(LEAD, "size", as_template=True)),
        (_wide("reask.placement.other"), ReaskQuestion(LEAD, "placement", "other")),
        (
            _wide("summary", answers=[list(a) for a in ANSWERS], intro="resumed"),
            SendSummary(LEAD, ANSWERS, "resumed"),
        ),
        (
            _wide("summary_reask", answers=[["idea", "a fox"]]),
            SendSummary(LEAD, (("idea", "a fox"),), again=True),
        ),
        (_wide("edit_pick"), AskWhatToEdit(LEAD)),
        (_wide("opted_out", after_opt_out=True), ConfirmOptOut(LEAD)),
        (
            _wide(
                "artist_packet", to=ARTIST, params=WHO, ref=LEAD, answers=[list(a) for a in ANSWERS]
            ),
            SendPacket(ARTIST, LEAD, WHO, ANSWERS),
        ),
        (
            _wide("artist_handover", to=ARTIST, params={**WHO, "reason": "reason_asked"}, ref=LEAD),
            SendPacket(ARTIST, LEAD, WHO, (), "reason_asked"),
        ),
        (
            _wide("artist_booked_at", to=ARTIST, params={**WHO, "when": "1900000000"}, ref=LEAD),
            SendBookingNotice(ARTIST, LEAD, WHO, 1_900_000_000),
        ),
        (
            _wide(
                "slots_offer",
                params={"minutes": "120"},
                intro="slots_intro",
                slots=[1_900_000_000],
                later="2030-03-20",
            ),
            OfferSlots(LEAD, 120, (1_900_000_000,), "2030-03-20", "slots_intro"),
        ),
        (_wide("slots_none", intro="slot_taken"), OfferSlots(LEAD, 0, intro="slot_taken")),
        (
            _wide(
                "deposit_link_again",
                params={"url": "https://s/2", "amount": "£50.00"},
                outro="deposit_policy",
            ),
            SendDepositLink(LEAD, "https://s/2", "£50.00", 2),
        ),
        (
            _wide("booked", params={"amount": "£50.00"}, outro="deposit_policy"),
            ConfirmBooking(LEAD, "£50.00"),
        ),
        (
            _wide(
                "booked_at",
                params={"amount": "£50.00", "when": "1900000000"},
                outro="deposit_policy",
            ),
            ConfirmBooking(LEAD, "£50.00", 1_900_000_000),
        ),
        (
            _wide("cancelled", params={"when": "1900000000"}, outro="cancel_refund"),
            ConfirmCancellation(LEAD, 1_900_000_000, forfeit=False),
        ),
        (
            _wide("artist_which_lead", to=ARTIST, choices=[["to:1:wa:2", "Ana", "+1"]]),
            AskWhichLead(ARTIST, (("to:1:wa:2", "Ana", "+1"),)),
        ),
        (_wide("artist_reply", params={"text": "Friday?"}), RelayReply(LEAD, "Friday?")),
    ],
    ids=lambda value: value.get("key") if isinstance(value, dict) else type(value).__name__,
)
def test_a_message_queued_in_the_one_wide_shape_decodes_as_its_kind(
    stored: dict[str, Any], expected: OutboxEffect
) -> None:
    """Rows already in the outbox when the kinds were typed are delivered as before."""
    assert effect_from_json("whatsapp", stored) == expected


def test_a_message_is_read_back_by_its_fields_never_by_its_copy_key() -> None:
    """The copy key is written for the readers that index by it, and never parsed."""
    asked = AskQuestion(LEAD, "placement", "other", intro="resumed")
    stored = effect_to_json(asked)
    assert stored["key"] == "questions.placement.other"
    assert effect_from_json("whatsapp", {**stored, "key": "not.a.question"}) == asked


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
