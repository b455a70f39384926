"""The lead's conversation as a pure function: every step, every transition it makes."""

from __future__ import annotations

import itertools
from dataclasses import replace

import pytest

from actors.lead import (
    ALLOWED,
    MEDIA_ANSWER,
    Answer,
    ArmedTimer,
    ArtistAction,
    AskQuestion,
    ConfirmOptOut,
    Decision,
    DepositSession,
    Effect,
    LeadBehaviour,
    LeadState,
    MediaKind,
    Message,
    Outcome,
    RequestDepositLink,
    SendMedia,
    SendPacket,
    SendSummary,
    Status,
    TimerKind,
    latest_answers,
)
from tests.unit.lead_fixtures import (
    ALL_ANSWERED,
    ARTIST,
    LEAD,
    act,
    behaviour,
    failed,
    media,
    msg,
    preference,
    reaction,
    reply,
)
from tests.unit.steps import Step, fired, keys, paid
from tests.unit.test_appointments import STEPS as APPOINTMENT_STEPS

S = Status
A = ArtistAction

SESSION = DepositSession(1, "cs_1", "https://checkout.test/cs_1", 1_900_000_000)


def at(status: Status, **fields: object) -> LeadState:
    """A lead in `status`, part-way through in the natural way for that status."""
    base = LeadState(wa_id=LEAD, status=status, name="Ana", last_message_ts=1_600_000_000)
    if status in (S.QUALIFYING, S.STALE):
        base = replace(base, current_question="size", answers=ALL_ANSWERED[:2])
    elif status is not S.NEW:
        base = replace(base, answers=ALL_ANSWERED)
    return replace(base, **fields)  # type: ignore[arg-type]


def sends(decision: Decision) -> list[Effect]:
    """What someone will receive (timers and records left out)."""
    return [e for e in decision.effects if isinstance(e, Message)]


