"""WhatsApp Cloud API: the sender, its Graph client, pacing, templates, media, statuses."""

from __future__ import annotations

from actors.providers.whatsapp.statuses import DeliveryReports, SentMessageRef, StatusReport
from actors.providers.whatsapp.templates import Template, Templates

__all__ = ["DeliveryReports", "SentMessageRef", "StatusReport", "Template", "Templates"]
