"""
One item of a JSON body as the text it came as, found by its path.

Why: a refused item is kept exactly as the provider sent it (spacing, key order,
escapes and all), so whoever reads it sees what arrived, not our re-encoding of it.
Only a refused item needs this, so the body is walked again only then: the path's
objects and arrays are stepped through, and everything beside the path is skipped by
the standard library's scanner, one value at a time.
"""

from __future__ import annotations

import json
import json.scanner
from collections.abc import Callable, Sequence
from typing import Any

__all__ = ["item_text"]

# (value, end) of the JSON value at an index; typeshed types its argument oddly.
_SCAN: Callable[[str, int], tuple[Any, int]] = json.scanner.make_scanner(
    json.JSONDecoder()  # type: ignore[arg-type]
)
_SPACE = " \t\n\r"

PathPart = str | int


def item_text(text: str, path: Sequence[PathPart]) -> str | None:
    """The JSON text of the value at `path` in the document `text` (keys for objects,
    indexes for arrays), or None when there is no such value. For a key given twice,
    the last one's value, as parsers read it."""
    try:
        start = _find(text, _skip_space(text, 0), path)
        if start is None:
            return None
        end = _SCAN(text, start)[1]
    except (StopIteration, ValueError, RecursionError):
        return None
    return text[start:end]


def _find(text: str, at: int, path: Sequence[PathPart]) -> int | None:
    """Where the value at `path`, inside the value starting at `at`, starts."""
    for part in path:
        found = _member(text, at, part) if isinstance(part, str) else _element(text, at, part)
        if found is None:
            return None
        at = found
    return at


def _member(text: str, at: int, key: str) -> int | None:
    if text[at : at + 1] != "{":
        return None
    found: int | None = None
    at = _skip_space(text, at + 1)
    if text[at : at + 1] == "}":
        return None
    while True:
        name, at = _SCAN(text, at)
        at = _skip_space(text, at)
        if text[at : at + 1] != ":":
            return None
        at = _skip_space(text, at + 1)
        if name == key:
            found = at
        at = _skip_space(text, _SCAN(text, at)[1])
        if text[at : at + 1] != ",":
            return found
        at = _skip_space(text, at + 1)


def _element(text: str, at: int, index: int) -> int | None:
    if text[at : at + 1] != "[":
        return None
    at = _skip_space(text, at + 1)
    if text[at : at + 1] == "]":
        return None
    for _ in range(index):
        at = _skip_space(text, _SCAN(text, at)[1])
        if text[at : at + 1] != ",":
            return None
        at = _skip_space(text, at + 1)
    return at


def _skip_space(text: str, at: int) -> int:
    while at < len(text) and text[at] in _SPACE:
        at += 1
    return at
