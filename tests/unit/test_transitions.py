"""
The transition table: `move` follows the row of the event's kind, restarts are explicit,
and the status pairs are derived from it (tests/unit/test_event_moves.py holds the table
to the behaviour).
"""

from __future__ import annotations

import itertools
from typing import get_args

import pytest

from actors.lead import (
    ALLOWED,
    ArtistActed,
    ArtistAction,
    DepositLinkCreated,
    Event,
    InvalidTransition,
    LeadState,
    MessageReceived,
    PaymentEventReceived,
    Status,
    TimerFired,
    TimerKind,
    check_transition,
)
from actors.lead.transitions import TRANSITIONS, Restart, event_moves, move, steps
from tests.unit.lead_fixtures import LEAD, act, msg
from tests.unit.steps import fired, paid

S = Status
KINDS: tuple[type[Event], ...] = get_args(Event)
Move = tuple[Status, type[Event], Status]


def _ends() -> set[Move]:
    """Where a turn can start and end, and the kind of event that took it there."""
    return {(s, kind, t) for s, kind in TRANSITIONS for t in event_moves(s, kind)}


def _steps() -> set[Move]:
    return {(s, kind, t) for s, kind in TRANSITIONS for t in steps(s, kind)}


def _walk(source: Status, kind: type[Event], hops: int) -> set[Status]:
    """The statuses `hops` steps of one kind of event can reach from `source`."""
    reached = {source}
    for _ in range(hops):
        reached |= {t for s in reached for t in steps(s, kind)}
    return reached


def _restarts() -> list[tuple[Status, type[Event], Restart]]:
    return [
        (s, kind, target)
        for (s, kind), row in TRANSITIONS.items()
        for target in row
        if isinstance(target, Restart)
    ]


def test_every_status_has_a_row() -> None:
    assert set(ALLOWED) == set(Status)
    assert {status for status, _ in TRANSITIONS} == set(Status)


def test_what_an_event_can_do_in_a_status() -> None:
    assert event_moves(S.PENDING_APPROVAL, ArtistActed) == {
        S.BOOKING_PENDING,
        S.REJECTED,
        S.NEEDS_ARTIST_REPLY,
        S.OPTOUT,
        S.SCHEDULING,  # with appointments on
    }
    assert event_moves(S.OPTOUT, MessageReceived) == {S.QUALIFYING}
    assert event_moves(S.OPTOUT, ArtistActed) == set()  # only the lead can opt back in
    assert event_moves(S.BOOKING_PENDING, DepositLinkCreated) == set()  # no status moves


def test_move_refuses_a_kind_of_event_missing_from_the_row() -> None:
    """BOOKING_PENDING -> ABANDONED is the expired link's move, not a timer's: the same
    two statuses, refused for the kind of event the table has no such row for."""
    waiting = LeadState(wa_id=LEAD, status=S.BOOKING_PENDING)
    expired = paid("checkout.session.expired")
    assert move(waiting, S.ABANDONED, expired).status is S.ABANDONED
    with pytest.raises(InvalidTransition) as refused:
        move(waiting, S.ABANDONED, fired(TimerKind.ABANDON, 1_800_000_000))
    assert (refused.value.source, refused.value.target) == (S.BOOKING_PENDING, S.ABANDONED)
    assert refused.value.kind is TimerFired
    assert (S.BOOKING_PENDING, TimerFired) not in TRANSITIONS


def test_move_refuses_a_status_with_no_row_for_the_event_at_all() -> None:
    opted_out = LeadState(wa_id=LEAD, status=S.OPTOUT)
    assert (S.OPTOUT, ArtistActed) not in TRANSITIONS
    with pytest.raises(InvalidTransition):
        move(opted_out, S.NEW, act(ArtistAction.RESUME))  # the artist cannot opt them in
    assert move(opted_out, S.NEW, msg("start")).status is S.NEW


