"""
STUDIO_FILE at start-up: the shipped example is accepted as it is, and each mistake an
operator can make stops `serve` with one line naming the file's key.
"""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path

import pytest
import yaml

from tests.web.test_startup import ROOT, serve
from web.settings import Settings

EXAMPLE = ROOT / "studio.example.yml"


def test_the_shipped_example_is_valid_and_read_as_written() -> None:
    studio = Settings(studio_file=EXAMPLE).studio()
    assert studio is not None
    assert studio.timezone.key == "Europe/London"
    assert [(o.opens.isoformat("minutes"), o.closes.isoformat("minutes"))
            for o in studio.hours[0]] == [("10:00", "13:00"), ("14:00", "18:00")]  # fmt: skip
    assert studio.hours[6] == ()  # Sunday: closed
    assert studio.reminder_offsets_minutes == (2880, 720)
    assert studio.message_prices is not None
    assert studio.message_prices.currency == "GBP"
    assert studio.message_prices.by_category["utility"] == Decimal("0.0220")


def test_without_a_studio_file_there_is_no_scheduling() -> None:
    assert Settings().studio() is None


def _edited(tmp_path: Path, **changes: object) -> Path:
    data = yaml.safe_load(EXAMPLE.read_text())
    for key, value in changes.items():
        if value is None:
            del data[key]
        else:
            data[key] = value
    path = tmp_path / "studio.yml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"timezone": "Mars/Olympus"}, "timezone: unknown IANA timezone 'Mars/Olympus'"),
        ({"slot_step_minutes": 0}, "slot_step_minutes: input should be greater than 0"),
        ({"min_notice_hours": -1}, "min_notice_hours: input should be greater than or equal to 0"),
        ({"buffer_minutes": None}, "buffer_minutes: field required"),
        ({"colour": "red"}, "colour: extra inputs are not permitted"),
        ({"message_prices": {"currency": "zzz"}},
         "message_prices.currency: give an ISO 4217 code (gbp, eur, ...)"),
        ({"message_prices": {"currency": "gbp", "utility": -1}},
         "message_prices.utility: -1 is not a price"),
    ],
)  # fmt: skip
def test_a_wrong_key_is_one_line_naming_it(
    tmp_path: Path, changes: dict[str, object], expected: str
) -> None:
    line = serve({"STUDIO_FILE": str(_edited(tmp_path, **changes))})
    assert line == f"STUDIO_FILE: {expected}"


def test_hours_are_checked_day_by_day(tmp_path: Path) -> None:
    data = yaml.safe_load(EXAMPLE.read_text())
    data["hours"]["monday"] = [["10:00", "13:00"], ["12:00", "18:00"]]
    path = tmp_path / "studio.yml"
    path.write_text(yaml.safe_dump(data))
    assert serve({"STUDIO_FILE": str(path)}) == (
        "STUDIO_FILE: hours.monday[1]: starts before the one before it ends"
    )
    data["hours"]["monday"] = [["18:00", "10:00"]]
    path.write_text(yaml.safe_dump(data))
    assert serve({"STUDIO_FILE": str(path)}) == (
        "STUDIO_FILE: hours.monday[0]: opens at 18:00, not before it closes at 10:00"
    )
    data["hours"]["monday"] = [["9am", "10:00"]]
    path.write_text(yaml.safe_dump(data))
    assert serve({"STUDIO_FILE": str(path)}) == (
        "STUDIO_FILE: hours.monday[0]: '9am' is not a time as HH:MM"
    )
    del data["hours"]["sunday"]
    path.write_text(yaml.safe_dump(data))
    assert serve({"STUDIO_FILE": str(path)}) == "STUDIO_FILE: hours.sunday: field required"


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    line = serve({"STUDIO_FILE": str(tmp_path / "nope.yml")})
    assert line.startswith("STUDIO_FILE: cannot read ")
    assert "nope.yml" in line
