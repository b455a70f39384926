"""
The copy's consent: the top-level `consent:` section (version, statement, health
questions) and the messages that ask, answer and tell (PRODUCT.md, "Tattoo studio
specifics"). `actors.copy.file` checks both at start-up, like the rest of the copy.
"""

from __future__ import annotations

import string

from pydantic import BaseModel, ConfigDict, Field

from actors.copy.limits import WhatsAppLimits
from actors.lead.consent_state import (
    CONSENT_AGREE,
    CONSENT_MINOR_FIX,
    CONSENT_MINOR_YES,
    CONSENT_NO,
    CONSENT_START,
    CONSENT_YES,
)

__all__ = ["CONSENT_MESSAGES", "ConsentCopy", "HealthQuestionCopy", "check_consent"]

_WHO = frozenset({"name", "number", "link"})
_NONE: frozenset[str] = frozenset()


def _says(*supplied: str, buttons: frozenset[str] = _NONE) -> tuple[frozenset[str], frozenset[str]]:
    return frozenset(supplied), buttons


# key -> (the placeholders the code supplies, the button ids it must have)
CONSENT_MESSAGES = {
    "consent_intro": _says(buttons=frozenset({CONSENT_START})),  # its template's quick reply
    "consent_date_of_birth": _says(),
    "consent_date_of_birth_reask": _says(),
    "consent_minor_check": _says(
        "date", "age", buttons=frozenset({CONSENT_MINOR_YES, CONSENT_MINOR_FIX})
    ),
    "consent_minor": _says("minimum_age"),
    "consent_guardian": _says("minimum_age"),
    "consent_health": _says("question", buttons=frozenset({CONSENT_YES, CONSENT_NO})),
    "consent_follow_up": _says("question"),  # a health question's follow-up, after Yes
    "consent_id_photo": _says(),
    "consent_id_photo_reask": _says(),
    "consent_statement": _says("text"),  # `consent.text`, as the lead agrees to it
    "consent_agree": _says(buttons=frozenset({CONSENT_AGREE})),
    "consent_done": _says(),
    "consent_reminder": _says("when"),
    "artist_consent_minor": _says(*_WHO, "age", "when"),
    "artist_consent_guardian": _says(*_WHO, "age", "guardian", "when"),
}


class HealthQuestionCopy(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    text: str = Field(min_length=1)
    follow_up: str = Field(min_length=1)  # the free-text question asked after Yes


class ConsentCopy(BaseModel):
    """`consent:`: change `version` whenever the text or the questions change."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    version: str = Field(min_length=1, max_length=100)
    text: str = Field(min_length=1)  # {studio}, {artist}, {name} allowed
    health_questions: list[HealthQuestionCopy] = []


def check_consent(consent: ConsentCopy, filled_text: str) -> None:
    """The statement's placeholders and length, the questions' keys and lengths.

    Raises:
        ValueError: naming the key (`actors.copy.file` makes it a `CopyError`).
    """
    names = {n for _, n, _, _ in string.Formatter().parse(consent.text) if n is not None}
    if names - {"studio", "artist", "name"}:
        raise ValueError(f"copy key 'consent.text' uses unsupplied {sorted(names)}")
    if len(filled_text) + WhatsAppLimits.NAME_ALLOWANCE > WhatsAppLimits.TEXT_BODY:
        raise ValueError("copy key 'consent.text' is over WhatsApp's 4,096 characters")
    keys = [q.key for q in consent.health_questions]
    if len(set(keys)) != len(keys):
        raise ValueError("copy key 'consent.health_questions': two questions share a key")
    for q in consent.health_questions:
        for text in (q.text, q.follow_up):
            if "{" in text or len(text) > WhatsAppLimits.INTERACTIVE_BODY // 2:
                raise ValueError(f"copy key 'consent.health_questions.{q.key}': too long or {{}}")
