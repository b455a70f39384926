"""
Which actor gets a WhatsApp message, as what event.

A lead's message goes to that lead. A button reply from the artist's own number whose
id carries a lead reference (`approve:<wa_id>`) goes to that lead's actor as the
artist's action; anything else from the artist goes to the artist's own key, where it
is recorded.
"""

from __future__ import annotations

import re
from datetime import datetime

from actors import Inbound
from actors.lead import ArtistActed, ArtistAction
from web.whatsapp_models import ReceivedMessage

__all__ = ["route"]

_ARTIST_BUTTON = re.compile(
    r"^(?P<action>" + "|".join(a.value for a in ArtistAction) + r"):(?P<lead>\d{6,20})$"
)


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
        command = _ARTIST_BUTTON.match(message.reply_id() or "")
        if command is not None:
            acted = ArtistActed(
                message_id=received.message_id,
                wa_id=command.group("lead"),
                action=ArtistAction(command.group("action")),
                received_at=now,
                via="whatsapp",
            )
            return Inbound.from_whatsapp(acted, record, correlation_id)
    return Inbound.from_whatsapp(received.event(now), record, correlation_id)
