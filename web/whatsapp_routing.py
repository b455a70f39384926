"""
Which actor gets a WhatsApp message, as what event.

A lead's message goes to that lead. A message from the artist's own number goes where
`actors.artist_desk` says (a lead's actor, as the artist's action or words), or is
answered there by asking the artist which lead it is for: the artist is never a lead.
"""

from __future__ import annotations

from datetime import datetime

from actors import Inbound, TurnOutcome
from actors.artist_desk import ArtistDesk
from web.whatsapp_models import ReceivedMessage

__all__ = ["route"]


async def route(
    received: ReceivedMessage,
    *,
    desk: ArtistDesk | None,
    now: datetime,
    correlation_id: str,
) -> Inbound | TurnOutcome:
    """The inbound for a lead's actor, or the outcome of a message the desk answered."""
    event = received.event(now)
    if desk is not None and desk.is_artist(received.message.sender):
        return await desk.route(event, received.record(), correlation_id)
    return Inbound.from_whatsapp(event, received.record(), correlation_id)