STEPS = [
    # 1. first contact
    Step("hi from a new number", at(S.NEW), msg("Hi"), S.QUALIFYING, ["lead:questions.idea"]),
    # 2. qualifying
    Step(
        "a valid answer asks the next question",
        at(S.QUALIFYING),
        msg("12 cm"),
        S.QUALIFYING,
        ["lead:questions.colour"],
    ),
    Step(
        "an invalid answer is re-asked",
        at(S.QUALIFYING),
        msg("huge"),
        S.QUALIFYING,
        ["lead:reask.size"],
    ),
    Step(
        "a second invalid answer hands over",
        at(S.QUALIFYING, failed_attempts=1),
        msg("enormous"),
        S.NEEDS_ARTIST_REPLY,
        ["lead:holding", "artist:artist_handover"],
    ),
    Step(
        "a sticker is recorded with no reply, not counted",
        at(S.QUALIFYING),
        media("sticker"),
        S.QUALIFYING,
        [],
    ),
    Step(
        "a location cannot answer: the unsupported line alone, not the question again",
        at(S.QUALIFYING),
        media("location"),
        S.QUALIFYING,
        ["lead:unsupported"],
    ),
    Step(
        "a reaction while qualifying is recorded with no reply",
        at(S.QUALIFYING),
        reaction("\U0001f44d", "questions.size"),
        S.QUALIFYING,
        [],
    ),
    Step(
        "the last answer shows the summary",
        at(S.QUALIFYING, current_question="reference", answers=ALL_ANSWERED[:5]),
        media("image"),
        S.CONFIRMING,
        ["lead:summary"],
    ),
    Step(
        "asking for a person hands over",
        at(S.QUALIFYING),
        msg("Can I talk to the artist?"),
        S.NEEDS_ARTIST_REPLY,
        ["lead:holding", "artist:artist_handover"],
    ),
    Step("stop opts out", at(S.QUALIFYING), msg("  STOP "), S.OPTOUT, ["lead:opted_out"]),
    # 3. confirming
    Step(
        "yes sends the request to the artist",
        at(S.CONFIRMING),
        reply("confirm"),
        S.PENDING_APPROVAL,
        ["lead:sent_to_artist", "artist:artist_packet", "artist:media"],
    ),
    Step(
        "typed yes counts too",
        at(S.CONFIRMING),
        msg("Yes"),
        S.PENDING_APPROVAL,
        ["lead:sent_to_artist", "artist:artist_packet", "artist:media"],
    ),
    Step(
        "a thumbs-up on the summary confirms it",
        at(S.CONFIRMING),
        reaction("\U0001f44d\U0001f3fd", "summary"),
        S.PENDING_APPROVAL,
        ["lead:sent_to_artist", "artist:artist_packet", "artist:media"],
    ),
    Step(
        "a heart on the summary is recorded with no reply",
        at(S.CONFIRMING),
        reaction("\u2764\ufe0f", "summary"),
        S.CONFIRMING,
        [],
    ),
    Step(
        "a thumbs-up on another message is recorded with no reply",
        at(S.CONFIRMING),
        reaction("\U0001f44d", "questions.size"),
        S.CONFIRMING,
        [],
    ),
    Step(
        "a sticker at the summary is recorded with no reply",
        at(S.CONFIRMING),
        media("sticker"),
        S.CONFIRMING,
        [],
    ),
    Step(
        "edit offers the questions",
        at(S.CONFIRMING),
        reply("edit"),
        S.CONFIRMING,
        ["lead:edit_pick"],
    ),
    Step(
        "picking a question re-asks it",
        at(S.CONFIRMING),
        reply("edit:size"),
        S.QUALIFYING,
        ["lead:questions.size"],
    ),
    Step(
        "the edited answer returns to the summary",
        at(S.QUALIFYING, current_question="size", editing=True, answers=ALL_ANSWERED),
        msg("20cm"),
        S.CONFIRMING,
        ["lead:summary"],
    ),
    Step(
        "anything else shows the summary again",
        at(S.CONFIRMING),
        msg("hmm"),
        S.CONFIRMING,
        ["lead:summary_reask"],
    ),
    Step(
        "asking for a person while confirming",
        at(S.CONFIRMING),
        msg("human"),
        S.NEEDS_ARTIST_REPLY,
        ["lead:holding", "artist:artist_handover", "artist:media"],
    ),
    Step("stop while confirming", at(S.CONFIRMING), msg("stop"), S.OPTOUT, ["lead:opted_out"]),
    # 4-5. the artist decides
    Step(
        "approve asks for a deposit link",
        at(S.PENDING_APPROVAL),
        act(A.APPROVE),
        S.BOOKING_PENDING,
        ["deposit"],
    ),
    Step(
        "decline tells the lead kindly",
        at(S.PENDING_APPROVAL),
        act(A.DECLINE),
        S.REJECTED,
        ["lead:declined"],
    ),
    Step(
        "take over silences the bot",
        at(S.PENDING_APPROVAL),
        act(A.TAKE_OVER),
        S.NEEDS_ARTIST_REPLY,
        ["artist:artist_handover", "artist:media"],
    ),
    Step(
        "the lead waiting for approval gets no chatter: the artist gets their words",
        at(S.PENDING_APPROVAL),
        msg("hello?"),
        S.PENDING_APPROVAL,
        ["artist:artist_forward"],
    ),
    Step(
        "a person while waiting for approval",
        at(S.PENDING_APPROVAL),
        msg("human"),
        S.NEEDS_ARTIST_REPLY,
        ["lead:holding", "artist:artist_handover", "artist:media"],
    ),
    Step(
        "stop while waiting for approval",
        at(S.PENDING_APPROVAL),
        msg("stop"),
        S.OPTOUT,
        ["lead:opted_out"],
    ),
    Step(
        "approve on a lead still qualifying is refused",
        at(S.QUALIFYING),
        act(A.APPROVE),
        S.QUALIFYING,
        ["artist:artist_already_handled"],
        Outcome.NOT_APPLICABLE,
    ),
    Step(
        "admin approve on a lead still qualifying is refused quietly",
        at(S.QUALIFYING),
        act(A.APPROVE, via="admin"),
        S.QUALIFYING,
        [],
        Outcome.NOT_APPLICABLE,
    ),
    # 6. handover
    Step(
        "the bot does not answer: the message is forwarded to the artist",
        at(S.NEEDS_ARTIST_REPLY, resume_status=S.QUALIFYING, current_question="size"),
        msg("hello?"),
        S.NEEDS_ARTIST_REPLY,
        ["artist:artist_forward"],
    ),
    Step(
        "hand back resumes the question",
        at(S.NEEDS_ARTIST_REPLY, resume_status=S.QUALIFYING, current_question="size"),
        act(A.HAND_BACK),
        S.QUALIFYING,
        ["lead:questions.size"],
    ),
    Step(
        "hand back resumes the summary",
        at(S.NEEDS_ARTIST_REPLY, resume_status=S.CONFIRMING),
        act(A.HAND_BACK),
        S.CONFIRMING,
        ["lead:summary"],
    ),
    Step(
        "hand back to waiting for approval",
        at(S.NEEDS_ARTIST_REPLY, resume_status=S.PENDING_APPROVAL),
        act(A.HAND_BACK),
        S.PENDING_APPROVAL,
        [],
    ),
    Step(
        "hand back to waiting for payment",
        at(S.NEEDS_ARTIST_REPLY, resume_status=S.BOOKING_PENDING),
        act(A.RESUME),
        S.BOOKING_PENDING,
        [],
    ),
    Step(
        "hand back to booked",
        at(S.NEEDS_ARTIST_REPLY, resume_status=S.BOOKED),
        act(A.HAND_BACK),
        S.BOOKED,
        [],
    ),
    Step(
        "hand back to rejected",
        at(S.NEEDS_ARTIST_REPLY, resume_status=S.REJECTED),
        act(A.HAND_BACK),
        S.REJECTED,
        [],
    ),
    Step(
        "approve from a handover",
        at(S.NEEDS_ARTIST_REPLY, resume_status=S.PENDING_APPROVAL),
        act(A.APPROVE),
        S.BOOKING_PENDING,
        ["deposit"],
    ),
    Step(
        "decline from a handover",
        at(S.NEEDS_ARTIST_REPLY, resume_status=S.PENDING_APPROVAL),
        act(A.DECLINE),
        S.REJECTED,
        ["lead:declined"],
    ),
    Step(
        "stop during a handover",
        at(S.NEEDS_ARTIST_REPLY, resume_status=S.QUALIFYING),
        msg("stop"),
        S.OPTOUT,
        ["lead:opted_out"],
    ),
    Step(
        "take over a new lead",
        at(S.NEW),
        act(A.TAKE_OVER),
        S.NEEDS_ARTIST_REPLY,
        ["artist:artist_handover"],
    ),
    Step(
        "a new lead asks for a person at once",
        at(S.NEW),
        msg("Human"),
        S.NEEDS_ARTIST_REPLY,
        ["lead:holding", "artist:artist_handover"],
    ),
    Step("stop from a new lead", at(S.NEW), msg("Unsubscribe"), S.OPTOUT, ["lead:opted_out"]),
    # 7. opt-out
    Step("nothing is sent to an opted-out lead", at(S.OPTOUT), msg("hello"), S.OPTOUT, []),
    Step("a second stop is not confirmed twice", at(S.OPTOUT), msg("STOP"), S.OPTOUT, []),
    Step(
        "start opts back in",
        at(S.OPTOUT),
        msg("start"),
        S.QUALIFYING,
        ["lead:questions.idea"],
        via=(S.NEW,),
    ),
    Step(
        "the artist can opt a lead out", at(S.BOOKED), act(A.OPT_OUT), S.OPTOUT, ["lead:opted_out"]
    ),
    # payment and after
    Step(
        "waiting for payment gets no chatter: the artist gets their words",
        at(S.BOOKING_PENDING),
        msg("hi"),
        S.BOOKING_PENDING,
        ["artist:artist_forward"],
    ),
    Step(
        "a person while waiting for payment",
        at(S.BOOKING_PENDING),
        msg("human"),
        S.NEEDS_ARTIST_REPLY,
        ["lead:holding", "artist:artist_handover", "artist:media"],
    ),
    Step(
        "stop while waiting for payment",
        at(S.BOOKING_PENDING),
        msg("stop"),
        S.OPTOUT,
        ["lead:opted_out"],
    ),
    Step(
        "a booked lead asking for a person",
        at(S.BOOKED),
        msg("human"),
        S.NEEDS_ARTIST_REPLY,
        ["lead:holding", "artist:artist_handover", "artist:media"],
    ),
    Step(
        "a rejected lead asking for a person",
        at(S.REJECTED),
        msg("talk to the artist"),
        S.NEEDS_ARTIST_REPLY,
        ["lead:holding", "artist:artist_handover", "artist:media"],
    ),
    Step("a rejected lead opts out", at(S.REJECTED), msg("stop"), S.OPTOUT, ["lead:opted_out"]),
    # silence and restarts
    Step(
        "a reply wakes a stale lead",
        at(S.STALE, resume_status=S.QUALIFYING),
        msg("12"),
        S.QUALIFYING,
        ["lead:questions.colour"],
    ),
    Step(
        "a reply wakes a stale summary",
        at(S.STALE, current_question=None, answers=ALL_ANSWERED),
        reply("confirm"),
        S.PENDING_APPROVAL,
        ["lead:sent_to_artist", "artist:artist_packet", "artist:media"],
        via=(S.QUALIFYING, S.CONFIRMING),
    ),
    Step(
        "a stale lead asking for a person",
        at(S.STALE),
        msg("human"),
        S.NEEDS_ARTIST_REPLY,
        ["lead:holding", "artist:artist_handover"],
        via=(S.QUALIFYING,),
    ),
    Step("a stale lead opts out", at(S.STALE), msg("stop"), S.OPTOUT, ["lead:opted_out"]),
    Step(
        "the artist resumes a stale lead",
        at(S.STALE),
        act(A.RESUME),
        S.QUALIFYING,
        ["lead:questions.size"],
    ),
    Step(
        "the artist resumes a stale summary: one step, straight to it",
        at(S.STALE, current_question=None, answers=ALL_ANSWERED),
        act(A.RESUME),
        S.CONFIRMING,
        ["lead:summary"],
    ),
    Step(
        "the artist takes over a stale lead",
        at(S.STALE),
        act(A.TAKE_OVER),
        S.NEEDS_ARTIST_REPLY,
        ["artist:artist_handover"],
    ),
    Step(
        "a new message restarts an abandoned lead",
        at(S.ABANDONED),
        msg("hi again"),
        S.QUALIFYING,
        ["lead:questions.idea"],
        via=(S.NEW,),
    ),
    Step("an abandoned lead opts out", at(S.ABANDONED), msg("stop"), S.OPTOUT, ["lead:opted_out"]),
    # out of order, pilot, the artist's own number
    Step(
        "an older message is skipped",
        at(S.QUALIFYING),
        msg("12", ts=1_500_000_000),
        S.QUALIFYING,
        [],
        Outcome.OUT_OF_ORDER,
    ),
    Step(
        "a number outside the pilot gets the pilot message",
        at(S.NEW),
        msg("Hi"),
        S.NEW,
        ["lead:pilot"],
        policy={"pilot": frozenset({"441111111111"})},
    ),
    Step(
        "and nothing more",
        at(S.NEW, pilot_notified=True),
        msg("Hi?"),
        S.NEW,
        [],
        policy={"pilot": frozenset({"441111111111"})},
    ),
    Step(
        "an allowlisted number talks normally",
        at(S.NEW),
        msg("Hi"),
        S.QUALIFYING,
        ["lead:questions.idea"],
        policy={"pilot": frozenset({LEAD})},
    ),
    Step(
        "the artist's own chatter is recorded only",
        LeadState(wa_id=ARTIST),
        msg("hello bot", sender=ARTIST),
        S.NEW,
        [],
    ),
    # the deposit (the rules in detail: test_deposits.py)
    Step(
        "a paid deposit books",
        at(S.BOOKING_PENDING, deposit_sessions=(SESSION,), deposit_attempt=1),
        paid("checkout.session.completed"),
        S.BOOKED,
        ["lead:booked", "artist:artist_booked"],
    ),
    Step(
        "a second expiry abandons",
        at(S.BOOKING_PENDING, deposit_sessions=(SESSION,), deposit_attempt=2),
        paid("checkout.session.expired"),
        S.ABANDONED,
        ["lead:deposit_expired", "artist:artist_deposit_expired"],
    ),
    # Meta's reports on our messages
    Step(
        "a message refused outside the window goes again as its template",
        at(S.QUALIFYING),
        failed("questions.size", "131047"),
        S.QUALIFYING,
        ["lead:questions.size"],
    ),
    Step(
        "a deposit link that failed tells the artist",
        at(S.BOOKING_PENDING, deposit_sessions=(SESSION,), deposit_attempt=1),
        failed("deposit_link", "131026"),
        S.BOOKING_PENDING,
        ["artist:artist_delivery_failed"],
    ),
    Step(
        "a booking confirmation that failed tells the artist",
        at(S.BOOKED),
        failed("booked", "131026"),
        S.BOOKED,
        ["artist:artist_delivery_failed"],
    ),
    Step(
        "a failed question is only recorded",
        at(S.QUALIFYING),
        failed("questions.size", "131026"),
        S.QUALIFYING,
        [],
    ),
    Step(
        "a failed packet to the artist is only recorded",
        at(S.PENDING_APPROVAL),
        failed("artist_packet", "131026", to=ARTIST),
        S.PENDING_APPROVAL,
        [],
    ),
    Step(
        "stopping marketing messages is recorded, with no reply",
        at(S.BOOKED),
        preference("stop"),
        S.BOOKED,
        [],
    ),
    # silence (the timers in detail: test_timers.py)
    Step(
        "silence while qualifying goes stale with one reminder",
        at(S.QUALIFYING, timers=(ArmedTimer(TimerKind.STALE, 1_700_000_000),)),
        fired(TimerKind.STALE, 1_700_000_000),
        S.STALE,
        ["lead:reminder"],
    ),
    Step(
        "silence while confirming goes stale with one reminder",
        at(S.CONFIRMING, timers=(ArmedTimer(TimerKind.STALE, 1_700_000_000),)),
        fired(TimerKind.STALE, 1_700_000_000),
        S.STALE,
        ["lead:reminder"],
    ),
    Step(
        "more silence abandons",
        at(S.STALE, timers=(ArmedTimer(TimerKind.ABANDON, 1_700_000_000),)),
        fired(TimerKind.ABANDON, 1_700_000_000),
        S.ABANDONED,
        [],
    ),
]


