"""
Real calendars are read as far as they can be: what icalendar trips on costs that
property (or that event), never the whole calendar, and each calendar's real event
still makes the artist busy. Several VCALENDARs in one stream are all read; a zone
without a usable TZID is read by its offsets, or else on the studio's clock.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from actors.providers.calendars.busy_times import read_busy
from tests.busy_calendars import EXPECTED_BUSY, LONDON_ICS, WINDOW
from tests.odd_calendars import EMPTY_TZID, EXCHANGE, FRIDAY_BUSY, ODD_CALENDARS, SKIPPED

START, END = datetime(2026, 9, 30, tzinfo=UTC), datetime(2026, 10, 20, tzinfo=UTC)


def covered(intervals: list[tuple[datetime, datetime]], wanted: tuple[datetime, datetime]) -> bool:
    """Whether `intervals` (sorted) cover `wanted` without a gap."""
    reached = wanted[0]
    for begins, ends in intervals:
        if begins <= reached < ends:
            reached = ends
    return reached >= wanted[1]


@pytest.mark.parametrize("name", sorted(ODD_CALENDARS))
def test_each_odd_calendar_still_blocks_the_artists_real_day(name: str) -> None:
    read = read_busy(ODD_CALENDARS[name], START, END, "Europe/London")
    assert covered(read.intervals, FRIDAY_BUSY)
    assert read.skipped == SKIPPED[name]


def test_a_bad_line_in_one_event_costs_nothing_of_the_others() -> None:
    alarm = b"BEGIN:VALARM\r\nACTION:DISPLAY\r\nTRIGGER:PT-2H\r\nEND:VALARM\r\n"
    broken = LONDON_ICS.replace(b"SUMMARY:Gym\r\n", b"SUMMARY:Gym\r\nRDATE:20131210Z\r\n" + alarm)
    read = read_busy(broken, *WINDOW)
    assert read.intervals == EXPECTED_BUSY
    assert read.skipped == 2  # the RDATE of the series and of its cancelled occurrence


def test_several_calendars_in_one_stream_are_all_read() -> None:
    both = read_busy(LONDON_ICS + ODD_CALENDARS["google"], *WINDOW)
    assert set(EXPECTED_BUSY) <= set(both.intervals)
    assert FRIDAY_BUSY in both.intervals


def test_an_empty_tzid_is_read_by_its_zones_offsets_not_the_studios() -> None:
    # The VTIMEZONE says UTC+1 in October; the studio is in Madrid (UTC+2).
    read = read_busy(EMPTY_TZID, START, END, "Europe/Madrid")
    assert read.intervals == [FRIDAY_BUSY]


def test_a_tzid_no_one_defines_is_the_studios_clock() -> None:
    read = read_busy(EXCHANGE, START, END, "Europe/Madrid")
    monday = (datetime(2026, 10, 5, 7, tzinfo=UTC), datetime(2026, 10, 5, 7, 30, tzinfo=UTC))
    assert monday in read.intervals  # 09:00 in Madrid
    assert FRIDAY_BUSY in read.intervals  # "GMT Standard Time" is London, whatever the studio


def test_an_event_without_a_readable_start_is_skipped_and_counted() -> None:
    bad = LONDON_ICS.replace(
        b"END:VCALENDAR",
        b"BEGIN:VEVENT\r\nUID:x\r\nDTSTART:2026-12-01\r\nDTEND:20261201T120000Z\r\n"
        b"END:VEVENT\r\nEND:VCALENDAR",
    )
    read = read_busy(bad, *WINDOW)
    assert read.intervals == EXPECTED_BUSY
    assert read.skipped == 2  # the start, and so the event


@pytest.mark.parametrize(
    "rule",
    ["RRULE:FREQ=DAILY;INTERVAL=0", "RRULE:FREQ=DAILY;COUNT=-1", "RRULE:FREQ=MINUTELY"],
)
def test_a_rule_that_would_never_end_costs_that_rule(rule: str) -> None:
    """With INTERVAL=0 the expansion would search for ever: the rule goes, the event
    stays as its one occurrence."""
    one = (datetime(2026, 11, 10, 10, tzinfo=UTC), datetime(2026, 11, 10, 11, tzinfo=UTC))
    event = (
        "BEGIN:VEVENT\r\nUID:endless\r\nDTSTART:20261110T100000Z\r\n"
        f"DTEND:20261110T110000Z\r\n{rule}\r\nEND:VEVENT\r\nEND:VCALENDAR"
    )
    read = read_busy(LONDON_ICS.replace(b"END:VCALENDAR", event.encode()), *WINDOW)
    assert read.intervals == sorted([*EXPECTED_BUSY, one])
    assert read.skipped == 1


def test_a_byte_order_mark_and_a_stream_cut_short_are_read_as_far_as_they_go() -> None:
    with_bom = b"\xef\xbb\xbf" + ODD_CALENDARS["exchange"]
    assert FRIDAY_BUSY in read_busy(with_bom, START, END, "Europe/London").intervals
    cut = ODD_CALENDARS["google"].replace(b"END:VCALENDAR\r\n", b"")
    assert read_busy(cut, START, END, "Europe/London").intervals == [FRIDAY_BUSY]
