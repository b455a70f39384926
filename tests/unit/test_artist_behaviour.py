"""The artist's actor's rules, with no I/O: where each of the artist's messages goes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from actors.artist import (
    LINK_TTL_S,
    ArtistBehaviour,
    ArtistState,
    ArtistWrote,
    IssueSignInLink,
    KeptMessage,
    LeadWaiting,
    PaymentUnrouted,
    SignInLinks,
    SignInRequested,
)
from actors.copy import load_copy, script_from
from actors.lead import (
    ArtistActed,
    ArtistAction,
    ArtistReplied,
    AskWhichLead,
    MediaKind,
    MessageReceived,
    Outcome,
    RecordEvent,
    SendMessage,
    SendSignInLink,
)
from actors.lead.button_ids import relay_row_id

ARTIST, LEAD, OTHER = "447700900999", "447700900321", "447700900654"
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
WORDS = script_from(load_copy(Path(__file__).resolve().parents[2] / "copy", "en_GB")).words
LINKS = SignInLinks("https://studio.example", "a-key-for-tests")
BEHAVIOUR = ArtistBehaviour(ARTIST, words=WORDS, links=LINKS)


def _said(
    message_id: str = "wa:1", text: str | None = "See you at 3", **fields: object
) -> MessageReceived:
    return MessageReceived(message_id, ARTIST, 0, NOW, "text", text=text, **fields)  # type: ignore[arg-type]


def test_a_tap_on_a_packets_button_is_that_leads_action() -> None:
    decision = BEHAVIOUR.decide(ArtistState(), ArtistWrote(_said(reply_id=f"approve:{LEAD}")))
    assert decision.forward is not None
    assert decision.forward.event == ArtistActed("wa:1", LEAD, ArtistAction.APPROVE, NOW)
    assert decision.effects == ()
    assert not decision.writes


def test_a_swipe_reply_about_a_lead_goes_to_that_lead_as_the_artists_words() -> None:
    decision = BEHAVIOUR.decide(ArtistState(), ArtistWrote(_said(), about_lead=LEAD))
    assert decision.forward is not None
    assert decision.forward.event == ArtistReplied("wa:1", LEAD, NOW, text="See you at 3")
    assert decision.forward.said == {"text": "See you at 3", "media_id": None}
    assert not decision.writes


def test_words_about_no_lead_are_kept_and_the_artist_is_asked_which_lead() -> None:
    waiting = (LeadWaiting(LEAD, "Ana"), LeadWaiting(OTHER, None))
    decision = BEHAVIOUR.decide(ArtistState(), ArtistWrote(_said(), waiting=waiting))
    assert decision.forward is None
    assert decision.writes
    assert decision.state.pending == (KeptMessage("wa:1", "See you at 3"),)
    (question,) = decision.effects
    assert question == AskWhichLead(
        ARTIST,
        choices=(
            (relay_row_id(LEAD, "wa:1"), "Ana", f"+{LEAD}"),
            (relay_row_id(OTHER, "wa:1"), f"+{OTHER}", f"+{OTHER}"),
        ),
    )
    assert decision.inbox_outcome == "asked_which_lead"


def test_with_no_lead_waiting_the_artist_is_told_nothing_was_sent() -> None:
    decision = BEHAVIOUR.decide(ArtistState(), ArtistWrote(_said()))
    assert decision.effects == (SendMessage(ARTIST, "artist_no_leads"),)


def test_a_pick_sends_the_kept_message_as_what_it_is_under_the_picks_own_id() -> None:
    picture = _said("wa:1", "the stencil", media_id="M1")
    kept = BEHAVIOUR.decide(ArtistState(), ArtistWrote(replace_kind(picture, "image"))).state
    pick = _said("wa:2", None, reply_id=relay_row_id(LEAD, "wa:1"))
    decision = BEHAVIOUR.decide(kept, ArtistWrote(pick))
    assert decision.forward is not None
    replied = decision.forward.event
    assert isinstance(replied, ArtistReplied)
    assert (replied.message_id, replied.wa_id, replied.text) == ("wa:2", LEAD, "the stencil")
    assert (replied.media_id, replied.media_kind) == ("M1", MediaKind.IMAGE)


def test_a_pick_naming_no_kept_message_is_not_guessed_onto_the_lead() -> None:
    pick = _said("wa:2", "Ana", reply_id=relay_row_id(LEAD, "wa:unknown"))
    decision = BEHAVIOUR.decide(ArtistState(), ArtistWrote(pick))
    assert decision.forward is None
    assert decision.effects == (SendMessage(ARTIST, "artist_no_leads"),)


def test_only_the_newest_ten_messages_are_kept_for_a_pick() -> None:
    state = ArtistState()
    for n in range(12):
        state = BEHAVIOUR.decide(state, ArtistWrote(_said(f"wa:{n}", f"note {n}"))).state
    assert [kept.message_id for kept in state.pending] == [f"wa:{n}" for n in range(2, 12)]


def test_the_pages_request_is_a_link_named_by_its_id_never_by_its_url() -> None:
    """The page counted the request; the actor issues the link's hash and a message that
    names the link (its URL is made when it is sent)."""
    decision = BEHAVIOUR.decide(ArtistState(), SignInRequested("signin:1", "link-1", NOW))
    assert decision.outcome is Outcome.PROCESSED
    assert decision.effects == (
        IssueSignInLink(LINKS.token_hash("link-1"), LINK_TTL_S),
        SendSignInLink(ARTIST, "link-1"),
    )
    assert LINKS.token("link-1") not in repr(decision)


def test_without_an_artist_number_no_link_goes_anywhere() -> None:
    decision = ArtistBehaviour(None, links=LINKS).decide(
        ArtistState(), SignInRequested("signin:1", "link-1", NOW)
    )
    assert (decision.outcome, decision.effects) == (Outcome.NOT_APPLICABLE, ())


@pytest.mark.parametrize("word", ["link", "Link", " LINK ", "link."])
def test_the_artist_writing_link_gets_a_fresh_link_at_once(word: str) -> None:
    decision = BEHAVIOUR.decide(ArtistState(), ArtistWrote(_said("wa:9", word)))
    (issued, sent) = decision.effects
    assert isinstance(issued, IssueSignInLink)
    assert isinstance(sent, SendSignInLink)
    assert sent.to == ARTIST
    assert issued.token_hash == LINKS.token_hash(sent.link)
    assert decision.forward is None
    assert decision.writes


def test_every_link_message_is_a_new_link() -> None:
    first = BEHAVIOUR.decide(ArtistState(), ArtistWrote(_said("wa:1", "link")))
    second = BEHAVIOUR.decide(ArtistState(), ArtistWrote(_said("wa:2", "link")))
    assert first.effects[1] != second.effects[1]


@pytest.mark.parametrize(
    "fields",
    [
        {"text": "link please"},  # not the whole message
        {"text": "link", "context_id": "wamid.OURS"},  # a swipe-reply: words for a lead
        {"text": "link", "reply_id": "approve:447700900321"},  # a tap
    ],
)
def test_link_only_counts_alone_typed_and_not_as_a_reply(fields: dict[str, str]) -> None:
    decision = BEHAVIOUR.decide(ArtistState(), ArtistWrote(_said("wa:3", **fields)))
    assert not any(isinstance(e, SendSignInLink | IssueSignInLink) for e in decision.effects)


def test_without_a_public_address_the_artist_is_told_links_are_off() -> None:
    behaviour = ArtistBehaviour(ARTIST, words=WORDS)
    decision = behaviour.decide(ArtistState(), ArtistWrote(_said("wa:4", "link")))
    assert decision.effects == (SendMessage(ARTIST, "studio_links_off"),)


def test_a_payment_no_lead_claims_is_kept_with_a_warning() -> None:
    decision = BEHAVIOUR.decide(
        ArtistState(), PaymentUnrouted("stripe:evt_1", "checkout.session.completed", NOW)
    )
    assert decision.effects == (
        RecordEvent(
            "warn",
            "stripe_unrouted",
            {"message_id": "stripe:evt_1", "type": "checkout.session.completed"},
        ),
    )
    assert decision.inbox_outcome == "unrouted"
    assert decision.writes


def replace_kind(message: MessageReceived, kind: str) -> MessageReceived:
    return replace(message, kind=kind)


def test_the_artists_own_deletions_edits_and_system_notices_ask_nothing() -> None:
    for kind in ("revoke", "edit", "system"):
        message = replace(_said(text=None), kind=kind)
        decision = BEHAVIOUR.decide(ArtistState(), ArtistWrote(message, waiting=()))
        assert decision.outcome is Outcome.NOT_APPLICABLE
        assert decision.effects == ()
        assert decision.forward is None
