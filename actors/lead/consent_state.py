"""
A lead's consent before the appointment, as its state keeps it: pure data, with its JSON.

`actors.lead.consent` holds the rules that move it; the complete (or refused) record is
kept by storage in its own table (`KeepConsent`), where the studio page reads it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = [
    "CONSENT_AGREE",
    "CONSENT_BUTTONS",
    "CONSENT_MINOR_FIX",
    "CONSENT_MINOR_YES",
    "CONSENT_NO",
    "CONSENT_YES",
    "Consent",
    "ConsentMessage",
    "ConsentQuestion",
    "ConsentScript",
    "ConsentStatus",
    "ConsentStep",
    "HealthAnswer",
    "consent_from_json",
    "consent_to_json",
]

# The ids of the consent's buttons (the copy names their titles under these keys).
CONSENT_YES = "consent_yes"
CONSENT_NO = "consent_no"
CONSENT_AGREE = "consent_agree"
CONSENT_MINOR_YES = "consent_minor_yes"
CONSENT_MINOR_FIX = "consent_minor_fix"
CONSENT_START = "consent_start"  # the intro's: outside the 24 hours, its tap starts the questions
CONSENT_BUTTONS = frozenset(
    {CONSENT_YES, CONSENT_NO, CONSENT_AGREE, CONSENT_MINOR_YES, CONSENT_MINOR_FIX, CONSENT_START}
)


class ConsentStatus(StrEnum):
    MISSING = "missing"  # until complete
    COMPLETE = "complete"
    REFUSED_MINOR = "refused_minor"
    DELETED = "deleted"


class ConsentStep(StrEnum):
    """The question the lead is answering (its copy key names the message that asks)."""

    DATE_OF_BIRTH = "consent_date_of_birth"
    MINOR_CHECK = "consent_minor_check"
    GUARDIAN = "consent_guardian"
    HEALTH = "consent_health"
    FOLLOW_UP = "consent_follow_up"
    ID_PHOTO = "consent_id_photo"
    AGREE = "consent_agree"


@dataclass(frozen=True)
class ConsentQuestion:
    """A health question of the copy (`consent.health_questions`)."""

    key: str
    text: str
    follow_up: str  # asked after Yes; the answer kept as `details`


@dataclass(frozen=True)
class ConsentScript:
    """The copy's consent: its version, the statement, the questions, the Yes/No titles."""

    version: str
    text: str  # {studio} and {artist} filled in; {name} filled per lead
    questions: tuple[ConsentQuestion, ...]
    yes: frozenset[str] = frozenset()  # normalised words that answer Yes (the button title)
    no: frozenset[str] = frozenset()


@dataclass(frozen=True)
class HealthAnswer:
    key: str
    answer: str  # "yes" | "no"
    details: str | None = None


@dataclass(frozen=True)
class ConsentMessage:
    """One of the lead's answers: WhatsApp's id, its time (s), the step it answered."""

    id: str
    at: int
    step: str


@dataclass(frozen=True)
class Consent:
    status: ConsentStatus = ConsentStatus.MISSING
    step: ConsentStep | None = None  # the open question; None: not asked yet, or done
    question: int = 0  # with HEALTH / FOLLOW_UP: the health question's index
    date_of_birth: str | None = None  # YYYY-MM-DD
    age: int | None = None
    guardian: str | None = None
    health: tuple[HealthAnswer, ...] = ()
    id_photo: tuple[str, str | None] | None = None  # (media id, sha256 as Meta said)
    asked_at: int | None = None  # seconds since the epoch
    agreed_at: int | None = None
    text_sha256: str | None = None  # of the statement as sent
    messages: tuple[ConsentMessage, ...] = ()
    reminded: bool = False  # the one reminder went (or its moment had passed at booking)

    @property
    def open(self) -> bool:
        """Whether the lead is answering one of its questions now."""
        return self.status is ConsentStatus.MISSING and self.step is not None


def consent_to_json(consent: Consent) -> dict[str, Any]:
    return {
        "status": consent.status.value,
        "step": consent.step.value if consent.step else None,
        "question": consent.question,
        "date_of_birth": consent.date_of_birth,
        "age": consent.age,
        "guardian": consent.guardian,
        "health": [
            {"key": h.key, "answer": h.answer, "details": h.details} for h in consent.health
        ],
        "id_photo": list(consent.id_photo) if consent.id_photo else None,
        "asked_at": consent.asked_at,
        "agreed_at": consent.agreed_at,
        "text_sha256": consent.text_sha256,
        "messages": [{"id": m.id, "at": m.at, "step": m.step} for m in consent.messages],
        "reminded": consent.reminded,
    }


def consent_from_json(data: Mapping[str, Any] | None) -> Consent | None:
    if not data:
        return None
    photo = data.get("id_photo")
    return Consent(
        status=ConsentStatus(data.get("status", ConsentStatus.MISSING.value)),
        step=ConsentStep(data["step"]) if data.get("step") else None,
        question=int(data.get("question") or 0),
        date_of_birth=data.get("date_of_birth"),
        age=data.get("age"),
        guardian=data.get("guardian"),
        health=tuple(
            HealthAnswer(str(h["key"]), str(h["answer"]), h.get("details"))
            for h in data.get("health", [])
        ),
        id_photo=(str(photo[0]), photo[1]) if photo else None,
        asked_at=data.get("asked_at"),
        agreed_at=data.get("agreed_at"),
        text_sha256=data.get("text_sha256"),
        messages=tuple(
            ConsentMessage(str(m["id"]), int(m["at"]), str(m["step"]))
            for m in data.get("messages", [])
        ),
        reminded=bool(data.get("reminded", False)),
    )
