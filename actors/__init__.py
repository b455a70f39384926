"""The actor runtime, the lead behaviour, and delivery of outbound effects."""

from __future__ import annotations

from actors.backoff import Backoff
from actors.copy import Composer, CopyError, load_copy, script_from
from actors.delivery import Deliverer, Delivery
from actors.errors import (
    ActorError,
    DeliveryError,
    MailboxFull,
    PermanentDeliveryError,
    RetryableDeliveryError,
    RuntimeClosed,
    TurnFailed,
)
from actors.inbound import Inbound
from actors.relay import OutboxRelay
from actors.runtime import ActorInfo, ActorRuntime
from actors.turn import TurnOutcome
from actors.whatsapp import WhatsAppSender

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
