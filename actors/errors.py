"""
Errors of the actor runtime and of delivery.

    ActorError
     +-- MailboxFull            the lead's mailbox is at capacity (web answers 503)
     +-- RuntimeClosed          the runtime is shutting down and takes no new work (503)
     +-- TurnFailed             the turn rolled back; the caller may retry (503)
    DeliveryError
     +-- RetryableDeliveryError timeout, 429, 5xx, transient provider codes
     +-- PermanentDeliveryError any other refusal: dead letter
"""

from __future__ import annotations

__all__ = [
    "ActorError",
    "DeliveryError",
    "MailboxFull",
    "PermanentDeliveryError",
    "RetryableDeliveryError",
    "RuntimeClosed",
    "TurnFailed",
]


class ActorError(Exception):
    """Base of the runtime's errors."""


class MailboxFull(ActorError):
    """The lead's mailbox is full; the provider should retry later."""


class RuntimeClosed(ActorError):
    """The runtime is draining for shutdown and accepts no new messages."""


class TurnFailed(ActorError):
    """The turn did not commit; nothing of it was written."""


class DeliveryError(Exception):
    """A provider did not accept an outbound effect."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


class RetryableDeliveryError(DeliveryError):
    """Worth trying again after a backoff."""


class PermanentDeliveryError(DeliveryError):
    """Trying again would fail the same way: dead-letter it."""
