"""
The behaviour makes exactly the moves `TRANSITIONS` lists. Leads in every status, each
part-way through in several ways, meet events of every kind; where each turn ends must be
in the table (`event_moves`: a row's statuses and its restarts' ends), and each end the
table lists must be one the behaviour reaches. `move` refuses any step outside the table
while the turn runs, so a turn that gets here only took steps its rows allow.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Callable
from dataclasses import replace
from typing import get_args

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from actors.lead import (
    ArmedTimer,
    ArtistAction,
    ConsentDeleted,
    Deposit,
    DepositLinkCreated,
    DepositSession,
    Event,
    LeadState,
    PaymentEventReceived,
    SlotFreed,
    Status,
    TimerFired,
    TimerKind,
    Visit,
)
from actors.lead.transitions import TRANSITIONS, event_moves
from actors.schedule import StudioPolicy
from tests.unit.lead_fixtures import (
    ALL_ANSWERED,
    LEAD,
    NOW,
    act,
    artist_says,
    behaviour,
    contact,
    echo,
    media,
    msg,
    preference,
    reaction,
    reply,
)
from tests.unit.lead_fixtures import failed as failed_delivery
from tests.unit.steps import paid
from tests.unit.test_appointments import SLOT_PICK, START, VISIT, appointments

S = Status
KINDS: tuple[type[Event], ...] = get_args(Event)
Move = tuple[Status, type[Event], Status]  # (status before, kind of event, status after)
DUE = 1_800_000_000  # every lead has every timer armed for this moment
FIRST = DepositSession(1, "cs_1", "https://checkout.test/1", 1_900_000_000)
SECOND = DepositSession(2, "cs_2", "https://checkout.test/2", 1_900_090_000)
ANSWERS = ALL_ANSWERED
CONVERSATIONS: list[dict[str, object]] = [
    {"current_question": "idea", "answers": ()},
    {"current_question": "reference", "answers": ANSWERS[:5]},  # the last question
    {"current_question": None, "answers": ANSWERS},  # all answered
]
DEPOSITS: list[dict[str, object]] = [
    {},
    {"deposit": Deposit.REQUESTED, "deposit_attempt": 1},
    {"deposit": Deposit.LINK_SENT, "deposit_attempt": 1, "deposit_sessions": (FIRST,)},
    {"deposit": Deposit.LINK_SENT, "deposit_attempt": 2, "deposit_sessions": (FIRST, SECOND)},
    {"deposit": Deposit.PAID, "deposit_sessions": (FIRST,), "payment_intent": "pi_1"},
]
RESUMES: dict[Status, list[Status | None]] = {  # where a handover or silence can leave one
    S.NEEDS_ARTIST_REPLY: [
        S.QUALIFYING, S.CONFIRMING, S.PENDING_APPROVAL, S.BOOKING_PENDING, S.BOOKED, S.REJECTED,
        S.SCHEDULING, S.CANCELLED, S.DONE, S.NO_SHOW, S.WAITLISTED,
    ],
    S.STALE: [S.QUALIFYING, S.CONFIRMING],
}  # fmt: skip
# A visit to come, and one that started an hour ago (a no-show can be marked for it).
_STARTED = Visit(int(NOW.timestamp()) - 3600, int(NOW.timestamp()) + 3600)
VISITS: list[dict[str, object]] = [
    {},
    {"visit": VISIT, "session_minutes": 120},
    {"visit": _STARTED, "session_minutes": 120},
]


def leads() -> list[LeadState]:
    """Leads in every status, each part-way through in several ways."""
    base = LeadState(
        wa_id=LEAD, name="Ana", timers=tuple(ArmedTimer(kind, DUE) for kind in TimerKind)
    )
    out = []
    for status in Status:
        for conv, dep, failed, resume, visit in itertools.product(
            CONVERSATIONS, DEPOSITS, [0, 1], RESUMES.get(status, [None]), VISITS
        ):
            fields: dict[str, object] = {
                **conv,
                **dep,
                **visit,
                "failed_attempts": failed,
                "resume_status": resume,
            }
            out.append(replace(base, status=status, **fields))  # type: ignore[arg-type]
    # "None of these" tapped: the next words may be the waitlist's days.
    out.append(replace(base, status=S.SCHEDULING, answers=ANSWERS, range_asked=True))
    return out


def set_time() -> Event:
    """The studio page's Set time, at the first free slot."""
    return replace(act(ArtistAction.SET_TIME), starts_at=START)


