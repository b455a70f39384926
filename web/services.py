"""What the routes reach for: built by the composition root, kept on the app.

Routes reach the actors through two faces only: `actors` (commands to `Actors.handle`)
and `queries` (the reads they show). The rest is the process's own: the settings, the
runtime (live actors, for the admin API and metrics), the background loops."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from quart import current_app

from actors import ActorRuntime, Actors, OutboxRelay, Queries
from actors.page import SignIn
from actors.providers.calendars import BusyCalendarSync
from actors.runtime import TimerScheduler
from web.settings import Settings

__all__ = ["Services", "services", "services_of"]

_KEY = "booking.services"


@dataclass(frozen=True)
class Services:
    settings: Settings
    actors: Actors  # the one door: every command goes through `actors.handle`
    queries: Queries  # every read a page, the admin API or /metrics shows
    runtime: ActorRuntime
    sign_in: SignIn  # what the sign-in page offers (links, a password)
    studio_key: str  # signs the studio page's cookies (SESSION_SECRET or the kept key)
    relay: OutboxRelay | None = None  # None in the web role: the worker role delivers
    timers: TimerScheduler | None = None
    busy_calendar: BusyCalendarSync | None = None  # None: BUSY_CALENDAR_URL unset

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
