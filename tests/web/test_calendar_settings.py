"""
The calendar settings at start-up: a wrong BUSY_CALENDAR_URL or STUDIO_CALENDAR_KEY is
one line naming the variable and never repeating the secret; the configuration line says
the calendar is on, never where it is.
"""

from __future__ import annotations

from typing import Any

import pytest
from structlog.testing import capture_logs

from web.startup import StartupError, log_configuration, read_settings

SECRET_URL = (
    "https://calendar.google.com/calendar/ical/ana%40gmail.com/private-0123456789abcdef/basic.ics"
)


def test_the_configuration_line_says_on_and_never_the_address() -> None:
    settings = read_settings(busy_calendar_url=SECRET_URL, studio_calendar_key="k" * 32)
    with capture_logs() as logs:
        log_configuration(settings)
    (summary,) = [line for line in logs if line["event"] == "service.configuration"]
    assert summary["busy_calendar"] == "on"
    assert "private-0123456789abcdef" not in repr(logs)
    assert "k" * 32 not in repr(logs)
    assert "private-0123456789abcdef" not in repr(settings)


def test_without_a_calendar_the_configuration_line_says_off() -> None:
    with capture_logs() as logs:
        log_configuration(read_settings())
    (summary,) = [line for line in logs if line["event"] == "service.configuration"]
    assert summary["busy_calendar"] == "off"


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        (
            {"busy_calendar_url": "ftp://calendar.example/private-0123456789abcdef.ics"},
            "BUSY_CALENDAR_URL: must be the calendar's https:// (or webcal://) iCal address",
        ),
        (
            {"studio_calendar_key": "short-private-0123456789abcdef"[:12]},
            "STUDIO_CALENDAR_KEY: must be at least 24 random characters (openssl rand -base64 32)",
        ),
        (
            {"busy_calendar_refresh_s": 1},
            "BUSY_CALENDAR_REFRESH_S: must be at least 10 (got 1)",
        ),
    ],
)
def test_a_wrong_calendar_setting_is_one_line_without_the_secret(
    overrides: dict[str, Any], expected: str
) -> None:
    with pytest.raises(StartupError) as refused:
        read_settings(**overrides)
    assert str(refused.value) == expected
    assert "0123456789abcdef" not in str(refused.value)