def run(step: Step) -> Decision:
    pilot = step.policy.get("pilot")
    assert pilot is None or isinstance(pilot, frozenset)
    return behaviour(pilot=pilot).decide(step.state, step.event)


@pytest.mark.parametrize("step", STEPS, ids=[s.name for s in STEPS])
def test_step(step: Step) -> None:
    decision = run(step)
    assert decision.state.status is step.status
    assert keys(decision.effects) == step.effects
    assert decision.outcome is step.outcome


def test_every_row_of_the_transition_table_is_exercised() -> None:
    exercised: set[tuple[Status, Status]] = set()
    paths = [[s.state.status, *s.via, s.status] for s in STEPS] + [
        [s.state.status, *s.via, s.status]
        for s in APPOINTMENT_STEPS  # test_appointments.py
    ]
    for path in paths:
        exercised |= {(a, b) for a, b in itertools.pairwise(path) if a != b}
    table = {(source, target) for source, targets in ALLOWED.items() for target in targets}
    assert exercised <= table
    assert table - exercised == set()


# -- the details a lead or the artist would notice -------------------------------------


def test_greeting_and_first_question_are_one_message_using_the_name() -> None:
    decision = behaviour().decide(LeadState(wa_id=LEAD), msg("Hi", name="Ana"))
    (effect,) = sends(decision)
    assert effect == AskQuestion(LEAD, "idea", intro="greeting", name="Ana")
    assert effect.key == "questions.idea"


