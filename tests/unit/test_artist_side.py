"""
The artist's side, decided purely: what the artist's replies do to a lead, what reaches
the artist while the bot is silent, and who each message to the artist names.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest

from actors.lead import (
    AskQuestion,
    Effect,
    LeadState,
    MediaKind,
    Message,
    MessageReceived,
    RecordEvent,
    RelayReply,
    SendMedia,
    SendMessage,
    Status,
)
from tests.unit.lead_fixtures import (
    ALL_ANSWERED,
    ARTIST,
    LEAD,
    NOW,
    artist_says,
    behaviour,
    media,
    media_item,
    msg,
    reaction,
)

S = Status
HOUR = 3600
RECENT = int(NOW.timestamp()) - HOUR  # the lead wrote an hour ago
LONG_AGO = int(NOW.timestamp()) - 25 * HOUR  # the window closed an hour ago


def lead(status: Status, **fields: object) -> LeadState:
    base = LeadState(
        wa_id=LEAD, status=status, name="Ana", answers=ALL_ANSWERED, last_message_ts=RECENT
    )
    return replace(base, **fields)  # type: ignore[arg-type]


def replied_event(decision_effects: tuple[object, ...]) -> dict[str, object]:
    found = [e for e in decision_effects if isinstance(e, RecordEvent)]
    assert [e.kind for e in found] == ["artist_replied"]
    return dict(found[0].detail)


def test_inside_the_window_the_artists_words_go_to_the_lead_as_they_wrote_them() -> None:
    decision = behaviour().decide(lead(S.NEEDS_ARTIST_REPLY), artist_says("Tuesday at 3?"))
    sends = [e for e in decision.effects if isinstance(e, Message)]
    assert sends == [RelayReply(LEAD, "Tuesday at 3?")]
    assert replied_event(decision.effects)["delivery"] == "free_text"
    assert decision.state.status is S.NEEDS_ARTIST_REPLY


def test_a_day_after_the_leads_last_message_without_a_template_the_artist_is_told_why() -> None:
    state = lead(S.BOOKED, last_message_ts=LONG_AGO)
    decision = behaviour().decide(state, artist_says("See you Friday"))
    sends = [e for e in decision.effects if isinstance(e, Message)]
    assert [(s.to, s.key) for s in sends] == [(ARTIST, "artist_reply_not_sent")]
    assert isinstance(sends[0], SendMessage)
    assert sends[0].params["reason"] == "reason_window"
    assert replied_event(decision.effects)["delivery"] == "not_sent"


def test_a_day_after_with_a_template_configured_the_reply_goes_as_the_template() -> None:
    state = lead(S.BOOKED, last_message_ts=LONG_AGO)
    lead_behaviour = behaviour(templated=frozenset({"artist_reply"}))
    decision = lead_behaviour.decide(state, artist_says("See you Friday"))
    sends = [e for e in decision.effects if isinstance(e, Message)]
    assert [(s.to, s.key) for s in sends] == [(LEAD, "artist_reply")]
    assert replied_event(decision.effects)["delivery"] == "template"


def test_the_window_is_24_hours_to_the_second() -> None:
    state = lead(S.BOOKED, last_message_ts=int((NOW - timedelta(hours=24)).timestamp()) + 1)
    decision = behaviour().decide(state, artist_says("still open"))
    assert replied_event(decision.effects)["delivery"] == "free_text"
    state = replace(state, last_message_ts=state.last_message_ts - 1)
    decision = behaviour().decide(state, artist_says("now closed"))
    assert replied_event(decision.effects)["delivery"] == "not_sent"


@pytest.mark.parametrize("word", ["done", "Done.", " DONE "])
def test_done_hands_the_lead_back_like_the_button(word: str) -> None:
    state = lead(S.NEEDS_ARTIST_REPLY, resume_status=S.QUALIFYING, current_question="size")
    decision = behaviour().decide(state, artist_says(word))
    assert decision.state.status is S.QUALIFYING
    sends = [e for e in decision.effects if isinstance(e, Message)]
    assert sends == [AskQuestion(LEAD, "size", intro="resumed", name="Ana")]


def test_a_done_from_the_admin_api_is_not_relayed_either() -> None:
    state = lead(S.NEEDS_ARTIST_REPLY, resume_status=S.BOOKED)
    decision = behaviour().decide(state, artist_says("done", via="admin"))
    assert decision.state.status is S.BOOKED
    assert not [e for e in decision.effects if isinstance(e, Message) and e.to == LEAD]


def test_writing_to_a_lead_the_bot_is_questioning_takes_the_conversation_over() -> None:
    state = lead(S.QUALIFYING, current_question="size", answers=ALL_ANSWERED[:2])
    decision = behaviour().decide(state, artist_says("I'll take it from here"))
    assert decision.state.status is S.NEEDS_ARTIST_REPLY
    assert decision.state.resume_status is S.QUALIFYING
    after = behaviour().decide(decision.state, msg("ok, 12 cm", ts=RECENT + 60))
    assert [(e.to, e.key) for e in after.effects if isinstance(e, Message)] == [
        (ARTIST, "artist_forward")
    ]


def test_nothing_reaches_a_lead_who_opted_out() -> None:
    decision = behaviour().decide(lead(S.OPTOUT), artist_says("hello?"))
    assert not [e for e in decision.effects if isinstance(e, Message) and e.to == LEAD]
    assert replied_event(decision.effects)["reason"] == "reason_opted_out"


def test_the_artists_picture_goes_as_a_picture() -> None:
    decision = behaviour().decide(
        lead(S.BOOKED), artist_says("the stencil", media_id="MEDIA-ARTIST")
    )
    pictures = [e for e in decision.effects if isinstance(e, SendMedia)]
    assert [(p.to, p.media_id, dict(p.params)) for p in pictures] == [
        (LEAD, "MEDIA-ARTIST", {"text": "the stencil"})
    ]


@pytest.mark.parametrize(
    "status", [S.PENDING_APPROVAL, S.NEEDS_ARTIST_REPLY, S.BOOKING_PENDING, S.BOOKED, S.REJECTED]
)
def test_while_the_bot_is_silent_each_message_is_forwarded_once_naming_the_lead(
    status: Status,
) -> None:
    decision = behaviour().decide(lead(status), msg("Can I bring a friend?", ts=RECENT + 60))
    sends = [e for e in decision.effects if isinstance(e, Message)]
    assert len(sends) == 1
    forward = sends[0]
    assert isinstance(forward, SendMessage)
    assert (forward.to, forward.key) == (ARTIST, "artist_forward")
    assert dict(forward.params) == {
        "name": "Ana",
        "number": f"+{LEAD}",
        "link": f"https://wa.me/{LEAD}",
        "text": "Can I bring a friend?",
    }


def test_a_picture_is_forwarded_as_a_picture() -> None:
    picture = replace(media("image", "MEDIA-LEAD"), sent_at=RECENT + 60)
    decision = behaviour().decide(lead(S.BOOKED), picture)
    assert [(e.to, e.media_id, e.kind) for e in decision.effects if isinstance(e, SendMedia)] == [
        (ARTIST, "MEDIA-LEAD", MediaKind.IMAGE)
    ]


def sent(effects: tuple[Effect, ...]) -> list[tuple[str, str, str | None]]:
    """(to, copy key, media kind or None for a text) of every message, in order."""
    return [
        (e.to, e.caption_key, e.kind.value) if isinstance(e, SendMedia) else (e.to, e.key, None)
        for e in effects
        if isinstance(e, Message)
    ]


@pytest.mark.parametrize("kind", ["video", "document"])
def test_a_video_or_a_document_is_forwarded_as_itself_with_the_lead_named_in_its_caption(
    kind: str,
) -> None:
    item = replace(media_item(kind, "MEDIA-LEAD", caption="like this"), sent_at=RECENT + 60)
    decision = behaviour().decide(lead(S.NEEDS_ARTIST_REPLY), item)
    assert sent(decision.effects) == [(ARTIST, "artist_forward_media", kind)]
    [forward] = [e for e in decision.effects if isinstance(e, SendMedia)]
    assert (forward.media_id, forward.params["name"], forward.params["text"]) == (
        "MEDIA-LEAD",
        "Ana",
        "like this",
    )


def test_a_documents_name_goes_with_it() -> None:
    item = media_item("document", "MEDIA-PDF", filename="sketch.pdf")
    decision = behaviour().decide(lead(S.BOOKED), replace(item, sent_at=RECENT + 60))
    assert [e.filename for e in decision.effects if isinstance(e, SendMedia)] == ["sketch.pdf"]


@pytest.mark.parametrize("kind", ["audio", "sticker"])
def test_a_voice_note_or_a_sticker_is_forwarded_as_itself_after_who_sent_it(kind: str) -> None:
    """Meta takes no caption on audio or a sticker: the artist still learns who it is from."""
    item = replace(media_item(kind, "MEDIA-VOICE"), sent_at=RECENT + 60)
    decision = behaviour().decide(lead(S.NEEDS_ARTIST_REPLY), item)
    assert sent(decision.effects) == [
        (ARTIST, "artist_forward_media_from", None),
        (ARTIST, "artist_forward_media", kind),
    ]
    first = decision.effects[0]
    assert isinstance(first, SendMessage)
    assert dict(first.params) == {
        "name": "Ana",
        "number": f"+{LEAD}",
        "link": f"https://wa.me/{LEAD}",
    }


def test_the_artists_video_goes_to_the_lead_as_a_video() -> None:
    replied = artist_says("how it healed", media_id="MEDIA-VID", kind=MediaKind.VIDEO)
    decision = behaviour().decide(lead(S.NEEDS_ARTIST_REPLY), replied)
    assert sent(decision.effects) == [(LEAD, "artist_reply_media", "video")]


def test_the_artists_words_on_a_voice_note_go_first_as_a_voice_note_has_no_caption() -> None:
    replied = artist_says("listen:", media_id="MEDIA-VOICE", kind=MediaKind.AUDIO)
    decision = behaviour().decide(lead(S.BOOKED), replied)
    assert sent(decision.effects) == [
        (LEAD, "artist_reply", None),
        (LEAD, "artist_reply_media", "audio"),
    ]
    wordless = artist_says(None, media_id="MEDIA-VOICE", kind=MediaKind.AUDIO)
    decision = behaviour().decide(lead(S.BOOKED), wordless)
    assert sent(decision.effects) == [(LEAD, "artist_reply_media", "audio")]


@pytest.mark.parametrize("status", [S.NEEDS_ARTIST_REPLY, S.BOOKED])
def test_a_reaction_to_the_artists_words_reaches_the_artist(status: Status) -> None:
    """A 👍 on the artist's "Friday 2pm?" is an answer: it goes to the artist, not lost."""
    thumbs_up = replace(reaction("\U0001f44d", "artist_reply"), sent_at=RECENT + 60)
    decision = behaviour().decide(lead(status), thumbs_up)
    forwards = [e for e in decision.effects if isinstance(e, SendMessage) and e.to == ARTIST]
    assert [(f.key, f.params["text"]) for f in forwards] == [("artist_forward", "\U0001f44d")]
    assert not [e for e in decision.effects if isinstance(e, Message) and e.to == LEAD]


def test_a_reaction_while_the_bot_asks_goes_nowhere() -> None:
    state = lead(S.QUALIFYING, current_question="size", answers=ALL_ANSWERED[:2])
    decision = behaviour().decide(state, replace(reaction("\u2764", None), sent_at=RECENT + 60))
    assert not [e for e in decision.effects if isinstance(e, Message)]


def test_no_forward_without_an_artist_number_nor_to_the_leads_own_number() -> None:
    message = msg("hello", ts=RECENT + 60)
    assert behaviour(artist=None).decide(lead(S.BOOKED), message).effects == ()
    own = MessageReceived(message.message_id, ARTIST, message.sent_at, NOW, "text", text="hello")
    state = replace(lead(S.BOOKED), wa_id=ARTIST)
    assert not [e for e in behaviour().decide(state, own).effects if isinstance(e, Message)]


def test_the_bot_still_questioning_forwards_nothing() -> None:
    state = lead(S.QUALIFYING, current_question="size", answers=ALL_ANSWERED[:2])
    decision = behaviour().decide(state, msg("12 cm", ts=RECENT + 60))
    assert not [e for e in decision.effects if isinstance(e, Message) and e.to == ARTIST]
