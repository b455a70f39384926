"""The studio page's own commands: who may open it."""

from __future__ import annotations

__all__: list[str] = []
