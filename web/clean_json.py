"""
A webhook's body as JSON, with hostile text made harmless first.

Why: Postgres cannot hold U+0000 in `text` or `jsonb`, and a lone surrogate (`\\ud83d`
escaped without its pair) is not a character at all: either would fail the turn that
stores it, or the parse, for every retry of the whole delivery. Both are replaced by
U+FFFD, anywhere in the body (keys too), before the body is validated; the item is
then taken like any other. Bytes that are not UTF-8 are replaced the same way.

The common body has neither: orjson parses it and one byte search proves it clean, so
only a body that needs it pays for the slower, lenient parse and the walk.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

__all__ = ["REPLACEMENT", "NotJson", "clean_text", "load_clean_json"]

REPLACEMENT = "\ufffd"
_HOSTILE = re.compile("[\x00\ud800-\udfff]")
_NUL_ESCAPE = b"\\u0000"


class NotJson(ValueError):
    """The body is not JSON (after hostile text was replaced)."""


def load_clean_json(body: bytes) -> Any:
    """The body's JSON value, with every NUL and lone surrogate replaced by U+FFFD."""
    try:
        parsed = orjson.loads(body)
    except orjson.JSONDecodeError:  # also a lone surrogate, or bytes that are not UTF-8
        parsed = _lenient(body)
    else:
        if _NUL_ESCAPE not in body:
            return parsed
    try:
        return _cleaned(parsed)
    except RecursionError:
        raise NotJson("nested too deeply") from None


def clean_text(text: str) -> str:
    """`text` with NUL and lone surrogates replaced by U+FFFD."""
    return _HOSTILE.sub(REPLACEMENT, text)


def _lenient(body: bytes) -> Any:
    """Python's own parser keeps a lone surrogate escape as a (lone) character."""
    try:
        return json.loads(body.decode("utf-8", errors="replace"))
    except (ValueError, RecursionError) as error:
        raise NotJson(type(error).__name__) from None


def _cleaned(value: Any) -> Any:
    if isinstance(value, str):
        return clean_text(value)
    if isinstance(value, dict):
        return {clean_text(k): _cleaned(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_cleaned(v) for v in value]
    return value
