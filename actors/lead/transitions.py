"""
The one table of allowed status changes.

Rules of this file:
- A status changes only through `transition`, which consults `ALLOWED`.
- Staying in the same status is not a transition and is always allowed.
- Restarts are ordinary rows: OPTOUT -> NEW (opt-in word), STALE -> QUALIFYING (any
  reply), ABANDONED -> NEW (a new message).
- A pair missing here is a bug in the behaviour: `InvalidTransition` fails the turn,
  which rolls back; nothing is written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Final

from actors.lead.model import LeadState
from actors.lead.status import Status

__all__ = ["ALLOWED", "InvalidTransition", "check_transition", "move"]

S = Status

ALLOWED: Final[Mapping[Status, frozenset[Status]]] = {
    S.NEW: frozenset({S.QUALIFYING, S.NEEDS_ARTIST_REPLY, S.OPTOUT}),
    S.QUALIFYING: frozenset({S.CONFIRMING, S.NEEDS_ARTIST_REPLY, S.STALE, S.OPTOUT}),
    S.CONFIRMING: frozenset(
        {S.QUALIFYING, S.PENDING_APPROVAL, S.NEEDS_ARTIST_REPLY, S.STALE, S.OPTOUT}
    ),
    S.PENDING_APPROVAL: frozenset({S.BOOKING_PENDING, S.REJECTED, S.NEEDS_ARTIST_REPLY, S.OPTOUT}),
    S.NEEDS_ARTIST_REPLY: frozenset(
        {
            S.QUALIFYING,
            S.CONFIRMING,
            S.PENDING_APPROVAL,
            S.BOOKING_PENDING,
            S.BOOKED,
            S.REJECTED,
            S.OPTOUT,
        }
    ),
    S.BOOKING_PENDING: frozenset({S.BOOKED, S.ABANDONED, S.NEEDS_ARTIST_REPLY, S.OPTOUT}),
    S.BOOKED: frozenset({S.NEEDS_ARTIST_REPLY, S.OPTOUT}),
    S.REJECTED: frozenset({S.NEEDS_ARTIST_REPLY, S.OPTOUT}),
    S.OPTOUT: frozenset({S.NEW}),
    S.STALE: frozenset({S.QUALIFYING, S.ABANDONED, S.NEEDS_ARTIST_REPLY, S.OPTOUT}),
    S.ABANDONED: frozenset({S.NEW, S.OPTOUT}),
}


class InvalidTransition(Exception):
    """The behaviour asked for a status change the table does not allow."""

    def __init__(self, source: Status, target: Status) -> None:
        super().__init__(f"{source} -> {target} is not an allowed transition")
        self.source = source
        self.target = target


def check_transition(source: Status, target: Status) -> None:
    """Raise `InvalidTransition` unless `source -> target` is in the table."""
    if source != target and target not in ALLOWED[source]:
        raise InvalidTransition(source, target)


def move(state: LeadState, target: Status) -> LeadState:
    """`state` in status `target`, if the table allows it (else `InvalidTransition`)."""
    check_transition(state.status, target)
    return replace(state, status=target)
