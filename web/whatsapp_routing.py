"""
Which actor gets a WhatsApp message, as what event.

A lead's message goes to that lead. A message from the artist's own number goes where
`actors.artist.desk` says (a lead's actor, as the artist's action or words), or is
answered there by asking the artist which lead it is for: the artist is never a lead.

A lead's reaction or reply names one of our messages (`context.id`, a reaction's
`message_id`); `about_key` is that message's copy key, looked up by the caller, so the
lead's behaviour can tell a 👍 on the summary from any other. A user preference goes
to its lead; statuses go to `actors.providers.whatsapp.statuses` as plain reports.
"""

from __future__ import annotations

from datetime import UTC, datetime

from actors import Inbound, TurnOutcome
from actors.artist.desk import ArtistDesk
from actors.providers.whatsapp.statuses import StatusReport
from web.whatsapp_models import MetaStatus, ReceivedMessage, ReceivedPreference

__all__ = ["route", "route_preference", "status_reports"]


async def route(
    received: ReceivedMessage,
    *,
    desk: ArtistDesk | None,
    now: datetime,
    correlation_id: str,
    about_key: str | None = None,
) -> Inbound | TurnOutcome:
    """The inbound for a lead's actor, or the outcome of a message the desk answered."""
    event = received.event(now, about_key=about_key)
    if desk is not None and desk.is_artist(received.message.sender):
        return await desk.route(event, received.record(), correlation_id)
    return Inbound.from_whatsapp(event, received.record(), correlation_id)


def route_preference(
    received: ReceivedPreference, *, now: datetime, correlation_id: str
) -> Inbound:
    return Inbound.from_whatsapp(received.event(now), received.record(), correlation_id)


def status_reports(statuses: list[MetaStatus]) -> list[StatusReport]:
    """Meta's statuses as `actors.providers.whatsapp.statuses` keeps them (unknown
    states left out)."""
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
