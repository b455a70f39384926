"""
The one composer: copy YAML in, WhatsApp message bodies out.

Effects name a copy key and its parameters; the composer renders them at delivery.
`Composer.load` checks, before the service starts, that every key the code uses exists
and that no text asks for a placeholder the code does not supply, naming the key.
"""

from __future__ import annotations

import string
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict, ValidationError

from actors.lead.script import Question, Script

__all__ = ["REQUIRED_MESSAGES", "Composer", "CopyError"]

# Every message key the code sends, with the placeholders it supplies.
REQUIRED_MESSAGES: Mapping[str, frozenset[str]] = {
    "greeting": frozenset({"name"}),
    "greeting_anonymous": frozenset(),
    "received_all": frozenset(),
}


class CopyError(Exception):
    """The copy file is missing a key, asks for an unsupplied placeholder, or is malformed."""


class _QuestionCopy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    key: str
    kind: str
    text: str


class _CopyFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    locale: str
    messages: dict[str, str]
    questions: list[_QuestionCopy]


def _placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


class Composer:
    def __init__(self, copy: _CopyFile) -> None:
        self._copy = copy
        self._questions = {q.key: q for q in copy.questions}

    @classmethod
    def load(cls, copy_dir: Path, locale: str) -> Composer:
        path = copy_dir / f"{locale}.yml"
        try:
            raw = yaml.safe_load(path.read_text(encoding="utf-8"))
            parsed = _CopyFile.model_validate(raw)
        except (OSError, yaml.YAMLError, ValidationError) as error:
            raise CopyError(f"{path}: {error}") from error
        composer = cls(parsed)
        composer._check()
        return composer

    def _check(self) -> None:
        for key, supplied in REQUIRED_MESSAGES.items():
            text = self._copy.messages.get(key)
            if text is None:
                raise CopyError(f"copy key {key!r} is missing")
            unsupplied = _placeholders(text) - supplied
            if unsupplied:
                raise CopyError(f"copy key {key!r} uses unsupplied {sorted(unsupplied)}")
        if not self._copy.questions:
            raise CopyError("copy has no questions")
        for question in self._copy.questions:
            if _placeholders(question.text):
                raise CopyError(f"copy key 'questions.{question.key}' takes no placeholders")

    def script(self) -> Script:
        return Script(tuple(Question(q.key, q.kind) for q in self._copy.questions))

    def render(self, key: str, params: Mapping[str, str]) -> dict[str, Any]:
        """The Graph API message body (without `to`) for copy `key`."""
        if key.startswith("questions."):
            question = self._questions.get(key.removeprefix("questions."))
            if question is None:
                raise CopyError(f"copy key {key!r} is missing")
            return _text(question.text)
        text = self._copy.messages.get(key)
        if text is None:
            raise CopyError(f"copy key {key!r} is missing")
        return _text(text.format_map(dict(params)))


def _text(body: str) -> dict[str, Any]:
    return {"type": "text", "text": {"body": body, "preview_url": False}}