def test_without_a_profile_name_the_greeting_is_anonymous() -> None:
    (effect,) = sends(behaviour().decide(LeadState(wa_id=LEAD), msg("Hi")))
    assert isinstance(effect, AskQuestion)
    assert effect.intro == "greeting_anonymous"


def test_answers_are_kept_in_order_and_the_summary_shows_the_latest() -> None:
    lead = behaviour()
    state = LeadState(wa_id=LEAD)
    for event in [
        msg("Hi"),
        msg("a rose"),
        reply("arm"),
        msg("10"),
        reply("colour"),
        msg("next month"),
        msg("skip"),
        reply("edit:size"),
        msg("25 cm"),
    ]:
        decision = lead.decide(state, event)
        state = decision.state
    (summary,) = sends(decision)
    assert isinstance(summary, SendSummary)
    assert summary.key == "summary"
    assert dict(summary.answers)["size"] == "25 cm"
    assert [a.value for a in state.answers if a.question == "size"] == ["10 cm", "25 cm"]
    assert [a.seq for a in state.answers] == list(range(1, 8))


def test_latest_answers_follows_seq_not_list_order() -> None:
    shuffled = [
        Answer("size", "25", "wa:9", 9),
        Answer("idea", "rose", "wa:1", 1),
        Answer("size", "10", "wa:3", 3),
    ]
    latest = latest_answers(shuffled)
    assert {k: a.value for k, a in latest.items()} == {"idea": "rose", "size": "25"}
    assert list(latest) == ["idea", "size"]


