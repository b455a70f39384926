"""
The status changes the behaviour may make, as two tables.

Rules of this file:
- `ALLOWED` is checked one step at a time: a status changes only through `move`, which
  consults it. A pair missing here is a bug in the behaviour: `InvalidTransition` fails
  the turn, which rolls back; nothing is written.
- `EVENT_MOVES` answers "what can event E do in status S?" (ask `event_moves`): the
  statuses one turn can end in. A kind of event missing from a row never changes that
  status.
- A turn may take more than one step. Restarts are ordinary rows of `ALLOWED`: OPTOUT ->
  NEW (opt-in word), STALE -> QUALIFYING (any reply), ABANDONED -> NEW (a new message);
  the message is then handled in the new status. And a lead back in QUALIFYING with
  every question answered goes on to the summary (CONFIRMING). So OPTOUT -> NEW and
  ABANDONED -> NEW are steps that never end a turn, and OPTOUT -> QUALIFYING ends one
  without being a step.
- Staying in the same status is not a transition and is always allowed.
- tests/unit/test_event_moves.py runs the behaviour on every status and kind of event
  and checks that it makes each move in `EVENT_MOVES`, and no other.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from typing import Final

from actors.lead.model import (
    ArtistActed,
    ArtistReplied,
    Event,
    LeadState,
    MessageReceived,
    PaymentEventReceived,
    TimerFired,
)
from actors.lead.status import Status

__all__ = ["ALLOWED", "EVENT_MOVES", "InvalidTransition", "check_transition", "event_moves", "move"]

S = Status

# From a conversation with the artist, their action (hand back, approve, decline, ...)
# can leave the lead in any of these: one step, and one turn.
_WHERE_THE_ARTIST_LEAVES_A_LEAD = frozenset(
    {
        S.QUALIFYING,
        S.CONFIRMING,
        S.PENDING_APPROVAL,
        S.BOOKING_PENDING,
        S.BOOKED,
        S.REJECTED,
        S.OPTOUT,
        S.SCHEDULING,
        S.CANCELLED,
        S.DONE,
    }
)
# The artist's "done" is the Hand back button: back to where the lead was taken from.
_WHERE_DONE_LEAVES_A_LEAD = _WHERE_THE_ARTIST_LEAVES_A_LEAD - {S.OPTOUT}
# The artist writing to a lead the bot is still questioning takes the conversation over.
_TAKEN_OVER = frozenset({S.NEEDS_ARTIST_REPLY})

ALLOWED: Final[Mapping[Status, frozenset[Status]]] = {
    S.NEW: frozenset({S.QUALIFYING, S.NEEDS_ARTIST_REPLY, S.OPTOUT}),
    S.QUALIFYING: frozenset({S.CONFIRMING, S.NEEDS_ARTIST_REPLY, S.STALE, S.OPTOUT}),
    S.CONFIRMING: frozenset(
        {S.QUALIFYING, S.PENDING_APPROVAL, S.NEEDS_ARTIST_REPLY, S.STALE, S.OPTOUT}
    ),
    S.PENDING_APPROVAL: frozenset(
        {S.BOOKING_PENDING, S.REJECTED, S.NEEDS_ARTIST_REPLY, S.OPTOUT, S.SCHEDULING}
    ),
    S.NEEDS_ARTIST_REPLY: _WHERE_THE_ARTIST_LEAVES_A_LEAD,
    S.BOOKING_PENDING: frozenset(
        {S.BOOKED, S.ABANDONED, S.NEEDS_ARTIST_REPLY, S.OPTOUT, S.SCHEDULING}
    ),
    S.BOOKED: frozenset({S.NEEDS_ARTIST_REPLY, S.OPTOUT, S.CANCELLED, S.DONE}),
    S.REJECTED: frozenset({S.NEEDS_ARTIST_REPLY, S.OPTOUT}),
    S.OPTOUT: frozenset({S.NEW}),
    S.STALE: frozenset({S.QUALIFYING, S.ABANDONED, S.NEEDS_ARTIST_REPLY, S.OPTOUT}),
    S.ABANDONED: frozenset({S.NEW, S.OPTOUT}),
    # Appointments (STUDIO_FILE): picking a time, then after the booked one.
    S.SCHEDULING: frozenset({S.BOOKING_PENDING, S.NEEDS_ARTIST_REPLY, S.OPTOUT, S.ABANDONED}),
    S.CANCELLED: frozenset({S.NEEDS_ARTIST_REPLY, S.OPTOUT}),
    S.DONE: frozenset({S.NEEDS_ARTIST_REPLY, S.OPTOUT}),
}

EVENT_MOVES: Final[Mapping[Status, Mapping[type[Event], frozenset[Status]]]] = {
    S.NEW: {
        MessageReceived: frozenset({S.QUALIFYING, S.NEEDS_ARTIST_REPLY, S.OPTOUT}),
        ArtistActed: frozenset({S.NEEDS_ARTIST_REPLY, S.OPTOUT}),
        ArtistReplied: _TAKEN_OVER,
    },
    S.QUALIFYING: {
        MessageReceived: frozenset({S.CONFIRMING, S.NEEDS_ARTIST_REPLY, S.OPTOUT}),
        ArtistActed: frozenset({S.NEEDS_ARTIST_REPLY, S.OPTOUT}),
        ArtistReplied: _TAKEN_OVER,
        TimerFired: frozenset({S.STALE}),
    },
    S.CONFIRMING: {
        MessageReceived: frozenset(
            {S.QUALIFYING, S.PENDING_APPROVAL, S.NEEDS_ARTIST_REPLY, S.OPTOUT}
        ),
        ArtistActed: frozenset({S.NEEDS_ARTIST_REPLY, S.OPTOUT}),
        ArtistReplied: _TAKEN_OVER,
        TimerFired: frozenset({S.STALE}),
    },
    S.PENDING_APPROVAL: {
        MessageReceived: frozenset({S.NEEDS_ARTIST_REPLY, S.OPTOUT}),
        ArtistActed: frozenset(
            {S.BOOKING_PENDING, S.REJECTED, S.NEEDS_ARTIST_REPLY, S.OPTOUT, S.SCHEDULING}
        ),
    },
    S.NEEDS_ARTIST_REPLY: {
        MessageReceived: frozenset({S.OPTOUT}),
        ArtistActed: _WHERE_THE_ARTIST_LEAVES_A_LEAD,
        ArtistReplied: _WHERE_DONE_LEAVES_A_LEAD,
        PaymentEventReceived: frozenset({S.BOOKED}),  # taken over while the link was out
    },
    S.BOOKING_PENDING: {
        MessageReceived: frozenset({S.NEEDS_ARTIST_REPLY, S.OPTOUT}),
        ArtistActed: frozenset({S.NEEDS_ARTIST_REPLY, S.OPTOUT}),
        PaymentEventReceived: frozenset({S.BOOKED, S.ABANDONED, S.SCHEDULING}),
    },
    S.BOOKED: {
        MessageReceived: frozenset({S.NEEDS_ARTIST_REPLY, S.OPTOUT, S.CANCELLED}),
        ArtistActed: frozenset({S.NEEDS_ARTIST_REPLY, S.OPTOUT, S.CANCELLED}),
        TimerFired: frozenset({S.DONE}),
    },
    S.REJECTED: {
        MessageReceived: frozenset({S.NEEDS_ARTIST_REPLY, S.OPTOUT}),
        ArtistActed: frozenset({S.NEEDS_ARTIST_REPLY, S.OPTOUT}),
    },
    S.OPTOUT: {
        MessageReceived: frozenset({S.QUALIFYING}),  # through NEW
    },
    S.STALE: {  # a message or a resume goes through QUALIFYING
        MessageReceived: frozenset(
            {S.QUALIFYING, S.CONFIRMING, S.PENDING_APPROVAL, S.NEEDS_ARTIST_REPLY, S.OPTOUT}
        ),
        ArtistActed: frozenset({S.QUALIFYING, S.CONFIRMING, S.NEEDS_ARTIST_REPLY, S.OPTOUT}),
        ArtistReplied: _TAKEN_OVER,
        TimerFired: frozenset({S.ABANDONED}),
    },
    S.ABANDONED: {  # a message goes through NEW, unless it is the opt-out word
        MessageReceived: frozenset({S.QUALIFYING, S.NEEDS_ARTIST_REPLY, S.OPTOUT}),
        ArtistActed: frozenset({S.OPTOUT}),
    },
    S.SCHEDULING: {
        MessageReceived: frozenset({S.BOOKING_PENDING, S.NEEDS_ARTIST_REPLY, S.OPTOUT}),
        ArtistActed: frozenset({S.NEEDS_ARTIST_REPLY, S.OPTOUT}),
        TimerFired: frozenset({S.ABANDONED}),  # offered times and never picked one
    },
    S.CANCELLED: {
        MessageReceived: frozenset({S.NEEDS_ARTIST_REPLY, S.OPTOUT}),
        ArtistActed: frozenset({S.OPTOUT}),
    },
    S.DONE: {
        MessageReceived: frozenset({S.NEEDS_ARTIST_REPLY, S.OPTOUT}),
        ArtistActed: frozenset({S.OPTOUT}),
    },
}


class InvalidTransition(Exception):
    """The behaviour asked for a status change the table does not allow."""

    def __init__(self, source: Status, target: Status) -> None:
        super().__init__(f"{source} -> {target} is not an allowed transition")
        self.source = source
        self.target = target


def event_moves(status: Status, kind: type[Event]) -> frozenset[Status]:
    """The statuses one event of type `kind` can move a lead in `status` to (not `status`)."""
    return EVENT_MOVES[status].get(kind, frozenset())


def check_transition(source: Status, target: Status) -> None:
    """Raise `InvalidTransition` unless `source -> target` is a step in `ALLOWED`."""
    if source != target and target not in ALLOWED[source]:
        raise InvalidTransition(source, target)


def move(state: LeadState, target: Status) -> LeadState:
    """`state` in status `target`, if the table allows it (else `InvalidTransition`)."""
    check_transition(state.status, target)
    return replace(state, status=target)
