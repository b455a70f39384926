"""
What a lead's behaviour reads and returns: state, events in, effects out.

All frozen dataclasses. Events are past tense, effects imperative. Time and ids come
in on the event: the behaviour never asks a clock or a random source.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from actors.lead.status import Status

__all__ = [
    "Answer",
    "Decision",
    "Effect",
    "Event",
    "LeadState",
    "MessageReceived",
    "Outcome",
    "SendMessage",
]


@dataclass(frozen=True)
class Answer:
    """One answer as given; several per question are normal (edits, resumes)."""

    question: str
    value: str
    message_id: str
    seq: int  # the lead's own answer counter: the one deterministic order of answers
    media_id: str | None = None


@dataclass(frozen=True)
class LeadState:
    wa_id: str
    status: Status = Status.NEW
    name: str | None = None
    current_question: str | None = None
    answers: tuple[Answer, ...] = ()
    last_message_ts: int = 0  # provider timestamp (s) of the newest message applied


@dataclass(frozen=True)
class MessageReceived:
    """A WhatsApp message from the lead's number."""

    message_id: str
    wa_id: str
    sent_at: int  # Meta's timestamp, seconds since the epoch
    received_at: datetime
    kind: str  # Meta's message type: text, interactive, button, image, sticker, ...
    text: str | None = None
    reply_id: str | None = None  # id of the button or list row picked
    media_id: str | None = None
    profile_name: str | None = None


Event = MessageReceived


@dataclass(frozen=True)
class SendMessage:
    """Send the copy message `key`, rendered with `params`, to `to`."""

    to: str
    key: str
    params: Mapping[str, str] = field(default_factory=dict)


Effect = SendMessage


class Outcome(StrEnum):
    PROCESSED = "processed"
    OUT_OF_ORDER = "out_of_order"


@dataclass(frozen=True)
class Decision:
    state: LeadState
    effects: tuple[Effect, ...] = ()
    outcome: Outcome = Outcome.PROCESSED
