"""What the routes reach for: built by the composition root, kept on the app."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from quart import current_app

from actors import ActorRuntime, OutboxRelay
from actors.admin import Admin
from actors.artist_desk import ArtistDesk
from actors.backlog import Backlog
from actors.busy_calendar import BusyCalendarSync
from actors.calendar_feed import CalendarFeed
from actors.calendar_invites import CalendarInvites
from actors.clock import Clock
from actors.payments import PaymentRouting
from actors.readiness import Readiness
from actors.rejections import Rejections
from actors.statuses import DeliveryReports
from actors.studio import Studio
from actors.studio_access import SignIn
from actors.timer_scheduler import TimerScheduler
from web.settings import Settings

__all__ = ["Services", "services", "services_of"]

_KEY = "booking.services"


@dataclass(frozen=True)
class Services:
    settings: Settings
    runtime: ActorRuntime
    relay: OutboxRelay | None  # None in the web role: the worker role delivers
    clock: Clock
    timers: TimerScheduler | None
    admin: Admin
    payments: PaymentRouting
    readiness: Readiness
    backlog: Backlog
    rejections: Rejections
    calendar_feed: CalendarFeed
    statuses: DeliveryReports  # Meta's delivery reports, and our messages by Meta's id
    studio: Studio
    sign_in: SignIn
    studio_key: str  # signs the studio page's cookies (SESSION_SECRET or the kept key)
    busy_calendar: BusyCalendarSync | None = None  # None: BUSY_CALENDAR_URL unset
    artist_desk: ArtistDesk | None = None  # None: no ARTIST_WHATSAPP_NUMBER
    # The lead's "add to calendar" files; None: no STUDIO_FILE or no PUBLIC_BASE_URL.
    calendar_invites: CalendarInvites | None = None

    def install(self, extensions: dict[str, object]) -> None:
        extensions[_KEY] = self


def services() -> Services:
    """The running app's services (only while serving)."""
    return services_of(current_app.extensions)


def services_of(extensions: Mapping[str, object]) -> Services:
    """The services kept in an app's `extensions` (only while serving)."""
    found = extensions.get(_KEY)
    if not isinstance(found, Services):
        raise RuntimeError("the service is not running")
    return found
