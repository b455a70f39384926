"""
Which actor gets a WhatsApp message, as what event.

A lead's message goes to that lead. A button reply from the artist's own number whose
id names a lead (`approve:<wa_id>`, read by `actors.lead.button_ids`) goes to that
lead's actor as the artist's action; anything else from the artist goes to the artist's
own key, where it is recorded.

A lead's reaction or reply names one of our messages (`context.id`, a reaction's
`message_id`); `about_key` is that message's copy key, looked up by the caller, so the
lead's behaviour can tell a 👍 on the summary from any other. A user preference goes
to its lead; statuses go to `actors.statuses` as plain reports.
"""

from __future__ import annotations

from datetime import UTC, datetime

from actors import Inbound
from actors.lead import ArtistActed
from actors.lead.button_ids import artist_command
from actors.statuses import StatusReport
from web.whatsapp_models import MetaStatus, ReceivedMessage, ReceivedPreference

__all__ = ["route", "route_preference", "status_reports"]


def route(
    received: ReceivedMessage,
    *,
    artist_number: str | None,
    now: datetime,
    correlation_id: str,
    about_key: str | None = None,
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
    return Inbound.from_whatsapp(received.event(now, about_key=about_key), record, correlation_id)


def route_preference(
    received: ReceivedPreference, *, now: datetime, correlation_id: str
) -> Inbound:
    return Inbound.from_whatsapp(received.event(now), received.record(), correlation_id)


def status_reports(statuses: list[MetaStatus]) -> list[StatusReport]:
    """Meta's statuses as the reports `actors.statuses` keeps (unknown states left out)."""
    return [
        StatusReport(
            provider_message_id=status.id,
            state=status.status,
            error_code=status.error_code,
            recipient=status.recipient_id,
            reported_at=(
                datetime.fromtimestamp(status.timestamp, UTC) if status.timestamp else None
            ),
        )
        for status in statuses
        if status.status in _STATES
    ]


_STATES = frozenset({"sent", "delivered", "read", "failed"})
