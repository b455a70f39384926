"""
Which actor gets a WhatsApp message, as what event.

A lead's message goes to that lead. A button reply from the artist's own number whose
id names a lead (`approve:<wa_id>`, read by `actors.lead.button_ids`) goes to that
lead's actor as the artist's action; anything else from the artist goes to the artist's
own key, where it is recorded.
"""

from __future__ import annotations

from datetime import datetime

from actors import Inbound
from actors.lead import ArtistActed
from actors.lead.button_ids import artist_command
from web.whatsapp_models import ReceivedMessage

__all__ = ["route"]


def route(
    received: ReceivedMessage,
    *,
    artist_number: str | None,
    now: datetime,
    correlation_id: str,
) -> Inbound:
    message = received.message
    record = received.record()
    if artist_number is not None and message.sender == artist_number:
        command = artist_command(message.reply_id() or "")
        if command is not None:
            acted = ArtistActed(
                message_id=received.message_id,
                wa_id=command.wa_id,
                action=command.action,
                received_at=now,
                via="whatsapp",
            )
            return Inbound.from_whatsapp(acted, record, correlation_id)
    return Inbound.from_whatsapp(received.event(now), record, correlation_id)
