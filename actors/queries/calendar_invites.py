"""
The lead's "add to calendar" file, for whoever presents the address the booking's
message carried (`actors.lead.invite_links`): one event, the appointment at the studio's
wall-clock time. Any other address (a wrong token, a moved or cancelled appointment)
gets nothing, as if it did not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from actors.copy import Composer
from actors.lead.invite_links import InviteLinks
from actors.providers.calendars.files import CalendarAppointment, appointment_invite
from storage import Database

__all__ = ["CalendarInvites"]


@dataclass(frozen=True)
class CalendarInvites:
    db: Database
    composer: Composer
    links: InviteLinks
    timezone: str  # the studio's
    now: Callable[[], datetime]
    address: str | None = None  # STUDIO_FILE's: the event's LOCATION

    async def invite(self, starts_at: int, token: str) -> bytes | None:
        """The .ics of the live appointment starting at `starts_at` whose lead's token
        `token` is; None otherwise."""
        try:
            moment = datetime.fromtimestamp(starts_at, UTC)
        except (OverflowError, OSError, ValueError):
            return None
        async with self.db.reads() as unit:
            found = await unit.booked.starting(moment)
        row = next((r for r in found if self.links.matches(r.lead_key, starts_at, token)), None)
        if row is None:
            return None
        appointment = CalendarAppointment(row.id, "", None, row.starts_at, row.ends_at)
        return appointment_invite(
            appointment,
            title=self.composer.plain("calendar_invite"),
            timezone=self.timezone,
            stamped_at=self.now(),
            location=self.address,
        )
