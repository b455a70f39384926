"""WhatsApp Cloud API: the sender, its Graph client, pacing, templates, media, statuses."""

from __future__ import annotations

from actors.providers.whatsapp.statuses import (
    DeliveryReports,
    Pricing,
    SentMessageRef,
    StatusReport,
)
from actors.providers.whatsapp.templates import Template, Templates
from actors.providers.whatsapp.version import (
    DEFAULT_GRAPH_VERSION,
    GRAPH_VERSION_RETIRED_ON,
    graph_root,
    is_older,
    version_in_use,
)

__all__ = [
    "DEFAULT_GRAPH_VERSION",
    "GRAPH_VERSION_RETIRED_ON",
    "DeliveryReports",
    "Pricing",
    "SentMessageRef",
    "StatusReport",
    "Template",
    "Templates",
    "graph_root",
    "is_older",
    "version_in_use",
]
