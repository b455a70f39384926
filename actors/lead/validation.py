"""Is this message an acceptable answer to that question? Pure, table-tested."""

from __future__ import annotations

import re
from dataclasses import dataclass

from actors.lead.model import MEDIA_ANSWER, SKIPPED_ANSWER, MessageReceived
from actors.lead.script import Kind, Question, Words, normalise

__all__ = ["Accepted", "Rejected", "Unsupported", "Verdict", "judge"]

_MEDIA_TYPES = frozenset({"image", "document"})
_TEXT_TYPES = frozenset({"text", "interactive", "button"})
_NUMBER = re.compile(r"\d+(?:[.,]\d+)?")


@dataclass(frozen=True)
class Accepted:
    value: str
    media_id: str | None = None


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
            return Accepted(MEDIA_ANSWER, message.media_id)
        if message.kind in _TEXT_TYPES and message.text is not None:
            return Accepted(SKIPPED_ANSWER) if words.is_skip(message.text) else Rejected()
        return Unsupported()
    if message.kind not in _TEXT_TYPES:
        return Unsupported()
    if question.kind in (Kind.BUTTONS, Kind.LIST):
        picked = question.option(message.reply_id or message.text or "")
        return Accepted(picked.id) if picked else Rejected()
    return _judge_text(question, (message.text or "").strip(), words)


def _judge_text(question: Question, text: str, words: Words) -> Verdict:
    rules = question.validation
    if len(text) < rules.min_length:
        return Rejected()
    if rules.size_cm is not None:
        numbers = [float(n.replace(",", ".")) for n in _NUMBER.findall(text)]
        if not numbers:
            return Rejected()
        size = max(numbers)  # "10 x 15 cm": the longer side
        low, high = rules.size_cm
        return Accepted(text) if low <= size <= high else Rejected()
    if rules.date and not _looks_like_a_date(text, words):
        return Rejected()
    return Accepted(text)


def _looks_like_a_date(text: str, words: Words) -> bool:
    if any(ch.isdigit() for ch in text):
        return True
    tokens = normalise(text).split()
    return any(token in words.date_hints or token[:3] in words.date_hints for token in tokens)
