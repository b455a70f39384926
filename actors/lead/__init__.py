"""The lead's behaviour: a pure state machine, (state, event) -> (state, effects)."""

from __future__ import annotations

from actors.lead.behaviour import LeadBehaviour
from actors.lead.codec import state_from_json, state_to_json
from actors.lead.model import (
    Answer,
    Decision,
    Effect,
    Event,
    LeadState,
    MessageReceived,
    Outcome,
    SendMessage,
)
from actors.lead.script import Question, Script
from actors.lead.status import Status
from actors.lead.transitions import ALLOWED, InvalidTransition, check_transition

__all__ = [
    "ALLOWED",
    "Answer",
    "Decision",
    "Effect",
    "Event",
    "InvalidTransition",
    "LeadBehaviour",
    "LeadState",
    "MessageReceived",
    "Outcome",
    "Question",
    "Script",
    "SendMessage",
    "Status",
    "check_transition",
    "state_from_json",
    "state_to_json",
]
