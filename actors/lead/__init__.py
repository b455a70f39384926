"""The lead's behaviour: a pure state machine, (state, event) -> (state, effects)."""

from __future__ import annotations

from actors.lead.answers import latest_answers
from actors.lead.behaviour import EDIT_PREFIX, LeadBehaviour
from actors.lead.codec import state_from_json, state_to_json
from actors.lead.model import (
    MEDIA_ANSWER,
    SKIPPED_ANSWER,
    Answer,
    ArtistActed,
    ArtistAction,
    Decision,
    Deposit,
    DepositLinkCreated,
    DepositSession,
    Effect,
    Event,
    LeadState,
    MessageReceived,
    Outcome,
    PaymentEventReceived,
    RecordDepositSession,
    RecordEvent,
    RecordPaymentIntent,
    RequestDepositLink,
    SendMedia,
    SendMessage,
)
from actors.lead.script import Kind, Option, Policy, Question, Script, Validation, Words
from actors.lead.status import Status
from actors.lead.transitions import ALLOWED, InvalidTransition, check_transition

__all__ = [
    "ALLOWED",
    "EDIT_PREFIX",
    "MEDIA_ANSWER",
    "SKIPPED_ANSWER",
    "Answer",
    "ArtistActed",
    "ArtistAction",
    "Decision",
    "Deposit",
    "DepositLinkCreated",
    "DepositSession",
    "Effect",
    "Event",
    "InvalidTransition",
    "Kind",
    "LeadBehaviour",
    "LeadState",
    "MessageReceived",
    "Option",
    "Outcome",
    "PaymentEventReceived",
    "Policy",
    "Question",
    "RecordDepositSession",
    "RecordEvent",
    "RecordPaymentIntent",
    "RequestDepositLink",
    "Script",
    "SendMedia",
    "SendMessage",
    "Status",
    "Validation",
    "Words",
    "check_transition",
    "latest_answers",
    "state_from_json",
    "state_to_json",
]
