"""
The artist's calendar as busy intervals: recurring events expanded with their
exceptions, all-day days off as whole days, daylight saving respected, and what does
not make the artist busy (cancelled, "free") left out.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from actors.providers.calendars.busy_times import NotACalendar, busy_intervals
from tests.busy_calendars import EXPECTED_BUSY, LONDON_ICS, WINDOW


def test_a_google_calendar_becomes_the_intervals_the_artist_is_busy() -> None:
    assert busy_intervals(LONDON_ICS, *WINDOW) == EXPECTED_BUSY


def test_only_what_overlaps_the_window_comes_back() -> None:
    start = datetime(2026, 10, 26, 9, 30, tzinfo=UTC)  # in the middle of Monday's school run
    end = datetime(2026, 10, 29, 15, 30, tzinfo=UTC)
    found = busy_intervals(LONDON_ICS, start, end)
    assert found == [b for b in EXPECTED_BUSY if b[0] < end and b[1] > start]
    assert found[0] == (
        datetime(2026, 10, 26, 9, tzinfo=UTC),
        datetime(2026, 10, 26, 10, tzinfo=UTC),
    )


def test_all_day_events_follow_the_studios_timezone_when_it_is_given() -> None:
    found = busy_intervals(LONDON_ICS, *WINDOW, timezone="Europe/Madrid")
    day_off = (datetime(2026, 10, 26, 23, tzinfo=UTC), datetime(2026, 10, 27, 23, tzinfo=UTC))
    assert day_off in found  # midnight to midnight in Madrid (CET, UTC+1)
    # Timed events keep their own timezone whatever the studio's.
    assert EXPECTED_BUSY[0] in found


def test_floating_times_are_read_on_the_calendars_clock() -> None:
    ics = LONDON_ICS.replace(
        b"END:VCALENDAR",
        b"BEGIN:VEVENT\r\nDTSTART:20261201T100000\r\nDURATION:PT2H\r\n"
        b"UID:floating@test\r\nDTSTAMP:20261001T120000Z\r\nEND:VEVENT\r\nEND:VCALENDAR",
    )
    end = WINDOW[1] + timedelta(days=1)
    found = busy_intervals(ics, WINDOW[0], end)
    assert (datetime(2026, 12, 1, 10, tzinfo=UTC), datetime(2026, 12, 1, 12, tzinfo=UTC)) in found


@pytest.mark.parametrize(
    "body",
    [b"", b"<html>Sign in to continue</html>", b"BEGIN:VCARD\r\nEND:VCARD\r\n"],
)
def test_what_is_not_a_calendar_is_refused_without_quoting_it(body: bytes) -> None:
    with pytest.raises(NotACalendar) as refused:
        busy_intervals(body, *WINDOW)
    assert "Sign in" not in str(refused.value)
    assert "VCARD" not in str(refused.value)


def test_the_window_must_be_aware() -> None:
    with pytest.raises(ValueError, match="aware"):
        busy_intervals(LONDON_ICS, datetime(2026, 10, 1), datetime(2026, 12, 1))
