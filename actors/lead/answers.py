"""
The one reading of answers. A question may be answered several times (edits, resumes);
everywhere answers are shown, the answer with the highest `seq` wins.
"""

from __future__ import annotations

from collections.abc import Iterable

from actors.lead.model import Answer

__all__ = ["latest_answers"]


def latest_answers(answers: Iterable[Answer]) -> dict[str, Answer]:
    """Question key -> its latest answer, in the order questions were first answered."""
    latest: dict[str, Answer] = {}
    for answer in sorted(answers, key=lambda a: a.seq):
        latest[answer.question] = answer  # a key keeps its first position in the dict
    return latest
