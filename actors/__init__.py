"""The actor runtime, the lead behaviour, and delivery of outbound effects."""

from __future__ import annotations

from actors.copy import Composer, CopyError, load_copy, script_from
from actors.errors import (
    ActorError,
    DeliveryError,
    MailboxFull,
    PermanentDeliveryError,
    RetryableDeliveryError,
    RuntimeClosed,
    TurnFailed,
)
from actors.outbox.backoff import Backoff
from actors.outbox.delivery import Deliverer, Delivery
from actors.outbox.relay import OutboxRelay
from actors.providers.whatsapp.sender import WhatsAppSender
from actors.runtime.inbound import Inbound
from actors.runtime.registry import ActorInfo, ActorRuntime
from actors.runtime.turn import TurnOutcome

__all__ = [
    "ActorError",
    "ActorInfo",
    "ActorRuntime",
    "Backoff",
    "Composer",
    "CopyError",
    "Deliverer",
    "Delivery",
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
    "load_copy",
    "script_from",
]
