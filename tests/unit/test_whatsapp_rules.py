"""Read receipts, kept media, failed deliveries and preferences, as the pure behaviour decides."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from actors.lead import (
    AskQuestion,
    FetchMedia,
    LeadState,
    MarkRead,
    Message,
    MessageReceived,
    SendMessage,
    Status,
)
from tests.unit.lead_fixtures import (
    ALL_ANSWERED,
    ARTIST,
    LEAD,
    behaviour,
    failed,
    media,
    msg,
    reaction,
)
from tests.unit.lead_fixtures import preference as marketing

S = Status
QUALIFYING = LeadState(
    wa_id=LEAD, status=S.QUALIFYING, current_question="size", answers=ALL_ANSWERED[:2]
)


def read_marks(effects: Sequence[object]) -> list[str | None]:
    return [e.mark_read for e in effects if isinstance(e, Message)]


def test_the_first_reply_marks_the_message_it_answers_read() -> None:
    event = msg("12 cm")
    effects = behaviour(read_receipts=True).decide(QUALIFYING, event).effects
    assert read_marks(effects)[0] == event.message_id.removeprefix("wa:")
    assert set(read_marks(effects)[1:]) <= {None}  # once, on the first reply only
    assert not any(isinstance(e, MarkRead) for e in effects)


def test_no_read_receipt_when_they_are_off() -> None:
    effects = behaviour(read_receipts=False).decide(QUALIFYING, msg("12 cm")).effects
    assert read_marks(effects) == [None] * len(read_marks(effects))
    assert read_marks(effects)


def test_no_read_receipt_for_a_message_that_gets_no_reply() -> None:
    with_artist = replace(QUALIFYING, status=S.NEEDS_ARTIST_REPLY)
    for state, event in [(with_artist, msg("hello?")), (QUALIFYING, media("sticker"))]:
        effects = behaviour(read_receipts=True).decide(state, event).effects
        assert not any(isinstance(e, MarkRead) for e in effects)
        replies_to_lead = [e for e in effects if isinstance(e, Message) and e.to == LEAD]
        assert replies_to_lead == []
        assert all(mark is None for mark in read_marks(effects))  # the artist's forward


def test_an_image_is_fetched_and_kept_with_its_caption() -> None:
    event = replace(
        media("image", "MEDIA7"), text="like this", mime_type="image/png", sha256="abc="
    )
    effects = behaviour().decide(QUALIFYING, event).effects
    assert FetchMedia(LEAD, "MEDIA7", event.message_id, "image/png", "like this", "abc=") in (
        effects
    )


def test_media_is_kept_even_while_the_bot_stays_silent() -> None:
    with_artist = replace(QUALIFYING, status=S.NEEDS_ARTIST_REPLY)
    for kind in ("image", "video", "audio", "document"):
        event = MessageReceived(f"wa:{kind}", LEAD, 1_700_000_000, media("image").received_at,
                                kind, media_id=f"M-{kind}")  # fmt: skip
        effects = behaviour().decide(with_artist, event).effects
        assert [e.media_id for e in effects if isinstance(e, FetchMedia)] == [f"M-{kind}"]


def test_a_sticker_is_not_fetched() -> None:
    effects = behaviour().decide(QUALIFYING, media("sticker")).effects
    assert not any(isinstance(e, FetchMedia) for e in effects)


def test_a_message_refused_outside_the_window_is_resent_as_its_template() -> None:
    event = failed("questions.size", "131047")
    assert isinstance(event.effect, Message)
    event = replace(event, effect=replace(event.effect, mark_read="wamid.lead-said"))
    decision = behaviour().decide(QUALIFYING, event)
    (resend,) = [e for e in decision.effects if isinstance(e, Message)]
    assert isinstance(resend, AskQuestion)  # the same question, now as its template
    assert (resend.to, resend.key, resend.as_template) == (LEAD, "questions.size", True)
    assert resend.mark_read is None  # the message was marked read with the first try


def test_a_template_that_failed_again_is_not_resent() -> None:
    event = failed("questions.size", "131047")
    assert event.effect is not None
    assert isinstance(event.effect, Message)
    event = replace(event, effect=replace(event.effect, as_template=True))
    decision = behaviour().decide(QUALIFYING, event)
    assert [e for e in decision.effects if isinstance(e, Message)] == []


def test_the_artist_hears_of_a_lost_deposit_link_with_the_error() -> None:
    booking = replace(QUALIFYING, status=S.BOOKING_PENDING, name="Ana")
    decision = behaviour().decide(booking, failed("deposit_link", "131026"))
    (notice,) = [e for e in decision.effects if isinstance(e, Message)]
    assert isinstance(notice, SendMessage)
    assert (notice.to, notice.key, notice.params["error"]) == (
        ARTIST,
        "artist_delivery_failed",
        "131026",
    )


def test_marketing_preferences_are_kept_on_the_lead() -> None:
    state = behaviour().decide(QUALIFYING, marketing("stop")).state
    assert state.marketing == "stop"
    assert behaviour().decide(state, marketing("resume")).state.marketing == "resume"


def test_a_thumbs_up_is_silent_outside_the_summary() -> None:
    decision = behaviour(read_receipts=True).decide(QUALIFYING, reaction("\U0001f44d", "summary"))
    assert decision.state.status is S.QUALIFYING
    assert [e for e in decision.effects if isinstance(e, Message | MarkRead)] == []