def test_staying_is_not_a_move_and_needs_no_row() -> None:
    opted_out = LeadState(wa_id=LEAD, status=S.OPTOUT)
    assert move(opted_out, S.OPTOUT, act(ArtistAction.RESUME)) == opted_out


@pytest.mark.parametrize("kind", KINDS, ids=[kind.__name__ for kind in KINDS])
def test_a_step_is_allowed_exactly_when_the_row_names_it(kind: type[Event]) -> None:
    for source, target in itertools.product(Status, Status):
        if source == target or target in steps(source, kind):
            check_transition(source, target, kind)
        else:
            with pytest.raises(InvalidTransition):
                check_transition(source, target, kind)


def test_allowed_is_every_step_of_any_kind_of_event() -> None:
    derived = {s: {t for source, _, t in _steps() if source == s} for s in Status}
    assert {s: set(targets) for s, targets in ALLOWED.items()} == derived


def test_no_turn_ends_where_it_began() -> None:
    assert {(s, kind, t) for s, kind, t in _ends() if s == t} == set()


def test_a_turn_is_a_walk_of_at_most_three_steps_of_its_kind_of_event() -> None:
    """The longest: STALE -> QUALIFYING -> CONFIRMING -> PENDING_APPROVAL, a "yes"."""
    assert {(s, kind, t) for s, kind, t in _ends() if t not in _walk(s, kind, 3)} == set()


@pytest.mark.parametrize(("source", "kind", "restart"), _restarts())
def test_after_a_restart_each_step_is_in_the_restart_status_row(
    source: Status, kind: type[Event], restart: Restart
) -> None:
    assert restart.ends - _walk(restart.status, kind, 2) == set()


def test_the_ends_no_single_step_reaches_are_the_restarts() -> None:
    assert _ends() - _steps() == {
        (S.OPTOUT, MessageReceived, S.QUALIFYING),  # through NEW
        (S.ABANDONED, MessageReceived, S.QUALIFYING),  # through NEW
        (S.ABANDONED, MessageReceived, S.NEEDS_ARTIST_REPLY),  # through NEW
        (S.STALE, MessageReceived, S.NEEDS_ARTIST_REPLY),  # through QUALIFYING
        (S.STALE, MessageReceived, S.CONFIRMING),  # through QUALIFYING, all answered
        (S.STALE, MessageReceived, S.PENDING_APPROVAL),  # ... and a "yes" to the summary
    }


def test_steps_no_turn_ends_with_are_the_restarts_through_new() -> None:
    """Not reachable as the end of a turn: the message is handled as a new lead's."""
    assert _steps() - _ends() == {
        (S.OPTOUT, MessageReceived, S.NEW),
        (S.ABANDONED, MessageReceived, S.NEW),
    }


def test_restarts_are_explicit_entries() -> None:
    assert {(s, kind, r.status) for s, kind, r in _restarts()} == {
        (S.OPTOUT, MessageReceived, S.NEW),
        (S.STALE, MessageReceived, S.QUALIFYING),
        (S.ABANDONED, MessageReceived, S.NEW),
    }


# A piece's next session under `deposit_each_session: true` is the one way back: the
# lead's pick of its time waits for that session's own deposit.
_NOT_A_PICK = [kind for kind in KINDS if kind is not MessageReceived]


@pytest.mark.parametrize("kind", _NOT_A_PICK, ids=[kind.__name__ for kind in _NOT_A_PICK])
def test_booked_cannot_fall_back_to_booking_pending(kind: type[Event]) -> None:
    with pytest.raises(InvalidTransition):
        check_transition(Status.BOOKED, Status.BOOKING_PENDING, kind)


def test_a_payment_books_a_lead_only_from_waiting_for_it() -> None:
    assert {s for s in Status if S.BOOKED in steps(s, PaymentEventReceived)} == {
        S.BOOKING_PENDING,
        S.NEEDS_ARTIST_REPLY,  # taken over while the link was out
    }
