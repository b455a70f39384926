"""One message for one lead's actor, from whichever source: the web, a timer, a provider."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from actors.lead import Event

__all__ = ["Inbound"]


@dataclass(frozen=True)
class Inbound:
    """What an actor's mailbox holds: the event, and what the inbox keeps of it."""

    lead_key: str
    message_id: str  # the inbox's key: a second delivery of it is a duplicate
    event: Event
    record: dict[str, Any]  # what the inbox stores for this message
    correlation_id: str
