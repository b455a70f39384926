"""The actor runtime, the lead behaviour, and delivery of outbound effects."""

from __future__ import annotations

from actors.composer import Composer, CopyError
from actors.errors import (
    ActorError,
    DeliveryError,
    MailboxFull,
    PermanentDeliveryError,
    RetryableDeliveryError,
    RuntimeClosed,
    TurnFailed,
)
from actors.relay import Backoff, Deliverer, OutboxRelay
from actors.runtime import ActorInfo, ActorRuntime, Inbound, TurnOutcome
from actors.whatsapp import WhatsAppSender

__all__ = [
    "ActorError",
    "ActorInfo",
    "ActorRuntime",
    "Backoff",
    "Composer",
    "CopyError",
    "Deliverer",
    "DeliveryError",
    "Inbound",
    "MailboxFull",
    "OutboxRelay",
    "PermanentDeliveryError",
    "RetryableDeliveryError",
    "RuntimeClosed",
    "TurnFailed",
    "TurnOutcome",
    "WhatsAppSender",
]