def stripe(event_type: str, session: str) -> PaymentEventReceived:
    return paid(event_type, session=session)


def link(attempt: int) -> DepositLinkCreated:
    url = f"https://checkout.test/new{attempt}"
    return DepositLinkCreated(f"link:{attempt}", LEAD, attempt, f"cs_new{attempt}", url, DUE, NOW)


# Each call makes a fresh event, so a message is never older than the one before it.
EVENTS: list[Callable[[], Event]] = [
    *(functools.partial(msg, text) for text in
      ["Hi", "a rose", "huge", "stop", "start", "human", "yes", "edit", "1 December"]),
    *(functools.partial(reply, choice) for choice in ["confirm", "edit", "edit:idea", "arm"]),
    *(functools.partial(reply, choice) for choice in [SLOT_PICK, "visit_cancel"]),
    functools.partial(media, "image"),
    functools.partial(media, "sticker"),
    functools.partial(reaction, "\U0001f44d", "summary"),
    *(functools.partial(failed_delivery, key, code) for key, code in
      [("questions.size", "131047"), ("deposit_link", "131026")]),
    *(functools.partial(preference, value) for value in ("stop", "resume")),
    *(functools.partial(act, action) for action in ArtistAction),
    set_time,
    *(functools.partial(artist_says, text) for text in ["Can you do Tuesday?", "done"]),
    *(functools.partial(echo, kind=kind) for kind in ("text", "edit", "revoke")),
    *(functools.partial(contact, action) for action in ("add", "remove")),
    *(functools.partial(link, attempt) for attempt in (1, 2)),
    *(functools.partial(stripe, event_type, session)
      for event_type in ["checkout.session.completed", "checkout.session.expired"]
      for session in ["cs_1", "cs_2"]),
    *(functools.partial(TimerFired, f"timer:{kind}", LEAD, 1, kind, DUE, NOW)
      for kind in TimerKind),
    functools.partial(SlotFreed, "waitlist:1", LEAD, VISIT.starts_at, VISIT.ends_at, NOW),
    functools.partial(ConsentDeleted, "consent-deleted:1", LEAD, VISIT.starts_at, NOW),
]  # fmt: skip


@functools.cache
def tried() -> frozenset[Move]:
    """The move (or stay) of every lead on every event, with appointments off and on."""
    out = set()
    for lead in (behaviour(), appointments()):
        for state, make in itertools.product(leads(), EVENTS):
            event = make()
            out.add((state.status, type(event), lead.decide(state, event).state.status))
    # Between two sessions of a piece, under `deposit_each_session: true`.
    each = appointments(policy=StudioPolicy(deposit_each_session=True))
    between = [
        replace(state, sessions=2, session_number=1, session_minutes=120, rescheduling=True)
        for state in leads()
        if state.status is S.BOOKED and state.visit is None
    ]
    for state, make in itertools.product(between, EVENTS):
        event = make()
        out.add((state.status, type(event), each.decide(state, event).state.status))
    return frozenset(out)


def _name(move: Move) -> str:
    source, kind, target = move
    return f"{source}-{kind.__name__}-{target}"


def test_every_status_meets_every_kind_of_event() -> None:
    assert {(source, kind) for source, kind, _ in tried()} == set(itertools.product(Status, KINDS))


def test_the_behaviour_makes_no_move_outside_the_table() -> None:
    outside = {
        _name((source, kind, target))
        for source, kind, target in tried()
        if target != source and target not in event_moves(source, kind)
    }
    assert outside == set()


TABLE = [
    (source, kind, target)
    for source, kind in TRANSITIONS
    for target in sorted(event_moves(source, kind))
]


@pytest.mark.parametrize("move", TABLE, ids=[_name(m) for m in TABLE])
def test_each_entry_of_the_table_is_a_move_the_behaviour_makes(move: Move) -> None:
    assert move in tried()


@settings(max_examples=200, deadline=None)
@given(
    start=st.sampled_from(leads()),
    script=st.lists(st.sampled_from(EVENTS), min_size=1, max_size=12),
)
def test_any_sequence_of_events_moves_only_as_the_table_says(
    start: LeadState, script: list[Callable[[], Event]]
) -> None:
    lead = behaviour()
    state = start
    for make in script:
        event = make()
        after = lead.decide(state, event).state
        if after.status != state.status:
            assert after.status in event_moves(state.status, type(event))
        state = after
