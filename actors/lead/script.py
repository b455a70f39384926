"""The qualifying questions, as data read from the copy file."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Question", "Script"]


@dataclass(frozen=True)
class Question:
    key: str
    kind: str  # text | buttons | list | media


@dataclass(frozen=True)
class Script:
    questions: tuple[Question, ...]

    def first(self) -> Question:
        return self.questions[0]

    def after(self, key: str) -> Question | None:
        """The question that follows `key`, or None after the last one."""
        keys = [q.key for q in self.questions]
        index = keys.index(key) + 1
        return self.questions[index] if index < len(self.questions) else None
