"""
The shipped `studio.example.yml`, as tests about other things read it: with consent off.

The shipped file says `consent: true` (a tattoo studio needs it), so every booking it
makes asks the consent questions. A test about reminders, agendas or money that is not
about consent uses these: the same file, `consent: false`, so its leads are not asked.
Consent's own tests (tests/web/test_consent_*.py) use the shipped file as it is.
"""

from __future__ import annotations

import tempfile
from functools import cache
from pathlib import Path
from typing import Any

import yaml

__all__ = ["EXAMPLE", "example_data", "example_text", "example_without_consent"]

EXAMPLE = Path(__file__).resolve().parents[1] / "studio.example.yml"
_ON = "\nconsent: true "


def example_text() -> str:
    """The shipped file's text with `consent: false`."""
    text = EXAMPLE.read_text(encoding="utf-8")
    assert _ON in text, "studio.example.yml no longer turns consent on"
    return text.replace(_ON, "\nconsent: false", 1)


def example_data() -> dict[str, Any]:
    """The shipped file as data, with `consent: false`."""
    data = yaml.safe_load(example_text())
    assert isinstance(data, dict)
    return data


@cache
def example_without_consent() -> Path:
    """A copy of the shipped file with `consent: false` (one per test run)."""
    folder = Path(tempfile.mkdtemp(prefix="studio-example-"))
    path = folder / "studio.yml"
    path.write_text(example_text(), encoding="utf-8")
    return path
