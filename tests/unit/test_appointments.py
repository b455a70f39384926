"""
Appointments in the lead's behaviour (STUDIO_FILE on), as a pure function: offering
times, a pick holding one, payment booking it, moving and cancelling it within the
studio's policies, reminders, aftercare and the healed photo.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from actors.lead import (
    ArmedTimer,
    ArtistAction,
    Calendar,
    ClaimSlot,
    ConfirmCancellation,
    Decision,
    Deposit,
    DepositSession,
    LeadBehaviour,
    LeadState,
    Message,
    OfferSlots,
    Outcome,
    Policy,
    RefundDeposit,
    ReleaseSlot,
    ScheduleTimer,
    SendMessage,
    Status,
    TimerFired,
    TimerKind,
    Visit,
)
from actors.lead.invite_links import InviteLinks
from actors.schedule import StudioPolicy
from tests.unit import lead_fixtures
from tests.unit.lead_fixtures import (
    ALL_ANSWERED,
    ARTIST,
    LEAD,
    NOW,
    act,
    media,
    msg,
    reaction,
    reply,
)
from tests.unit.steps import Step, fired, keys, paid
from tests.unit.studio_fixtures import studio

# NOW is Tuesday 24 November 2026, 12:00 in London; the first free slot is a day later.
FIRST_FREE = datetime(2026, 11, 25, 14, 0, tzinfo=UTC)
S, A = Status, ArtistAction
SESSION = DepositSession(1, "cs_1", "https://checkout.test/cs_1", 1_900_000_000)
START = int(FIRST_FREE.timestamp())
VISIT = Visit(START, START + 7200)
SLOT_PICK = f"slot:{START}"
IN_TEN_DAYS = int((NOW + timedelta(days=10)).timestamp())
LATER_VISIT = Visit(IN_TEN_DAYS, IN_TEN_DAYS + 7200)
_NOW_S = int(NOW.timestamp())
STARTED = Visit(_NOW_S - 3600, _NOW_S + 3600)  # under way: a no-show can be marked


def appointments(**studio_fields: object) -> LeadBehaviour:
    policy = Policy(artist_number=ARTIST, studio=studio(**studio_fields), hold_s=3600)
    return LeadBehaviour(lead_fixtures.script(), policy)


# The lead answered "when?" with "flexible": the times are offered from the first free one.
FLEXIBLE = tuple(
    replace(a, value="flexible") if a.question == "timing" else a for a in ALL_ANSWERED
)


def at(status: Status, **fields: object) -> LeadState:
    base = LeadState(wa_id=LEAD, status=status, name="Ana", answers=FLEXIBLE, session_minutes=120)
    return replace(base, **fields)  # type: ignore[arg-type]


TAKEN = Calendar(taken=((FIRST_FREE, FIRST_FREE + timedelta(hours=2, minutes=15)),))
PAID = {"deposit": Deposit.PAID, "payment_intent": "pi_1", "deposit_sessions": (SESSION,)}

STEPS = [
    Step(
        "approve offers free times",
        at(S.PENDING_APPROVAL),
        act(A.APPROVE),
        S.SCHEDULING,
        ["lead:slots_offer"],
    ),
    Step(
        "approve from a handover offers free times",
        at(S.NEEDS_ARTIST_REPLY, resume_status=S.PENDING_APPROVAL),
        act(A.APPROVE),
        S.SCHEDULING,
        ["lead:slots_offer"],
    ),
    Step(
        "a free pick holds it and asks for the link",
        at(S.SCHEDULING),
        reply(f"slot:{START}"),
        S.BOOKING_PENDING,
        ["claim:hold", "lead:slot_held", "deposit"],
    ),
    Step(
        "a taken pick gets fresh times",
        at(S.SCHEDULING),
        reply(f"slot:{START}"),
        S.SCHEDULING,
        ["lead:slots_offer"],
        calendar=TAKEN,
    ),
    Step(
        "the days typed after None of these join the waitlist",
        at(S.SCHEDULING, range_asked=True),
        msg("1 December to 4 December"),
        S.WAITLISTED,
        ["lead:waitlist_joined", "artist:artist_waitlisted"],
    ),
    Step(
        "a tap on a freed time, still free, holds it",
        at(S.WAITLISTED, waitlist=("2026-11-25", "2026-11-30", 1)),
        reply(f"slot:{START}"),
        S.BOOKING_PENDING,
        ["claim:hold", "lead:slot_held", "deposit"],
    ),
    Step(
        "a tap on a freed time someone took is told it has gone",
        at(S.WAITLISTED, waitlist=("2026-11-25", "2026-11-30", 1)),
        reply(f"slot:{START}"),
        S.WAITLISTED,
        ["lead:waitlist_gone"],
        calendar=TAKEN,
    ),
    Step(
        "handed back, a waitlisted lead is on the waitlist again",
        at(
            S.NEEDS_ARTIST_REPLY,
            resume_status=S.WAITLISTED,
            waitlist=("2026-11-25", "2026-11-30", 1),
        ),
        act(A.HAND_BACK),
        S.WAITLISTED,
        [],
    ),
    Step(
        "the day after the waitlist's last day, the lead is told it ended",
        at(S.WAITLISTED, waitlist=("2026-11-25", "2026-11-30", 1)),
        fired(TimerKind.ABANDON, 1_700_000_000),  # as `run` arms it
        S.ABANDONED,
        ["lead:waitlist_ended"],
    ),
    Step(
        "the opt-out word on the waitlist opts out",
        at(S.WAITLISTED, waitlist=("2026-11-25", "2026-11-30", 1)),
        msg("stop"),
        S.OPTOUT,
        ["lead:opted_out"],
    ),
    Step(
        "asking for a person on the waitlist hands over",
        at(S.WAITLISTED, waitlist=("2026-11-25", "2026-11-30", 1)),
        msg("human"),
        S.NEEDS_ARTIST_REPLY,
        ["lead:holding", "artist:artist_handover", "artist:media"],
    ),
    Step(
        "something other than a pick gets the list again",
        at(S.SCHEDULING),
        reply("hello"),
        S.SCHEDULING,
        ["lead:slots_offer"],
    ),
    Step(
        "asking for a person while picking hands over",
        at(S.SCHEDULING),
        msg("human"),
        S.NEEDS_ARTIST_REPLY,
        ["lead:holding", "artist:artist_handover", "artist:media"],
    ),
    Step(
        "the artist takes over while picking",
        at(S.SCHEDULING),
        act(A.TAKE_OVER),
        S.NEEDS_ARTIST_REPLY,
        ["artist:artist_handover", "artist:media"],
    ),
    Step(
        "hand back to picking offers times again",
        at(S.NEEDS_ARTIST_REPLY, resume_status=S.SCHEDULING),
        act(A.HAND_BACK),
        S.SCHEDULING,
        ["lead:slots_offer"],
    ),
    Step(
        "paid: booked at the held time",
        at(S.BOOKING_PENDING, visit=VISIT, deposit=Deposit.LINK_SENT, deposit_sessions=(SESSION,)),
        paid("checkout.session.completed"),
        S.BOOKED,
        ["claim:appointment", "lead:booked_at", "artist:artist_booked_at"],
    ),
    Step(
        "an expired link releases the hold and offers times again",
        at(S.BOOKING_PENDING, visit=VISIT, deposit_attempt=1, deposit_sessions=(SESSION,)),
        paid("checkout.session.expired"),
        S.SCHEDULING,
        ["release", "lead:slots_offer"],
    ),
    Step(
        "a second expiry abandons and releases",
        at(S.BOOKING_PENDING, visit=VISIT, deposit_attempt=2, deposit_sessions=(SESSION,)),
        paid("checkout.session.expired"),
        S.ABANDONED,
        ["release", "lead:deposit_expired", "artist:artist_deposit_expired"],
    ),
    *(
        Step(
            f"the lead cancels {when}",
            at(S.BOOKED, visit=visit, **PAID),
            reply("visit_cancel"),
            S.CANCELLED,
            ["release:cancelled", "lead:cancelled", "artist:artist_lead_cancelled", *refund],
        )
        for when, visit, refund in (
            ("in good time: refunded", LATER_VISIT, ["refund"]),
            ("at short notice: the deposit is kept", VISIT, []),
        )
    ),
    Step(
        "the artist cancels: refunded",
        at(S.BOOKED, visit=VISIT, **PAID),
        act(A.CANCEL),
        S.CANCELLED,
        ["release:cancelled", "lead:cancelled_by_artist", "refund"],
    ),
    Step(
        "offered times and never picked one: abandoned",
        at(S.SCHEDULING),
        fired(TimerKind.ABANDON, 1_700_000_000),
        S.ABANDONED,
        [],
    ),
    Step(
        "after the appointment: done, aftercare",
        at(S.BOOKED, visit=VISIT, **PAID),
        fired(TimerKind.VISIT_DONE, VISIT.ends_at + 7200),
        S.DONE,
        ["artist:artist_visit_ended", "lead:aftercare"],  # Came / No-show, if not asked yet
    ),
    *(
        Step(
            f"asking for a person when {s} hands over",
            at(s, visit=VISIT),
            msg("human"),
            S.NEEDS_ARTIST_REPLY,
            ["lead:holding", "artist:artist_handover", "artist:media"],
        )
        for s in (S.CANCELLED, S.DONE, S.NO_SHOW)
    ),
    *(
        Step(
            f"hand back to {s}", at(S.NEEDS_ARTIST_REPLY, resume_status=s), act(A.HAND_BACK), s, []
        )
        for s in (S.CANCELLED, S.DONE, S.NO_SHOW)
    ),
    *(
        Step(f"stop when {s}", at(s, visit=VISIT), act(A.OPT_OUT), S.OPTOUT, ["lead:opted_out"])
        for s in (S.SCHEDULING, S.CANCELLED, S.DONE, S.NO_SHOW)
    ),
    *(
        Step(
            f"a no-show once {s}: the deposit kept, the lead told",
            at(s, visit=STARTED, **PAID),
            act(A.NO_SHOW),
            S.NO_SHOW,
            ["lead:no_show"],
        )
        for s in (S.BOOKED, S.DONE)
    ),
    Step(
        "a no-show before the appointment starts is refused",
        at(S.BOOKED, visit=VISIT, **PAID),
        act(A.NO_SHOW),
        S.BOOKED,
        ["artist:artist_already_handled"],
        outcome=Outcome.NOT_APPLICABLE,
    ),
    Step(
        "a piece's next session, on the one deposit, is booked at once",
        at(S.BOOKED, sessions=2, session_number=1, rescheduling=True, **PAID),
        reply(SLOT_PICK),
        S.BOOKED,
        ["claim:appointment", "lead:session_booked", "artist:artist_booked_at"],
    ),
    Step(
        "a piece's next session, a deposit each, is held for its own link",
        at(S.BOOKED, sessions=2, session_number=1, rescheduling=True, **PAID),
        reply(SLOT_PICK),
        S.BOOKING_PENDING,
        ["claim:hold", "lead:slot_held", "deposit"],
        policy={"policy": StudioPolicy(deposit_each_session=True)},
    ),
    Step(
        "a piece's next session, its deposit paid after its time went, books at once",
        at(S.BOOKED, sessions=2, session_number=1, rescheduling=True, next_paid=True, **PAID),
        reply(SLOT_PICK),
        S.BOOKED,
        ["claim:appointment", "lead:session_booked", "artist:artist_booked_at"],
        policy={"policy": StudioPolicy(deposit_each_session=True)},
    ),
]


def run(step: Step) -> Decision:
    state = step.state
    timers = {
        TimerKind.VISIT_DONE: ArmedTimer(TimerKind.VISIT_DONE, VISIT.ends_at + 7200),
        TimerKind.ABANDON: ArmedTimer(TimerKind.ABANDON, 1_700_000_000),
    }
    if isinstance(step.event, TimerFired):
        state = replace(state, timers=(timers[step.event.kind],))
    return appointments(**step.policy).decide_on(state, step.event, step.calendar)


@pytest.mark.parametrize("step", STEPS, ids=[s.name for s in STEPS])
def test_step(step: Step) -> None:
    decision = run(step)
    assert decision.state.status is step.status
    assert keys(decision.effects) == step.effects
    assert decision.outcome is step.outcome


# -- the details a lead would notice ---------------------------------------------------------


def test_the_offer_lists_free_times_and_pages_on() -> None:
    decision = appointments().decide_on(at(S.PENDING_APPROVAL), act(A.APPROVE), Calendar())
    offer = next(e for e in decision.effects if isinstance(e, OfferSlots))
    assert offer.intro == "slots_intro"
    assert offer.slots[0] == START
    assert len(offer.slots) == 8  # and "Later dates", and "None of these": ten rows
    assert offer.later is not None
    later = appointments().decide_on(decision.state, reply(f"later:{offer.later}"), Calendar())
    page = next(e for e in later.effects if isinstance(e, OfferSlots))
    assert min(page.slots) > max(offer.slots)


def test_later_dates_start_at_the_first_time_not_shown_and_old_rows_still_page() -> None:
    decision = appointments().decide_on(at(S.PENDING_APPROVAL), act(A.APPROVE), Calendar())
    offer = next(e for e in decision.effects if isinstance(e, OfferSlots))
    assert offer.later is not None
    assert int(offer.later) > max(offer.slots)
    later = appointments().decide_on(decision.state, reply(f"later:{offer.later}"), Calendar())
    page = next(e for e in later.effects if isinstance(e, OfferSlots))
    assert page.slots[0] == int(offer.later)
    day = datetime.fromtimestamp(max(offer.slots), UTC).date() + timedelta(days=1)
    older = appointments().decide_on(decision.state, reply(f"later:{day}"), Calendar())
    paged = next(e for e in older.effects if isinstance(e, OfferSlots))
    assert min(paged.slots) > max(offer.slots)


def test_the_artist_may_approve_a_longer_session() -> None:
    approve = replace(act(A.APPROVE), session_minutes=240)
    decision = appointments().decide_on(at(S.PENDING_APPROVAL), approve, Calendar())
    assert decision.state.session_minutes == 240
    held = appointments().decide_on(decision.state, reply(f"slot:{START}"), Calendar())
    assert held.state.visit == Visit(START, START + 4 * 3600)
    claim = next(e for e in held.effects if isinstance(e, ClaimSlot))
    assert claim.blocked_until == START + 4 * 3600 + 15 * 60  # the buffer after it
    assert claim.expires_at == int(NOW.timestamp()) + 3600  # as long as the link


def test_a_taken_pick_says_so_and_never_holds() -> None:
    decision = appointments().decide_on(at(S.SCHEDULING), reply(f"slot:{START}"), TAKEN)
    offer = next(e for e in decision.effects if isinstance(e, OfferSlots))
    assert offer.intro == "slot_taken"
    assert START not in offer.slots
    assert not any(isinstance(e, ClaimSlot) for e in decision.effects)


def test_reminders_are_armed_at_the_offsets_and_sent_once_each() -> None:
    booked = appointments().decide_on(
        at(S.BOOKING_PENDING, visit=LATER_VISIT, deposit=Deposit.LINK_SENT,
           deposit_sessions=(SESSION,)),
        paid("checkout.session.completed"),
        Calendar(),
    )  # fmt: skip
    armed = {e.kind: e.due_at for e in booked.effects if isinstance(e, ScheduleTimer)}
    assert armed[TimerKind.VISIT_REMINDER] == IN_TEN_DAYS - 2880 * 60
    assert armed[TimerKind.VISIT_DONE] == LATER_VISIT.ends_at + 2 * 3600
    first = appointments().decide(
        booked.state, fired(TimerKind.VISIT_REMINDER, IN_TEN_DAYS - 2880 * 60)
    )
    assert keys(first.effects)[:1] == ["lead:visit_reminder"]
    rearmed = {e.kind: e.due_at for e in first.effects if isinstance(e, ScheduleTimer)}
    assert rearmed == {TimerKind.VISIT_REMINDER: IN_TEN_DAYS - 720 * 60}
    again = appointments().decide(
        first.state, fired(TimerKind.VISIT_REMINDER, IN_TEN_DAYS - 2880 * 60)
    )
    assert keys(again.effects) == []  # the same firing twice: nothing


def test_a_reminder_already_past_at_booking_is_not_sent_late() -> None:
    booked = appointments().decide_on(
        at(S.BOOKING_PENDING, visit=VISIT, deposit=Deposit.LINK_SENT, deposit_sessions=(SESSION,)),
        paid("checkout.session.completed"),
        Calendar(),
    )
    assert booked.state.reminded == (2880,)  # 48 h before is already past; 12 h is not
    armed = {e.kind: e.due_at for e in booked.effects if isinstance(e, ScheduleTimer)}
    assert armed[TimerKind.VISIT_REMINDER] == START - 720 * 60


def test_reschedule_within_policy_moves_it_atomically() -> None:
    lead = at(S.BOOKED, visit=LATER_VISIT, **PAID)
    asked = appointments().decide_on(lead, reply("visit_reschedule"), Calendar())
    assert asked.state.rescheduling
    offer = next(e for e in asked.effects if isinstance(e, OfferSlots))
    assert offer.intro == "reschedule_pick"
    assert not any(isinstance(e, ReleaseSlot) for e in asked.effects)  # kept until a pick
    new_start = offer.slots[-1]
    moved = appointments().decide_on(asked.state, reply(f"slot:{new_start}"), Calendar())
    assert moved.state.status is S.BOOKED
    assert moved.state.visit == Visit(new_start, new_start + 7200)
    assert moved.state.reschedules == 1
    assert keys(moved.effects)[:3] == [
        "claim:appointment",
        "lead:rescheduled",
        "artist:artist_rescheduled",
    ]


def test_reschedule_beyond_policy_is_refused_and_the_artist_told() -> None:
    too_late = appointments().decide_on(
        at(S.BOOKED, visit=VISIT, **PAID), reply("visit_reschedule"), Calendar()
    )
    assert keys(too_late.effects) == ["lead:reschedule_refused", "artist:artist_reschedule_refused"]
    used_up = at(S.BOOKED, visit=LATER_VISIT, reschedules=1, **PAID)
    refused = appointments().decide_on(used_up, reply("visit_reschedule"), Calendar())
    assert keys(refused.effects) == ["lead:reschedule_refused", "artist:artist_reschedule_refused"]
    assert not refused.state.rescheduling


def test_the_cancel_outro_follows_the_notice() -> None:
    early = appointments().decide_on(
        at(S.BOOKED, visit=LATER_VISIT, **PAID), reply("visit_cancel"), Calendar()
    )
    late = appointments().decide_on(
        at(S.BOOKED, visit=VISIT, **PAID), reply("visit_cancel"), Calendar()
    )
    said = [next(e for e in d.effects if isinstance(e, ConfirmCancellation)) for d in (early, late)]
    assert [s.forfeit for s in said] == [False, True]  # "cancel_refund", "cancel_forfeit"
    assert early.state.deposit is Deposit.REFUND_REQUESTED
    assert late.state.deposit is Deposit.PAID


def test_the_artist_cancel_refunds_once_with_a_key_per_payment() -> None:
    decision = appointments().decide(at(S.BOOKED, visit=VISIT, **PAID), act(A.CANCEL))
    refund = next(e for e in decision.effects if isinstance(e, RefundDeposit))
    assert refund == RefundDeposit(LEAD, "pi_1", 5000, "gbp", f"refund:{LEAD}:pi_1:1")
    again = appointments().decide(decision.state, act(A.CANCEL))
    assert not any(isinstance(e, RefundDeposit) for e in again.effects)
    refunded = appointments().decide(decision.state, paid("charge.refunded"))
    assert refunded.state.deposit is Deposit.REFUNDED
    # Reconciled: no alarm, the artist told the money is back with the lead.
    assert keys(refunded.effects) == ["artist:artist_refund_done"]


def test_the_healed_photo_is_asked_for_and_lands_in_the_lead_file() -> None:
    done = at(S.DONE, visit=VISIT, timers=(ArmedTimer(TimerKind.HEALED_PHOTO, 5),))
    asked = appointments().decide(done, fired(TimerKind.HEALED_PHOTO, 5))
    assert keys(asked.effects) == ["lead:healed_photo_request"]
    photo = appointments().decide(asked.state, media("image", "HEALED1"))
    assert photo.state.answers[-1].question == "healed_photo"
    assert photo.state.answers[-1].media_id == "HEALED1"
    assert keys(photo.effects) == ["lead:healed_photo_thanks", "artist:media"]


def test_without_a_studio_approve_asks_for_the_deposit_as_before() -> None:
    plain = LeadBehaviour(lead_fixtures.script(), Policy(artist_number=ARTIST))
    decision = plain.decide(at(S.PENDING_APPROVAL), act(A.APPROVE))
    assert decision.state.status is S.BOOKING_PENDING
    assert keys(decision.effects) == ["deposit"]
    assert not plain.reads_calendar(at(S.SCHEDULING))


def test_a_cancel_from_the_reminder_counts_while_picking_a_new_time() -> None:
    moving = at(S.BOOKED, visit=LATER_VISIT, rescheduling=True, **PAID)
    decision = appointments().decide_on(moving, reply("visit_cancel"), Calendar())
    assert decision.state.status is S.CANCELLED
    assert not decision.state.rescheduling


def test_a_reaction_while_picking_a_new_time_gets_no_reply() -> None:
    """A 👍 is no pick: the lead is not offered the times again; the artist sees it."""
    moving = at(S.BOOKED, visit=LATER_VISIT, rescheduling=True, **PAID)
    decision = appointments().decide_on(moving, reaction("\U0001f44d", "rescheduled"), Calendar())
    assert keys(decision.effects) == ["artist:artist_forward"]
    assert decision.state.rescheduling


def test_offered_times_arm_the_abandon_timer_and_a_pick_disarms_it() -> None:
    offered = appointments().decide_on(at(S.PENDING_APPROVAL), act(A.APPROVE), Calendar())
    armed = {e.kind: e.due_at for e in offered.effects if isinstance(e, ScheduleTimer)}
    assert armed == {TimerKind.ABANDON: int(NOW.timestamp()) + 172800}
    held = appointments().decide_on(offered.state, reply(SLOT_PICK), Calendar())
    assert not any(t.kind is TimerKind.ABANDON for t in held.state.timers)


def test_the_booking_and_a_move_send_the_lead_their_own_calendar_link() -> None:
    invites = InviteLinks.derived("https://studio.test/", "k" * 40)
    policy = Policy(artist_number=ARTIST, studio=studio(), hold_s=3600, invites=invites)
    behaviour = LeadBehaviour(lead_fixtures.script(), policy)
    booked = behaviour.decide_on(
        at(S.BOOKING_PENDING, visit=LATER_VISIT, deposit=Deposit.LINK_SENT,
           deposit_sessions=(SESSION,)),
        paid("checkout.session.completed"),
        Calendar(),
    )  # fmt: skip
    said = [e for e in booked.effects if isinstance(e, Message) and e.to == LEAD]
    assert [e.key for e in said] == ["booked_at", "calendar_add"]
    assert isinstance(said[1], SendMessage)
    url = said[1].params["url"]
    assert url.startswith(f"https://studio.test/calendar/visit/{IN_TEN_DAYS}/")
    assert LEAD not in url
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    assert invites.matches(LEAD, IN_TEN_DAYS, token)
    assert not invites.matches("447700900000", IN_TEN_DAYS, token)  # another lead's
    assert not InviteLinks.derived("https://studio.test", "j" * 40).matches(
        LEAD, IN_TEN_DAYS, token
    )  # another key's

    asked = behaviour.decide_on(booked.state, reply("visit_reschedule"), Calendar())
    new_start = next(e for e in asked.effects if isinstance(e, OfferSlots)).slots[-1]
    moved = behaviour.decide_on(asked.state, reply(f"slot:{new_start}"), Calendar())
    said = [e for e in moved.effects if isinstance(e, Message) and e.to == LEAD]
    assert [e.key for e in said] == ["rescheduled", "calendar_add"]
    assert isinstance(said[1], SendMessage)
    assert f"/calendar/visit/{new_start}/" in said[1].params["url"]


def test_a_waitlist_ends_at_the_studio_midnight_after_its_last_day() -> None:
    state = at(S.SCHEDULING, range_asked=True)
    joined = appointments().decide_on(state, msg("1 December to 4 December"), Calendar())
    ends = datetime(2026, 12, 5, tzinfo=UTC)  # midnight in London (GMT)
    armed = [t.due_at for t in joined.state.timers if t.kind is TimerKind.ABANDON]
    assert armed == [int(ends.timestamp())]