def test_the_artist_packet_carries_the_lead_reference_full_number_and_link() -> None:
    decision = behaviour().decide(at(S.CONFIRMING), reply("confirm"))
    packet = decision.effects[1]
    assert isinstance(packet, SendPacket)
    assert (packet.to, packet.lead, packet.key) == (ARTIST, LEAD, "artist_packet")
    assert packet.who == {
        "name": "Ana",
        "number": f"+{LEAD}",
        "link": f"https://wa.me/{LEAD}",
    }
    assert dict(packet.answers)["reference"] == MEDIA_ANSWER
    forward = decision.effects[2]
    assert isinstance(forward, SendMedia)
    assert forward.media_id == "MEDIA9"


def test_a_reference_sent_as_a_document_reaches_the_artist_as_a_document() -> None:
    """A photo sent uncompressed (or a PDF) is a document: as an image Meta refuses it."""
    state = at(S.QUALIFYING, current_question="reference", answers=ALL_ANSWERED[:5])
    answered = behaviour().decide(state, media("document", "MEDIA-PDF"))
    assert answered.state.answers[-1].media_kind is MediaKind.DOCUMENT
    confirmed = behaviour().decide(replace(answered.state, status=S.CONFIRMING), reply("confirm"))
    [reference] = [e for e in confirmed.effects if isinstance(e, SendMedia)]
    assert (reference.media_id, reference.kind) == ("MEDIA-PDF", MediaKind.DOCUMENT)


