"""
Is this message an acceptable answer to that question? Pure, table-tested.

A size is understood in the units the copy lists ("7", "7cm", "70 mm", "3 in", '3"',
"10 x 15 cm") and kept in one form, centimetres: "7 cm", "7.6 cm", "10 x 15 cm".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from actors.lead.model import MEDIA_ANSWER, SKIPPED_ANSWER, MediaKind, MessageReceived, media_kind
from actors.lead.script import Kind, Question, Validation, Words, normalise

__all__ = [
    "CM_PER_UNIT",
    "Accepted",
    "Rejected",
    "Unsupported",
    "Verdict",
    "judge",
    "judge_text",
    "size_cm",
    "size_shown",
]

# The units a copy file may list words for, in centimetres.
CM_PER_UNIT = {"cm": 1.0, "mm": 0.1, "m": 100.0, "in": 2.54}

_MEDIA_TYPES = frozenset({"image", "document"})
_TEXT_TYPES = frozenset({"text", "interactive", "button"})
# A number, a word, or a sign that may stand for a unit (inches) or join two sides.
_TOKEN = re.compile(r"\d+(?:[.,]\d+)?|[^\W\d_]+|''|[\"\u201d\u2033\u00d7*]")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")
_BY = frozenset({"x", "\u00d7", "*"})  # "10 x 15": two sides of one size
_CANONICAL = re.compile(r"\d+(?:\.\d)?(?: x \d+(?:\.\d)?)* cm")


@dataclass(frozen=True)
class Accepted:
    value: str
    media_id: str | None = None
    media_kind: MediaKind = MediaKind.IMAGE  # with media_id: sent on as what it is


@dataclass(frozen=True)
class Rejected:
    """An answer of the right type that does not pass validation."""


@dataclass(frozen=True)
class Unsupported:
    """A message type that cannot answer this question (sticker, location, reaction...)."""


Verdict = Accepted | Rejected | Unsupported


def judge(question: Question, message: MessageReceived, words: Words) -> Verdict:
    if question.kind is Kind.MEDIA:
        if message.kind in _MEDIA_TYPES and message.media_id:
            return Accepted(MEDIA_ANSWER, message.media_id, media_kind(message.kind))
        if message.kind in _TEXT_TYPES and message.text is not None:
            return Accepted(SKIPPED_ANSWER) if words.is_skip(message.text) else Rejected()
        return Unsupported()
    if message.kind not in _TEXT_TYPES:
        return Unsupported()
    if question.kind in (Kind.BUTTONS, Kind.LIST):
        picked = question.option(message.reply_id or message.text or "")
        return Accepted(picked.id) if picked else Rejected()
    return _judge_text(question.validation, (message.text or "").strip(), words)


def judge_text(rules: Validation, message: MessageReceived, words: Words) -> Verdict:
    """A free-text answer judged by `rules` (a follow-up's text, say)."""
    if message.kind not in _TEXT_TYPES:
        return Unsupported()
    return _judge_text(rules, (message.text or "").strip(), words)


def _judge_text(rules: Validation, text: str, words: Words) -> Verdict:
    if len(text) < rules.min_length:
        return Rejected()
    if rules.size_cm is not None:
        sides = size_cm(text, words)
        if not sides:
            return Rejected()
        low, high = rules.size_cm
        if not low <= max(sides) <= high:
            return Rejected()
        return Accepted(" x ".join(_decimal(side) for side in sides) + " cm")
    if rules.date and not _looks_like_a_date(text, words):
        return Rejected()
    return Accepted(text)


def size_cm(text: str, words: Words) -> tuple[float, ...]:
    """
    The size a lead wrote, in centimetres, rounded as it is shown; () if it has none.

    A unit applies to the number it follows; a number without one takes the unit written
    elsewhere in the message ("10 x 15 cm", "5-7 inches"), else centimetres (the question
    asks in cm). Sides joined by "x" are one size; of several sizes ("10 or 12 cm"), the
    largest counts.
    """
    sizes: list[list[tuple[float, float | None]]] = []  # sizes, each a list of sides
    joined = after_number = False
    for token in _TOKEN.findall(text.casefold()):
        if _NUMBER.fullmatch(token):
            side = (float(token.replace(",", ".")), None)
            if joined and sizes:
                sizes[-1].append(side)
            else:
                sizes.append([side])
            joined, after_number = False, True
            continue
        unit = words.size_units.get(token)
        if unit is not None and after_number:
            value, _ = sizes[-1][-1]
            sizes[-1][-1] = (value, unit)
        joined = token in _BY and bool(sizes)
        after_number = False
    if not sizes:
        return ()
    stated = [unit for size in sizes for _, unit in size if unit is not None]
    default = stated[-1] if stated else 1.0
    in_cm = [tuple(_rounded(value * (unit or default)) for value, unit in size) for size in sizes]
    return max(in_cm, key=max)


def size_shown(value: str, decimal_mark: str) -> str:
    """A size kept by `judge` as the locale writes decimals; any other text unchanged."""
    return value.replace(".", decimal_mark) if _CANONICAL.fullmatch(value) else value


def _rounded(cm: float) -> float:
    """To the millimetre: "3 in" is 7.6 cm, "12.5 cm" stays 12.5 cm."""
    return float(Decimal(repr(cm)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))


def _decimal(cm: float) -> str:
    return f"{cm:.1f}".removesuffix(".0")


def _looks_like_a_date(text: str, words: Words) -> bool:
    if any(ch.isdigit() for ch in text) or words.says_when(text):
        return True
    tokens = normalise(text).split()
    return any(token in words.date_hints or token[:3] in words.date_hints for token in tokens)
