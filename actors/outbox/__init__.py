"""Delivery after commit: the outbox relay, its deliverers' view of a row, and retry timing."""

from __future__ import annotations

__all__: list[str] = []
