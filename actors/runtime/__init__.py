"""The actor engine: a task per actor, a turn per message, timers, the loops' supervision."""

from __future__ import annotations

__all__: list[str] = []
