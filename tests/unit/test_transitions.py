"""
The transition tables: the steps `move` allows one at a time, and where one event of
each kind can take a lead (tests/unit/test_event_moves.py holds them to the behaviour).
"""

from __future__ import annotations

import itertools

import pytest

from actors.lead import (
    ALLOWED,
    ArtistActed,
    DepositLinkCreated,
    InvalidTransition,
    MessageReceived,
    Status,
    check_transition,
)
from actors.lead.transitions import EVENT_MOVES, event_moves

S = Status


def _ends() -> set[tuple[Status, Status]]:
    """Where a turn can start and end, whatever the event."""
    return {(s, t) for s, row in EVENT_MOVES.items() for targets in row.values() for t in targets}


def _steps() -> set[tuple[Status, Status]]:
    return {(s, t) for s, targets in ALLOWED.items() for t in targets}


def test_every_status_has_a_row() -> None:
    assert set(ALLOWED) == set(Status)
    assert set(EVENT_MOVES) == set(Status)


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


def test_no_turn_ends_where_it_began() -> None:
    assert {(s, t) for s, t in _ends() if s == t} == set()


def test_a_turn_is_a_walk_of_at_most_three_steps() -> None:
    """The longest: STALE -> QUALIFYING -> CONFIRMING -> PENDING_APPROVAL, a "yes"."""
    reached = {(s, s) for s in Status}
    for _ in range(3):
        reached |= {(s, t) for s, m in reached for t in ALLOWED[m]}
    assert _ends() - reached == set()


def test_the_ends_no_single_step_reaches() -> None:
    assert _ends() - _steps() == {
        (S.OPTOUT, S.QUALIFYING),  # through NEW
        (S.ABANDONED, S.QUALIFYING),  # through NEW
        (S.ABANDONED, S.NEEDS_ARTIST_REPLY),  # through NEW
        (S.STALE, S.CONFIRMING),  # through QUALIFYING, every question answered
        (S.STALE, S.PENDING_APPROVAL),  # ... and a "yes" to the summary
    }


def test_steps_no_turn_ends_with_are_the_restarts_through_new() -> None:
    """Not reachable as the end of a turn: the message is handled as a new lead's."""
    assert _steps() - _ends() == {(S.OPTOUT, S.NEW), (S.ABANDONED, S.NEW)}


@pytest.mark.parametrize(("source", "target"), list(itertools.product(Status, Status)))
def test_pairs_outside_the_table_raise(source: Status, target: Status) -> None:
    if source == target or target in ALLOWED[source]:
        check_transition(source, target)
    else:
        with pytest.raises(InvalidTransition):
            check_transition(source, target)


@pytest.mark.parametrize(
    ("source", "target"),
    [
        (Status.OPTOUT, Status.NEW),
        (Status.STALE, Status.QUALIFYING),
        (Status.ABANDONED, Status.NEW),
    ],
)
def test_restarts_are_explicit_rows(source: Status, target: Status) -> None:
    assert target in ALLOWED[source]


def test_booked_cannot_fall_back_to_booking_pending() -> None:
    with pytest.raises(InvalidTransition):
        check_transition(Status.BOOKED, Status.BOOKING_PENDING)
