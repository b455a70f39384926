"""
Properties of the behaviour over any sequence of events, from any status: it never
leaves the transition table, never speaks to an opted-out lead until they opt back in,
and never answers one inbound message with two replies.
"""

from __future__ import annotations

from dataclasses import replace

from hypothesis import given, settings
from hypothesis import strategies as st

from actors.lead import (
    ALLOWED,
    MEDIA_ANSWER,
    Answer,
    ArtistActed,
    ArtistAction,
    ConfirmOptOut,
    Event,
    LeadState,
    Message,
    MessageReceived,
    Status,
)
from tests.unit.lead_fixtures import LEAD, NOW, behaviour
from tests.unit.lead_fixtures import script as lead_script

TEXTS = [
    "Hi", "hello", "STOP", " stop ", "Unsubscribe", "start", "START", "human",
    "can I talk to the artist", "a rose", "12", "12 cm", "500 cm", "next month", "flexible",
    "skip", "no", "yes", "edit", "Arm", "Other", "behind my ear", "3 in", "70mm", "Colour", "",
    "🙂",
]  # fmt: skip
REPLIES = ["confirm", "edit", "edit:size", "edit:idea", "edit:placement", "edit:nope", "arm",
           "leg", "other", "colour", "black_grey", "approve:447700900123"]  # fmt: skip
KINDS = ["sticker", "location", "reaction", "audio", "image", "document", "hologram"]


@st.composite
def lead_messages(draw: st.DrawFn, n: int) -> MessageReceived:
    shape = draw(st.sampled_from(["text", "reply", "other"]))
    sent_at = 1_700_000_000 + n + draw(st.sampled_from([0, 0, 0, -50]))  # sometimes older
    text: str | None = None
    reply_id: str | None = None
    media_id: str | None = None
    kind = "text"
    if shape == "text":
        text = draw(st.sampled_from(TEXTS))
    elif shape == "reply":
        kind, reply_id = "interactive", draw(st.sampled_from(REPLIES))
    else:
        kind = draw(st.sampled_from(KINDS))
        media_id = "M1" if kind in ("image", "document") else None
    return MessageReceived(
        message_id=f"wa:p{n}",
        wa_id=LEAD,
        sent_at=sent_at,
        received_at=NOW,
        kind=kind,
        text=text,
        reply_id=reply_id,
        media_id=media_id,
    )


@st.composite
def events(draw: st.DrawFn) -> list[Event]:
    out: list[Event] = []
    for n in range(draw(st.integers(min_value=1, max_value=25))):
        if draw(st.integers(0, 4)) == 0:
            action = draw(st.sampled_from(list(ArtistAction)))
            via = draw(st.sampled_from(["whatsapp", "admin"]))
            out.append(ArtistActed(f"wa:a{n}", LEAD, action, NOW, via))
        else:
            out.append(draw(lead_messages(n)))
    return out


@st.composite
def start_states(draw: st.DrawFn) -> LeadState:
    status = draw(st.sampled_from(list(Status)))
    answers = (
        Answer("idea", "a rose", "wa:1", 1),
        Answer("placement", "arm", "wa:2", 2),
        Answer("reference", MEDIA_ANSWER, "wa:3", 3, media_id="M0"),
    )
    state = LeadState(wa_id=LEAD, status=status, name=draw(st.sampled_from([None, "Ana"])))
    if status in (Status.QUALIFYING, Status.STALE):
        question = draw(st.sampled_from(["idea", "placement", "size", "colour", "reference"]))
        state = replace(state, current_question=question, answers=answers[:2])
        if question == "placement":  # perhaps after "Other", waiting to hear where
            state = replace(state, follow_up=draw(st.sampled_from([None, "other"])))
    elif status is not Status.NEW:
        state = replace(state, answers=answers)
    if status in (Status.NEEDS_ARTIST_REPLY, Status.STALE):
        resume = draw(st.sampled_from([Status.QUALIFYING, Status.CONFIRMING, Status.BOOKED]))
        state = replace(state, resume_status=resume)
    return state


def _reachable(source: Status, target: Status, hops: int = 3) -> bool:
    frontier = {source}
    for _ in range(hops):
        frontier = {t for s in frontier for t in ALLOWED[s]} | frontier
        if target in frontier:
            return True
    return False


def _to_lead(effects: tuple[object, ...]) -> list[Message]:
    return [e for e in effects if isinstance(e, Message) and e.to == LEAD]


@settings(max_examples=400, deadline=None)
@given(start=start_states(), script=events(), pilot=st.sampled_from([None, frozenset({LEAD})]))
def test_any_sequence_stays_inside_the_rules(
    start: LeadState, script: list[Event], pilot: frozenset[str] | None
) -> None:
    lead = behaviour(pilot=pilot)
    state = start
    for event in script:
        decision = lead.decide(state, event)  # InvalidTransition would fail the test here
        after = decision.state
        assert after.status == state.status or _reachable(state.status, after.status)
        to_lead = _to_lead(decision.effects)

        if isinstance(event, MessageReceived):
            assert len(to_lead) <= 1, "two replies to one inbound message"

        if state.status is Status.OPTOUT and after.status is Status.OPTOUT:
            assert to_lead == [], "spoke to an opted-out lead"
        if state.status is Status.OPTOUT and after.status is not Status.OPTOUT:
            assert isinstance(event, MessageReceived)
            assert lead_script().words.is_opt_in(event.text or ""), "left OPTOUT without opting in"
        if after.status is Status.OPTOUT and state.status is not Status.OPTOUT:
            assert all(isinstance(e, ConfirmOptOut) for e in to_lead)
        if after.status is Status.OPTOUT:
            for effect in to_lead:
                assert isinstance(effect, ConfirmOptOut)

        seqs = [a.seq for a in after.answers]
        assert seqs == sorted(set(seqs)), "answer order must be strict"
        if after.status is Status.QUALIFYING:
            assert after.current_question is not None
        if after.follow_up is not None:
            assert after.current_question == "placement", "a follow-up without its question"
        if after.status is Status.CONFIRMING:
            assert after.follow_up is None
        state = after
