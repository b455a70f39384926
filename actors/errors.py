"""
Errors of the actor runtime and of delivery.

    ActorError
     +-- MailboxFull            the lead's mailbox is at capacity (web answers 503)
     +-- RuntimeClosed          the runtime is shutting down and takes no new work (503)
     +-- TurnFailed             the turn rolled back; the caller may retry (503)
    DatabaseUnavailable         (storage's, re-exported) the database cannot be reached
                                by a read or record outside a turn (503)
    DeliveryError
     +-- RetryableDeliveryError timeout, 429, 5xx, transient provider codes: back off
     +-- PermanentDeliveryError any other refusal: dead letter
     +-- DeliverySuppressed     deliberately not sent (outside WhatsApp's 24-hour window
     |                          with no template for it): suppressed, not a failure
     +-- DeliveryDeferred       not attempted: our own pacing asks for later, and the
                                attempt is given back
"""

from __future__ import annotations

from storage import DatabaseUnavailable

__all__ = [
    "ActorError",
    "DatabaseUnavailable",
    "DeliveryDeferred",
    "DeliveryError",
    "DeliverySuppressed",
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
    """
    Worth trying again after a backoff.

    `uncertain` marks a failure after the request left us (a read timeout, a connection
    dropped before the answer): the provider may have accepted it, so the next attempt
    is a possible duplicate and is logged as one.
    """

    def __init__(self, code: str, detail: str = "", *, uncertain: bool = False) -> None:
        super().__init__(code, detail)
        self.uncertain = uncertain


class PermanentDeliveryError(DeliveryError):
    """Trying again would fail the same way: dead-letter it."""


class DeliverySuppressed(DeliveryError):
    """
    Not sent on purpose, and never will be: `code` names why (e.g. "outside_window").

    Not a dead letter: nothing failed and re-driving would not help, but it is recorded
    as a warning so the artist can see that a lead was not told something.
    """


class LeaseLapsed(DeliveryError):
    """The claim's lease ran out before the provider call could start: leave the row."""


class DeliveryDeferred(DeliveryError):
    """
    Not attempted: the sender's own pacing would have to wait longer than a lease allows.

    The row goes back to the queue for `delay_s` without spending an attempt, so our
    throttling never pushes a message into the dead letters.
    """

    def __init__(self, code: str, detail: str = "", *, delay_s: float) -> None:
        super().__init__(code, detail)
        self.delay_s = delay_s
