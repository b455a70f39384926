"""
STUDIO_FILE's consent keys: off unless `consent: true`, read with their defaults, and a
wrong value stops `serve` with one line naming the key.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from actors.schedule import ConsentSettings
from tests.studio_example import EXAMPLE, example_text
from tests.web.test_startup import serve
from web.settings import Settings


def _with(tmp_path: Path, keys: str) -> Path:
    """The example studio with consent off, and these keys."""
    path = tmp_path / "studio.yml"
    path.write_text(example_text() + "\n" + keys)
    return path


def test_the_shipped_example_turns_consent_on() -> None:
    shipped = Settings(studio_file=EXAMPLE).studio()
    assert shipped is not None
    assert shipped.consent == ConsentSettings()  # a tattoo studio needs it (PRODUCT.md)


def test_consent_is_off_unless_the_file_turns_it_on(tmp_path: Path) -> None:
    off = Settings(studio_file=_with(tmp_path, "minimum_age: 21\n")).studio()
    assert off is not None
    assert off.consent is None
    on = Settings(studio_file=_with(tmp_path, "consent: true\n")).studio()
    assert on is not None
    assert on.consent == ConsentSettings()  # right after booking, 24 h reminder, 18, 3 years
    keys = (
        "consent: true\nconsent_ask_minutes_before: 4320\nminimum_age: 21\n"
        "parental_consent: true\nconsent_id_photo: true\nconsent_retention_years: 7\n"
    )
    custom = Settings(studio_file=_with(tmp_path, keys)).studio()
    assert custom is not None
    assert custom.consent == ConsentSettings(4320, 1440, 21, True, True, 7)


@pytest.mark.parametrize(
    ("keys", "expected"),
    [
        (
            "consent: true\nconsent_ask_minutes_before: 600\n",
            "consent_reminder_minutes_before: must be smaller than "
            "consent_ask_minutes_before (600, got 1440)",
        ),
        (
            "consent: true\nminimum_age: 0\n",
            "minimum_age: input should be greater than or equal to 1",
        ),
    ],
)
def test_a_wrong_consent_key_is_one_line_naming_it(
    tmp_path: Path, keys: str, expected: str
) -> None:
    assert serve({"STUDIO_FILE": str(_with(tmp_path, keys))}) == f"STUDIO_FILE: {expected}"
