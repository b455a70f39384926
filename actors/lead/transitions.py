"""
The lead's state machine: one table, `TRANSITIONS`, and `move`, which enforces it.

Rules of this file:
- Everything that decides which status a lead may move to lives here. The behaviour asks
  for a status with `move(state, target, event)`; `move` looks up `(state.status,
  type(event))` in `TRANSITIONS` and raises `InvalidTransition` for a pair that is not
  there or a status that its row does not name. That is a bug in the behaviour: the turn
  fails and rolls back; nothing is written.
- A row lists where one event of that kind may take a lead in that status. A kind of
  event with no row never changes that status. Staying in the same status is not a
  transition and is always allowed.
- A turn may take more than one step. The restarts are written as such in the row:
  `Restart(S.NEW, ends=...)` means "the event starts the lead over in NEW, is then
  handled as NEW's, and the turn ends in one of `ends`" (OPTOUT -> NEW -> QUALIFYING on
  the opt-in word). The steps after a restart are ordinary entries of the restart
  status's own row for the same kind of event, so `move` checks every step against a
  row. A lead restarted in QUALIFYING with every question answered goes on to the
  summary (CONFIRMING) in the same turn.
- Everything else is derived, never written by hand: `steps` (what `move` allows from a
  status on one kind of event), `event_moves` (where one turn can end) and `ALLOWED`
  (the status pairs any event may step between, for readers and reachability checks).
- tests/unit/test_event_moves.py runs the behaviour on every status and kind of event
  and checks that each turn ends where `event_moves` says, and that every end the table
  lists is one the behaviour reaches; tests/unit/test_transitions.py holds the table to
  these rules.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Final

from actors.lead.model import (
    ArtistActed,
    ArtistEchoed,
    ArtistReplied,
    Event,
    LeadState,
    MessageReceived,
    PaymentEventReceived,
    TimerFired,
)
from actors.lead.status import Status

__all__ = [
    "ALLOWED",
    "TRANSITIONS",
    "InvalidTransition",
    "Restart",
    "check_transition",
    "event_moves",
    "move",
    "steps",
]

S = Status


@dataclass(frozen=True)
class Restart:
    """A step that starts the lead over in `status`, where the event is then handled; the
    turn ends in one of `ends` (which holds `status` only if the turn can stop there)."""

    status: Status
    ends: frozenset[Status]


Target = Status | Restart
Row = frozenset[Target]

# From a conversation with the artist, their action (hand back, approve, decline, ...)
# can leave the lead in any of these: one step, and one turn.
_WHERE_THE_ARTIST_LEAVES_A_LEAD: Row = frozenset(
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
        S.NO_SHOW,
        S.WAITLISTED,
    }
)
# The artist's "done" is the Hand back button: back to where the lead was taken from.
_WHERE_DONE_LEAVES_A_LEAD: Row = _WHERE_THE_ARTIST_LEAVES_A_LEAD - {S.OPTOUT}
# The artist writing to a lead the bot is still questioning takes the conversation over.
_TAKEN_OVER: Row = frozenset({S.NEEDS_ARTIST_REPLY})
_HANDED_OVER_OR_OPTED_OUT: Row = frozenset({S.NEEDS_ARTIST_REPLY, S.OPTOUT})
_OPTED_OUT: Row = frozenset({S.OPTOUT})

TRANSITIONS: Final[Mapping[tuple[Status, type[Event]], Row]] = {
    (S.NEW, MessageReceived): frozenset({S.QUALIFYING, S.NEEDS_ARTIST_REPLY, S.OPTOUT}),
    (S.NEW, ArtistActed): _HANDED_OVER_OR_OPTED_OUT,
    (S.NEW, ArtistReplied): _TAKEN_OVER,
    (S.NEW, ArtistEchoed): _TAKEN_OVER,  # the artist wrote first, in the Business app
    #
    (S.QUALIFYING, MessageReceived): frozenset({S.CONFIRMING, S.NEEDS_ARTIST_REPLY, S.OPTOUT}),
    (S.QUALIFYING, ArtistActed): _HANDED_OVER_OR_OPTED_OUT,
    (S.QUALIFYING, ArtistReplied): _TAKEN_OVER,
    (S.QUALIFYING, ArtistEchoed): _TAKEN_OVER,
    (S.QUALIFYING, TimerFired): frozenset({S.STALE}),
    #
    (S.CONFIRMING, MessageReceived): frozenset(
        {S.QUALIFYING, S.PENDING_APPROVAL, S.NEEDS_ARTIST_REPLY, S.OPTOUT}
    ),
    (S.CONFIRMING, ArtistActed): _HANDED_OVER_OR_OPTED_OUT,
    (S.CONFIRMING, ArtistReplied): _TAKEN_OVER,
    (S.CONFIRMING, ArtistEchoed): _TAKEN_OVER,
    (S.CONFIRMING, TimerFired): frozenset({S.STALE}),
    #
    (S.PENDING_APPROVAL, MessageReceived): _HANDED_OVER_OR_OPTED_OUT,
    (S.PENDING_APPROVAL, ArtistActed): frozenset(
        {S.BOOKING_PENDING, S.REJECTED, S.NEEDS_ARTIST_REPLY, S.OPTOUT, S.SCHEDULING}
    ),
    #
    (S.NEEDS_ARTIST_REPLY, MessageReceived): _OPTED_OUT,
    (S.NEEDS_ARTIST_REPLY, ArtistActed): _WHERE_THE_ARTIST_LEAVES_A_LEAD,
    (S.NEEDS_ARTIST_REPLY, ArtistReplied): _WHERE_DONE_LEAVES_A_LEAD,
    # Taken over while the deposit link was out, and the lead paid.
    (S.NEEDS_ARTIST_REPLY, PaymentEventReceived): frozenset({S.BOOKED}),
    #
    (S.BOOKING_PENDING, MessageReceived): _HANDED_OVER_OR_OPTED_OUT,
    (S.BOOKING_PENDING, ArtistActed): _HANDED_OVER_OR_OPTED_OUT,
    (S.BOOKING_PENDING, PaymentEventReceived): frozenset(
        {S.BOOKED, S.ABANDONED, S.SCHEDULING}  # SCHEDULING: the held time's link expired
    ),
    #
    # `deposit_each_session`: a piece's next session picked waits for its own deposit.
    (S.BOOKED, MessageReceived): frozenset(
        {S.NEEDS_ARTIST_REPLY, S.OPTOUT, S.CANCELLED, S.BOOKING_PENDING}
    ),
    (S.BOOKED, ArtistActed): frozenset({S.NEEDS_ARTIST_REPLY, S.OPTOUT, S.CANCELLED, S.NO_SHOW}),
    (S.BOOKED, TimerFired): frozenset({S.DONE}),
    #
    (S.REJECTED, MessageReceived): _HANDED_OVER_OR_OPTED_OUT,
    (S.REJECTED, ArtistActed): _HANDED_OVER_OR_OPTED_OUT,
    # Only the lead can opt back in: the opt-in word starts them over as a new lead.
    (S.OPTOUT, MessageReceived): frozenset({Restart(S.NEW, ends=frozenset({S.QUALIFYING}))}),
    # Any reply wakes a stale lead where it was questioned; every question answered, it
    # goes on to the summary, where a "yes" submits it.
    (S.STALE, MessageReceived): frozenset(
        {
            S.OPTOUT,
            Restart(
                S.QUALIFYING,
                ends=frozenset(
                    {S.QUALIFYING, S.CONFIRMING, S.PENDING_APPROVAL, S.NEEDS_ARTIST_REPLY}
                ),
            ),
        }
    ),
    (S.STALE, ArtistActed): frozenset(
        {S.QUALIFYING, S.CONFIRMING, S.NEEDS_ARTIST_REPLY, S.OPTOUT}  # resume, take over
    ),
    (S.STALE, ArtistReplied): _TAKEN_OVER,
    (S.STALE, ArtistEchoed): _TAKEN_OVER,
    (S.STALE, TimerFired): frozenset({S.ABANDONED}),
    # A new message starts an abandoned lead over as a new lead, unless it is the opt-out.
    (S.ABANDONED, MessageReceived): frozenset(
        {S.OPTOUT, Restart(S.NEW, ends=frozenset({S.QUALIFYING, S.NEEDS_ARTIST_REPLY}))}
    ),
    (S.ABANDONED, ArtistActed): _OPTED_OUT,
    # Appointments (STUDIO_FILE): picking a time, then after the booked one.
    (S.SCHEDULING, MessageReceived): frozenset(
        {S.BOOKING_PENDING, S.NEEDS_ARTIST_REPLY, S.OPTOUT, S.WAITLISTED}
    ),
    # The artist's Set time holds the time for the lead, as their own pick would.
    (S.SCHEDULING, ArtistActed): _HANDED_OVER_OR_OPTED_OUT | {S.BOOKING_PENDING},
    (S.SCHEDULING, ArtistEchoed): _TAKEN_OVER,
    (S.SCHEDULING, TimerFired): frozenset({S.ABANDONED}),  # offered times, never picked one
    #
    # The waitlist: a tap on a freed time holds it, as a pick from the list.
    (S.WAITLISTED, MessageReceived): frozenset({S.BOOKING_PENDING, S.NEEDS_ARTIST_REPLY, S.OPTOUT}),
    (S.WAITLISTED, ArtistActed): _HANDED_OVER_OR_OPTED_OUT,
    (S.WAITLISTED, TimerFired): frozenset({S.ABANDONED}),  # the day after its last day
    #
    (S.CANCELLED, MessageReceived): _HANDED_OVER_OR_OPTED_OUT,
    (S.CANCELLED, ArtistActed): _OPTED_OUT,
    #
    (S.DONE, MessageReceived): _HANDED_OVER_OR_OPTED_OUT,
    (S.DONE, ArtistActed): frozenset({S.OPTOUT, S.NO_SHOW}),  # no-show: up to 7 days after
    #
    (S.NO_SHOW, MessageReceived): _HANDED_OVER_OR_OPTED_OUT,
    (S.NO_SHOW, ArtistActed): _OPTED_OUT,
}


def _step(target: Target) -> Status:
    return target.status if isinstance(target, Restart) else target


def _ends(target: Target) -> frozenset[Status]:
    return target.ends if isinstance(target, Restart) else frozenset({target})


def steps(status: Status, kind: type[Event]) -> frozenset[Status]:
    """The statuses `move` lets one event of type `kind` step a lead in `status` to."""
    return frozenset(_step(target) for target in TRANSITIONS.get((status, kind), ()))


def event_moves(status: Status, kind: type[Event]) -> frozenset[Status]:
    """The statuses one event of type `kind` can leave a lead in `status` in at the end of
    its turn (not `status`: staying is not a move)."""
    rows = TRANSITIONS.get((status, kind), ())
    return frozenset(end for target in rows for end in _ends(target))


ALLOWED: Final[Mapping[Status, frozenset[Status]]] = {
    status: frozenset(
        _step(target)
        for (source, _), row in TRANSITIONS.items()
        if source is status
        for target in row
    )
    for status in Status
}


class InvalidTransition(Exception):
    """The behaviour asked for a status change the table does not allow."""

    def __init__(self, source: Status, target: Status, kind: type[Event]) -> None:
        super().__init__(f"{source} -> {target} on {kind.__name__} is not in the table")
        self.source = source
        self.target = target
        self.kind = kind


def check_transition(source: Status, target: Status, kind: type[Event]) -> None:
    """Raise `InvalidTransition` unless an event of type `kind` may step `source -> target`."""
    if source != target and target not in steps(source, kind):
        raise InvalidTransition(source, target, kind)


def move(state: LeadState, target: Status, event: Event) -> LeadState:
    """`state` in status `target`, if the table lets `event` move it there (else
    `InvalidTransition`)."""
    check_transition(state.status, target, type(event))
    return replace(state, status=target)
