"""
The artist's times from the studio page, as pure functions: Offer new times (again to a
lead picking, a move offered to a booked lead that is not their reschedule), Set time
(moved at once, or held to pay; refused when past or over another booking), and time
off as the artist's actor's turn (a block, an unblock).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from actors.artist import ArtistBehaviour, ArtistState
from actors.lead import ArtistAction, Calendar, ClaimSlot, OfferSlots, Outcome, Status, Visit
from actors.schedule.time_off import BlockTime, TimeOffBlocked, TimeOffUnblocked, UnblockTime
from tests.unit.lead_fixtures import ARTIST, NOW, act, reply
from tests.unit.steps import keys
from tests.unit.test_appointments import (
    FIRST_FREE,
    IN_TEN_DAYS,
    LATER_VISIT,
    PAID,
    START,
    TAKEN,
    appointments,
    at,
)

S, A = Status, ArtistAction


def test_offer_new_times_to_a_booked_lead_keeps_the_time_and_counts_no_reschedule() -> None:
    lead = at(S.BOOKED, visit=LATER_VISIT, **PAID)
    asked = appointments().decide_on(lead, act(A.OFFER_TIMES, via="admin"), Calendar())
    assert asked.state.rescheduling
    assert asked.state.visit == LATER_VISIT  # theirs until they pick
    assert keys(asked.effects)[:1] == ["lead:reschedule_offered"]
    offer = next(e for e in asked.effects if isinstance(e, OfferSlots))
    moved = appointments().decide_on(asked.state, reply(f"slot:{offer.slots[-1]}"), Calendar())
    assert moved.state.visit == Visit(offer.slots[-1], offer.slots[-1] + 7200)
    assert moved.state.reschedules == 0
    assert not moved.state.artist_move


def test_offer_new_times_to_a_lead_picking_sends_the_first_page_again() -> None:
    again = appointments().decide_on(at(S.SCHEDULING), act(A.OFFER_TIMES), Calendar())
    offer = next(e for e in again.effects if isinstance(e, OfferSlots))
    assert offer.slots[0] == START
    assert again.state.status is S.SCHEDULING
    declined = appointments().decide_on(at(S.REJECTED), act(A.OFFER_TIMES), Calendar())
    assert declined.outcome is Outcome.NOT_APPLICABLE


def _set(starts_at: int) -> object:
    return replace(act(A.SET_TIME, via="admin"), starts_at=starts_at)


def test_set_time_moves_a_booked_appointment_at_once_and_tells_the_lead() -> None:
    lead = at(S.BOOKED, visit=LATER_VISIT, **PAID)
    late_evening = IN_TEN_DAYS + 9 * 3600  # outside the hours: the artist decides
    moved = appointments().decide_on(lead, _set(late_evening), Calendar())  # type: ignore[arg-type]
    assert moved.state.visit == Visit(late_evening, late_evening + 7200)
    assert moved.state.status is S.BOOKED
    assert keys(moved.effects)[:2] == ["claim:appointment", "lead:moved_by_artist"]
    assert moved.state.reschedules == 0


def test_set_time_holds_the_time_for_a_lead_picking_and_sends_the_deposit_link() -> None:
    held = appointments().decide_on(at(S.SCHEDULING), _set(START), Calendar())  # type: ignore[arg-type]
    assert held.state.status is S.BOOKING_PENDING
    claim = next(e for e in held.effects if isinstance(e, ClaimSlot))
    assert (claim.kind, claim.starts_at) == ("hold", START)


def test_set_time_in_the_past_or_over_another_booking_changes_nothing() -> None:
    lead = at(S.BOOKED, visit=LATER_VISIT, **PAID)
    past = int((NOW - timedelta(hours=1)).timestamp())
    for starts_at, calendar in ((past, Calendar()), (START, TAKEN)):
        refused = appointments().decide_on(lead, _set(starts_at), calendar)  # type: ignore[arg-type]
        assert refused.outcome is Outcome.NOT_APPLICABLE
        assert refused.state.visit == LATER_VISIT
        assert not any(isinstance(e, ClaimSlot) for e in refused.effects)
    assert FIRST_FREE.timestamp() == START


def test_time_off_is_the_artist_actors_turn_that_writes_the_block() -> None:
    artist = ArtistBehaviour(ARTIST)
    ends = NOW + timedelta(hours=5)
    blocked = artist.decide(ArtistState(), TimeOffBlocked("t1", NOW, ends, "Dentist", NOW))
    assert blocked.writes
    assert blocked.effects[0] == BlockTime(NOW, ends, "Dentist")
    unblocked = artist.decide(ArtistState(), TimeOffUnblocked("t2", 7, NOW))
    assert unblocked.effects[0] == UnblockTime(7)