def test_no_artist_number_means_no_packet() -> None:
    decision = behaviour(artist=None).decide(at(S.CONFIRMING), reply("confirm"))
    assert keys(decision.effects) == ["lead:sent_to_artist"]


def test_only_the_opt_out_confirmation_may_pass_the_opt_out() -> None:
    (confirmation,) = sends(behaviour().decide(at(S.BOOKED), msg("stop")))
    assert isinstance(confirmation, ConfirmOptOut)
    assert confirmation.key == "opted_out"
    (question,) = sends(behaviour().decide(at(S.NEW), msg("hi")))
    assert not isinstance(question, ConfirmOptOut)


def test_each_approval_is_a_new_deposit_attempt() -> None:
    first = behaviour().decide(at(S.PENDING_APPROVAL), act(A.APPROVE))
    again = behaviour().decide(at(S.PENDING_APPROVAL, deposit_attempt=1), act(A.APPROVE))
    assert RequestDepositLink(LEAD, 1) in first.effects
    assert RequestDepositLink(LEAD, 2) in again.effects


def test_handover_remembers_where_the_lead_was() -> None:
    state = behaviour().decide(at(S.CONFIRMING), msg("human")).state
    assert (state.status, state.resume_status) == (S.NEEDS_ARTIST_REPLY, S.CONFIRMING)
    back = behaviour().decide(state, act(A.HAND_BACK))
    assert back.state.status is S.CONFIRMING
    assert back.state.resume_status is None


def test_failed_attempts_reset_after_a_good_answer() -> None:
    lead: LeadBehaviour = behaviour()
    state = lead.decide(at(S.QUALIFYING), msg("huge")).state
    assert state.failed_attempts == 1
    state = lead.decide(state, msg("12")).state
    assert (state.failed_attempts, state.current_question) == (0, "colour")
    state = lead.decide(state, msg("no idea")).state  # not a button: first failure
    assert (state.status, state.failed_attempts) == (S.QUALIFYING, 1)
