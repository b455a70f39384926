"""
Free slots, computed purely: the studio's hours minus bookings, buffers and busy times,
in its own timezone, across daylight-saving changes.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import given, settings
from hypothesis import strategies as st

from actors.schedule import Opening, is_free, offer
from actors.schedule.slots import ROWS, candidates
from tests.unit.studio_fixtures import LONDON, studio

TWO_HOURS = timedelta(hours=2)
MONDAY = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)  # 09:00 in London (GMT)


def local(day: date, hour: int, minute: int = 0, zone: ZoneInfo = LONDON) -> datetime:
    return datetime.combine(day, time(hour, minute), zone).astimezone(UTC)


def test_a_session_fits_inside_an_opening_on_the_step_grid() -> None:
    starts = list(candidates(studio(), date(2026, 12, 8), TWO_HOURS))
    shown = [s.astimezone(LONDON).strftime("%H:%M") for s in starts]
    assert shown == ["10:00", "10:30", "11:00", "14:00", "14:30", "15:00", "15:30", "16:00"]


def test_a_closed_day_has_no_slots() -> None:
    assert list(candidates(studio(), date(2026, 12, 13), TWO_HOURS)) == []  # a Sunday


def test_nothing_sooner_than_the_minimum_notice() -> None:
    page = offer(studio(), TWO_HOURS, now=MONDAY)
    assert page.starts[0] >= MONDAY + timedelta(hours=24)
    assert page.starts[0] == local(date(2026, 12, 8), 10)  # Tuesday 10:00, just over 24 h
    no_notice = offer(studio(min_notice_hours=0), TWO_HOURS, now=MONDAY)
    assert no_notice.starts[0] == local(date(2026, 12, 7), 10)


def test_a_booking_blocks_its_time_and_the_buffer_after_it() -> None:
    tuesday = date(2026, 12, 8)
    booked = (local(tuesday, 10), local(tuesday, 12, 15))  # 10:00-12:00 plus 15 minutes
    kw = {"now": MONDAY, "taken": [booked]}
    assert not is_free(studio(), local(tuesday, 10), TWO_HOURS, **kw)  # type: ignore[arg-type]
    assert not is_free(studio(), local(tuesday, 11), TWO_HOURS, **kw)  # type: ignore[arg-type]
    # Before it: a session ending 16:00 would leave no buffer before a 16:00 booking.
    late = (local(tuesday, 16), local(tuesday, 18, 15))
    assert not is_free(studio(), local(tuesday, 14), TWO_HOURS, now=MONDAY, taken=[late])
    assert is_free(studio(), local(tuesday, 14), TWO_HOURS, now=MONDAY, taken=[booked])


def test_a_busy_event_keeps_a_buffer_on_both_sides() -> None:
    tuesday = date(2026, 12, 8)
    dentist = (local(tuesday, 14), local(tuesday, 15))
    assert not is_free(studio(), local(tuesday, 15), TWO_HOURS, now=MONDAY, busy=[dentist])
    assert is_free(studio(), local(tuesday, 15, 30), TWO_HOURS, now=MONDAY, busy=[dentist])
    early = (local(tuesday, 9), local(tuesday, 9, 50))  # ends ten minutes before opening
    assert not is_free(studio(), local(tuesday, 10), TWO_HOURS, now=MONDAY, busy=[early])
    earlier = (local(tuesday, 9), local(tuesday, 9, 45))
    assert is_free(studio(), local(tuesday, 10), TWO_HOURS, now=MONDAY, busy=[earlier])


def test_a_page_spreads_over_days_and_pages_on() -> None:
    first = offer(studio(), TWO_HOURS, now=MONDAY)
    assert len(first.starts) == ROWS - 1
    assert first.later is not None
    days = {s.astimezone(LONDON).date() for s in first.starts}
    assert len(days) == 3  # three a day: morning, middle, evening
    second = offer(studio(), TWO_HOURS, now=MONDAY, after=first.later)
    assert min(second.starts) > max(first.starts)


def test_later_dates_go_on_within_the_day_the_page_cut() -> None:
    """Tuesday has one free time, so the page ends in the middle of Friday's: the next
    page starts with the rest of Friday, not on Saturday."""
    tuesday, friday = date(2026, 12, 8), date(2026, 12, 11)
    busy = [(local(tuesday, 9), local(tuesday, 15, 45))]
    first = offer(studio(), TWO_HOURS, now=MONDAY, busy=busy)
    assert len(first.starts) == ROWS - 1
    assert first.starts[-1].astimezone(LONDON).date() == friday
    assert first.later is not None
    assert first.later > first.starts[-1]
    second = offer(studio(), TWO_HOURS, now=MONDAY, busy=busy, after=first.later)
    assert second.starts[0] == first.later
    assert second.starts[0].astimezone(LONDON).date() == friday
    assert set(first.starts).isdisjoint(second.starts)


def test_the_horizon_ends_the_pages() -> None:
    short = studio(horizon_days=3)
    page = offer(short, TWO_HOURS, now=MONDAY)
    assert page.later is None
    assert all(s < MONDAY + timedelta(days=3) for s in page.starts)


def test_off_grid_or_out_of_hours_is_not_free() -> None:
    tuesday = date(2026, 12, 8)
    assert not is_free(studio(), local(tuesday, 10, 10), TWO_HOURS, now=MONDAY)
    assert not is_free(studio(), local(tuesday, 17), TWO_HOURS, now=MONDAY)


# -- daylight saving -------------------------------------------------------------------------

NIGHT_OWL = studio(
    hours={d: (Opening(time(0, 0), time(6, 0)),) for d in range(7)},
    slot_step_minutes=30,
    min_notice_hours=0,
    buffer_minutes=0,
)


def test_the_hour_clocks_skip_is_no_slot() -> None:
    """29 March 2026: London goes from 01:00 straight to 02:00."""
    day = date(2026, 3, 29)
    shown = [s.astimezone(LONDON).strftime("%H:%M") for s in candidates(NIGHT_OWL, day, TWO_HOURS)]
    assert "01:00" not in shown
    assert "01:30" not in shown
    assert shown[:3] == ["00:00", "00:30", "02:00"]


def test_a_session_lasts_its_real_length_when_clocks_go_back() -> None:
    """25 October 2026: 01:00-02:00 happens twice; a slot is its first occurrence."""
    day = date(2026, 10, 25)
    starts = list(candidates(NIGHT_OWL, day, TWO_HOURS))
    one_am = [s for s in starts if s.astimezone(LONDON).strftime("%H:%M") == "01:00"]
    assert one_am == [datetime(2026, 10, 25, 0, 0, tzinfo=UTC)]  # 01:00 BST
    # The closing time is 06:00 GMT: the last two-hour session starts at 04:00 GMT.
    assert max(starts) == datetime(2026, 10, 25, 4, 0, tzinfo=UTC)


def test_a_dst_week_offers_the_same_wall_clock_hours() -> None:
    before = datetime(2026, 3, 26, 9, 0, tzinfo=UTC)  # Thursday before the change
    page = offer(studio(horizon_days=7), TWO_HOURS, now=before)
    hours = {s.astimezone(LONDON).strftime("%H:%M") for s in page.starts}
    grid = {f"{h:02}:{m:02}" for h in range(10, 17) for m in (0, 30)}  # Saturday's too
    assert hours <= grid
    offsets = {s.astimezone(LONDON).utcoffset() for s in page.starts}
    assert offsets == {timedelta(0), timedelta(hours=1)}  # both sides of the change


# -- properties ------------------------------------------------------------------------------

_instants = st.datetimes(
    min_value=datetime(2026, 1, 1), max_value=datetime(2027, 12, 1), timezones=st.just(UTC)
)


@st.composite
def _intervals(draw: st.DrawFn) -> tuple[datetime, datetime]:
    start = draw(_instants)
    return start, start + timedelta(minutes=draw(st.integers(1, 600)))


@settings(max_examples=60, deadline=None)
@given(
    now=_instants,
    taken=st.lists(_intervals(), max_size=30),
    busy=st.lists(_intervals(), max_size=10),
    step=st.sampled_from([1, 15, 30, 45, 60]),
    minutes=st.integers(15, 480),
    zone=st.sampled_from(["Europe/London", "America/New_York", "Australia/Lord_Howe", "UTC"]),
)
def test_no_offered_slot_overlaps_anything_and_all_are_within_hours(
    now: datetime,
    taken: list[tuple[datetime, datetime]],
    busy: list[tuple[datetime, datetime]],
    step: int,
    minutes: int,
    zone: str,
) -> None:
    place = studio(timezone=ZoneInfo(zone), slot_step_minutes=step, horizon_days=14)
    length = timedelta(minutes=minutes)
    buffer = place.buffer
    page = offer(place, length, now=now, taken=taken, busy=busy)
    pages = [page]
    if page.later is not None:
        pages.append(offer(place, length, now=now, taken=taken, busy=busy, after=page.later))
    seen = [s for p in pages for s in p.starts]
    assert len(seen) == len(set(seen))
    assert seen == sorted(seen)
    assert all(len(p.starts) <= ROWS for p in pages)
    for start in seen:
        end = start + length
        assert all(not (start < t_end and t_start < end + buffer) for t_start, t_end in taken)
        padded = (start - buffer, end + buffer)
        assert all(not (padded[0] < b_end and b_start < padded[1]) for b_start, b_end in busy)
        notice, horizon = timedelta(hours=place.min_notice_hours), timedelta(days=14)
        assert now + notice <= start < now + horizon
        wall = start.astimezone(place.timezone)
        openings = place.hours[wall.weekday()]
        ends_wall = end.astimezone(place.timezone)
        assert any(
            o.opens <= wall.time() and (ends_wall - wall) == length
            and (o.closes == time.max or ends_wall.replace(tzinfo=None)
                 <= datetime.combine(wall.date(), o.closes))
            for o in openings
        )  # fmt: skip
        assert is_free(place, start, length, now=now, taken=taken, busy=busy)
