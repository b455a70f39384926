"""WhatsApp Cloud API: the sender, its Graph client, pacing, templates, media, statuses."""

from __future__ import annotations

__all__: list[str] = []
