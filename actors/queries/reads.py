"""Every read the web shows, in one place: built once by the composition root."""

from __future__ import annotations

from dataclasses import dataclass

from actors.queries.admin import AdminReads
from actors.queries.agenda import Agenda
from actors.queries.backlog import Backlog
from actors.queries.calendar_feed import CalendarFeed
from actors.queries.calendar_invites import CalendarInvites
from actors.queries.readiness import Readiness
from actors.queries.studio_page import StudioPage

__all__ = ["Queries"]


@dataclass(frozen=True)
class Queries:
    """The reads, each through the storage door in read units of its own."""

    page: StudioPage  # the board and a lead's file, as the studio page shows them
    admin: AdminReads  # leads, a lead's file, dead letters, media (the admin API)
    calendar_feed: CalendarFeed  # the artist's subscribed calendar, for its key
    backlog: Backlog  # the outbox's backlog and overdue timers (metrics)
    readiness: Readiness  # whether this replica should take traffic
    # The lead's "add to calendar" files; None: no STUDIO_FILE or no PUBLIC_BASE_URL.
    calendar_invites: CalendarInvites | None = None
    agenda: Agenda | None = None  # the studio page's day and week; None: no STUDIO_FILE
