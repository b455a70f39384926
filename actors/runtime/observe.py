"""
What the actors report as they work: a port that the runtime, the relay and the timer
scheduler call once at each event, so that none of them imports a metrics library.
The web layer implements it (`web.metrics`); `NullObserver` is the default.

Calls are synchronous, on the event loop, and some come right after a commit whose
answer must still reach its caller: an implementation must be cheap and must not raise.
Labels are small closed sets (event class names, outcomes, error codes), never ids.
"""

from __future__ import annotations

from typing import Literal, Protocol

__all__ = ["DeliveryOutcome", "NullObserver", "Observer"]

DeliveryOutcome = Literal["sent", "retry", "dead", "suppressed", "deferred"]


class Observer(Protocol):
    def turn_finished(self, event_type: str, outcome: str, seconds: float) -> None:
        """
        A turn ended and its caller got `outcome` (processed, duplicate, out_of_order,
        not_applicable) after `seconds` from leaving the mailbox.
        """

    def turn_failed(self, reason: str) -> None:
        """A turn rolled back (or broke after commit); `reason` is the error's class name."""

    def passivated(self) -> None:
        """An idle actor ended its task and dropped its cached state."""

    def delivery_finished(
        self, channel: str, outcome: DeliveryOutcome, error_code: str | None
    ) -> None:
        """The relay settled one claimed outbox row."""

    def timer_fired(self, kind: str, outcome: str) -> None:
        """A due timer was fed to its actor: a turn outcome, or "failed"."""

    def loop_restarted(self, loop: str) -> None:
        """A supervised background loop crashed and will be started again."""

    def status_reported(self, state: str, error_code: str | None) -> None:
        """Meta reported a message of ours sent, delivered, read or failed (with a code)."""

    def message_priced(self, category: str, kind: str | None, model: str | None) -> None:
        """Meta's price of one of our messages was kept, the first time it was reported
        (once per message, whichever replica kept it)."""


class NullObserver:
    """Reports nothing."""

    def turn_finished(self, event_type: str, outcome: str, seconds: float) -> None:
        pass

    def turn_failed(self, reason: str) -> None:
        pass

    def passivated(self) -> None:
        pass

    def delivery_finished(
        self, channel: str, outcome: DeliveryOutcome, error_code: str | None
    ) -> None:
        pass

    def timer_fired(self, kind: str, outcome: str) -> None:
        pass

    def loop_restarted(self, loop: str) -> None:
        pass

    def status_reported(self, state: str, error_code: str | None) -> None:
        pass

    def message_priced(self, category: str, kind: str | None, model: str | None) -> None:
        pass
