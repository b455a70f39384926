"""
The lead's words shape the times: the answer to "when?" orders the first page of times
(in the copy's language), words written while picking a time go to the artist with one
holding line, and every list ends with "None of these".
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from actors.copy import load_copy
from actors.copy.script import script_from
from actors.lead import Calendar, LeadBehaviour, LeadState, OfferSlots, Policy, SendMessage
from actors.lead.model import ArtistAction
from actors.lead.status import Status
from actors.lead.time_wishes import read_wish
from tests.unit.lead_fixtures import ALL_ANSWERED, ARTIST, LEAD, NOW, act, artist_says, msg, reply
from tests.unit.studio_fixtures import LONDON, studio

COPY = Path(__file__).resolve().parents[2] / "copy"
TODAY = datetime(2026, 11, 24, 12, 0)  # NOW on the studio's wall clock (London, GMT)


def _when(locale: str) -> dict[str, frozenset[str]]:
    return dict(script_from(load_copy(COPY, locale)).words.when)


@pytest.mark.parametrize(
    ("locale", "said", "days", "hours", "first", "last"),
    [
        ("en_GB", "next month, weekends preferably", {5, 6}, None, "2026-12-01", "2026-12-31"),
        ("en_GB", "Weekday mornings", {0, 1, 2, 3, 4}, (0, 12), None, None),
        ("en_GB", "after the 15th", None, None, "2026-12-15", None),
        ("en_GB", "March, evenings", None, (17, 24), "2027-03-01", "2027-03-31"),
        ("en_GB", "flexible", None, None, None, None),
        ("es_ES", "el mes que viene, fines de semana", {5, 6}, None, "2026-12-01", "2026-12-31"),
        ("es_ES", "marzo por la tarde", None, (12, 17), "2027-03-01", "2027-03-31"),
        ("es_ES", "a partir del 15", None, None, "2026-12-15", None),
        ("es_ES", "cuando sea", None, None, None, None),
    ],
)
def test_the_answer_to_when_is_read_in_the_copy_language(
    locale: str,
    said: str,
    days: set[int] | None,
    hours: tuple[int, int] | None,
    first: str | None,
    last: str | None,
) -> None:
    wish = read_wish(said, _when(locale), locale, TODAY)
    assert wish.days == (frozenset(days) if days else None)
    assert wish.hours == hours
    assert wish.first == (date.fromisoformat(first) if first else None)
    assert wish.last == (date.fromisoformat(last) if last else None)


def _behaviour(locale: str = "en_GB") -> LeadBehaviour:
    script = script_from(load_copy(COPY, locale))
    policy = Policy(artist_number=ARTIST, studio=studio(horizon_days=60), hold_s=3600)
    return LeadBehaviour(script, policy)


def _answered(timing: str) -> LeadState:
    answers = tuple(replace(a, value=timing) if a.question == "timing" else a for a in ALL_ANSWERED)
    return LeadState(wa_id=LEAD, status=Status.PENDING_APPROVAL, name="Ana", answers=answers)


def _offered(behaviour: LeadBehaviour, state: LeadState) -> tuple[LeadState, OfferSlots]:
    decision = behaviour.decide_on(state, act(ArtistAction.APPROVE), Calendar())
    listed = next(e for e in decision.effects if isinstance(e, OfferSlots))
    return decision.state, listed


def _local(start: int) -> datetime:
    return datetime.fromtimestamp(start, UTC).astimezone(LONDON)


def test_next_month_at_weekends_offers_december_saturdays_first() -> None:
    _, listed = _offered(_behaviour(), _answered("next month, weekends preferably"))
    assert listed.slots
    assert all(_local(s).month == 12 and _local(s).weekday() == 5 for s in listed.slots)


def test_weekday_afternoons_are_offered_first_and_flexible_changes_nothing() -> None:
    _, afternoons = _offered(_behaviour(), _answered("weekday afternoons"))
    assert all(_local(s).hour >= 12 and _local(s).weekday() < 5 for s in afternoons.slots)
    _, flexible = _offered(_behaviour(), _answered("flexible"))
    assert _local(flexible.slots[0]).date() == date(2026, 11, 25)  # the first free day
    assert any(_local(s).hour < 12 for s in flexible.slots)


def test_a_wish_no_free_time_fits_offers_every_free_time() -> None:
    _, listed = _offered(_behaviour(), _answered("Sunday mornings"))  # closed on Sundays
    assert listed.slots


def test_a_spanish_answer_shapes_the_times_too() -> None:
    _, listed = _offered(_behaviour("es_ES"), _answered("el mes que viene"))
    assert all(_local(s).month == 12 for s in listed.slots)


def test_words_while_picking_go_to_the_artist_with_one_holding_line() -> None:
    behaviour = _behaviour()
    state, _ = _offered(behaviour, _answered("flexible"))
    first = behaviour.decide_on(state, msg("Saturday would be best for me"), Calendar())
    assert first.state.status is Status.SCHEDULING
    sent = [(e.to, e.key) for e in first.effects if isinstance(e, SendMessage)]
    assert sent == [(ARTIST, "artist_forward"), (LEAD, "slots_passed_on")]
    assert not any(isinstance(e, OfferSlots) for e in first.effects)  # no list again
    second = behaviour.decide_on(first.state, msg("or Sunday"), Calendar())
    assert [(e.to, e.key) for e in second.effects if isinstance(e, SendMessage)] == [
        (ARTIST, "artist_forward")
    ]
    # The artist answers: the lead's next words get the holding line again.
    answered = behaviour.decide_on(second.state, artist_says("Saturday 10:00?"), Calendar())
    third = behaviour.decide_on(answered.state, msg("yes please"), Calendar())
    assert [e.key for e in third.effects if isinstance(e, SendMessage)] == [
        "artist_forward",
        "slots_passed_on",
    ]


def test_none_of_these_asks_what_suits_and_the_times_stay_open() -> None:
    behaviour = _behaviour()
    state, listed = _offered(behaviour, _answered("flexible"))
    asked = behaviour.decide_on(state, reply("none_fit"), Calendar())
    assert [e.key for e in asked.effects if isinstance(e, SendMessage)] == ["waitlist_range"]
    picked = behaviour.decide_on(asked.state, reply(f"slot:{listed.slots[0]}"), Calendar())
    assert picked.state.status is Status.BOOKING_PENDING


def test_a_when_word_passes_the_date_check() -> None:
    words = script_from(load_copy(COPY, "en_GB")).words
    assert words.says_when("Weekends preferably")
    assert NOW.tzinfo is UTC
