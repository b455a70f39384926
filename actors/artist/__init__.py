"""The artist's actor: where a message from the artist's own number goes."""

from __future__ import annotations

__all__: list[str] = []
