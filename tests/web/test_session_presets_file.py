"""
STUDIO_FILE's `session_presets:` at start-up: the lengths the page's Approve offers, in
the file's order; a wrong one stops `serve` with one line naming it; a file without the
key works as before (the default length and a typed one only).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.web.test_startup import serve
from tests.web.test_studio_file import EXAMPLE, _edited
from web.settings import Settings


def test_the_example_offers_its_presets_in_order_and_a_file_without_them_none(
    tmp_path: Path,
) -> None:
    studio = Settings(studio_file=EXAMPLE).studio()
    assert studio is not None
    assert [(p.label, p.minutes) for p in studio.session_presets] == [
        ("Small", 60),
        ("Half day", 240),
        ("Full day", 420),
    ]
    without = Settings(studio_file=_edited(tmp_path, session_presets=None)).studio()
    assert without is not None
    assert without.session_presets == ()


@pytest.mark.parametrize(
    ("presets", "expected"),
    [
        ([{"label": "Huge", "minutes": 1441}],
         "session_presets.0.minutes: input should be less than or equal to 1440"),
        ([{"label": "Small", "minutes": 60}, {"label": "x" * 41, "minutes": 60}],
         "session_presets.1.label: string should have at most 40 characters"),
        ([{"label": "Two\nlines", "minutes": 60}],
         "session_presets.0.label: give the preset's label on one line"),
        ([{"label": "Small"}], "session_presets.0.minutes: field required"),
    ],
)  # fmt: skip
def test_a_wrong_preset_is_one_line_naming_it(
    tmp_path: Path, presets: object, expected: str
) -> None:
    line = serve({"STUDIO_FILE": str(_edited(tmp_path, session_presets=presets))})
    assert line == f"STUDIO_FILE: {expected}"
