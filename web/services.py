"""What the routes reach for: built by the composition root, kept on the app."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from quart import current_app

from actors import ActorRuntime, OutboxRelay
from actors.artist.desk import ArtistDesk
from actors.page.access import SignIn
from actors.providers.calendars.busy_sync import BusyCalendarSync
from actors.providers.stripe.payments import PaymentRouting
from actors.providers.whatsapp.statuses import DeliveryReports
from actors.queries.admin import Admin
from actors.queries.backlog import Backlog
from actors.queries.calendar_feed import CalendarFeed
from actors.queries.calendar_invites import CalendarInvites
from actors.queries.readiness import Readiness
from actors.queries.studio_page import Studio
from actors.runtime.clock import Clock
from actors.runtime.rejections import Rejections
from actors.runtime.timers import TimerScheduler
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
