"""
The words the studio page's search finds a lead by: its name and its latest answers (a
text answer's words, a picked option's title), folded so that the artist may type them
any way: case ignored, accents dropped ("Ramírez" is found by "ramirez").

The turn stores them beside the lead (storage's `lead_search`) because the embedded
Postgres has no `unaccent`; the query folds its words with the same `fold`, so both
sides always agree.
"""

from __future__ import annotations

import re
import unicodedata

from actors.lead.answers import latest_answers
from actors.lead.model import MEDIA_ANSWER, SKIPPED_ANSWER, Answer, LeadState
from actors.lead.script import Script

__all__ = ["fold", "search_words"]

_WORD = re.compile(r"[^\W_]+")  # letters and digits; punctuation and "_" part words


def fold(text: str) -> list[str]:
    """`text`'s words, lower case and without accents, in order."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return _WORD.findall(plain)


def search_words(state: LeadState, script: Script) -> str:
    """The lead's searchable words, folded, each once, separated by one space."""
    texts = [state.name or ""]
    texts.extend(_shown(answer, script) for answer in latest_answers(state.answers).values())
    seen = dict.fromkeys(word for text in texts for word in fold(text))
    return " ".join(seen)


def _shown(answer: Answer, script: Script) -> str:
    """The answer as the artist reads it: a picked option by its title."""
    if answer.value in (MEDIA_ANSWER, SKIPPED_ANSWER):
        return ""
    question = script.get(answer.question)
    option = None if question is None else question.option(answer.value)
    return option.title if option is not None else answer.value
