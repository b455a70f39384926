"""Delivery after commit: the outbox relay, its deliverers' view of a row, retry timing."""

from __future__ import annotations

from actors.outbox.backoff import Backoff
from actors.outbox.delivery import Deliverer, Delivery
from actors.outbox.relay import OutboxRelay

__all__ = ["Backoff", "Deliverer", "Delivery", "OutboxRelay"]
