"""The transition table is the only way a status changes."""

from __future__ import annotations

import itertools

import pytest

from actors.lead import ALLOWED, InvalidTransition, Status, check_transition


def test_every_status_has_a_row() -> None:
    assert set(ALLOWED) == set(Status)


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
