"""The artist's actor's rules, with no I/O: where each of the artist's messages goes."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from actors.artist import (
    LINK_TTL_S,
    LINKS_ALLOWED,
    ArtistBehaviour,
    ArtistState,
    ArtistWrote,
    IssueSignInLink,
    KeptMessage,
    LeadWaiting,
    PaymentUnrouted,
    SignInRequested,
)
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
)
from actors.lead.button_ids import relay_row_id

ARTIST, LEAD, OTHER = "447700900999", "447700900321", "447700900654"
NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)
BEHAVIOUR = ArtistBehaviour(ARTIST)


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


def test_five_sign_in_links_per_ten_minutes_whoever_asks() -> None:
    state = ArtistState()
    for n in range(LINKS_ALLOWED):
        decision = BEHAVIOUR.decide(state, SignInRequested(f"signin:{n}", f"h{n}", "u", NOW))
        assert decision.outcome is Outcome.PROCESSED
        assert decision.effects == (
            IssueSignInLink(f"h{n}", LINK_TTL_S),
            SendMessage(ARTIST, "studio_sign_in", {"url": "u"}),
        )
        state = decision.state
    sixth = BEHAVIOUR.decide(state, SignInRequested("signin:6", "h6", "u", NOW))
    assert (sixth.outcome, sixth.effects, sixth.writes) == (Outcome.NOT_APPLICABLE, (), False)
    later = NOW + timedelta(seconds=LINK_TTL_S + 1)
    again = BEHAVIOUR.decide(state, SignInRequested("signin:7", "h7", "u", later))
    assert again.outcome is Outcome.PROCESSED
    assert len(again.state.links_sent) == 1  # the old ones are forgotten


def test_without_an_artist_number_no_link_goes_anywhere() -> None:
    decision = ArtistBehaviour(None).decide(
        ArtistState(), SignInRequested("signin:1", "h", "u", NOW)
    )
    assert (decision.outcome, decision.effects) == (Outcome.NOT_APPLICABLE, ())


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
