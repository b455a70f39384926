"""What the routes reach for: built by the composition root, kept on the app.

Routes reach the actors through two faces only: `actors` (commands to `Actors.handle`)
and `queries` (the reads they show). The rest is the process's own: the settings, the
runtime (live actors, for the admin API and metrics), the background loops."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

from quart import current_app, has_request_context, request
from werkzeug.exceptions import NotFound

from actors import ActorRuntime, Actors, OutboxRelay, Queries
from actors.page import SignIn
from actors.providers.calendars import BusyCalendarSync
from actors.runtime import TimerScheduler
from actors.tenants import StudioBook, StudioRow
from web.settings import Settings

__all__ = [
    "STUDIO_SCOPE_KEY",
    "Directory",
    "Services",
    "directory_of",
    "services",
    "services_of",
]

_KEY = "booking.services"
# Set by `web.studio_prefix` on a request under /s/<slug>/: the studio it is for.
STUDIO_SCOPE_KEY = "booking.studio"


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
    studio: StudioRow | None = None  # whose services these are (None: a test's own)

    def install(self, extensions: dict[str, object]) -> None:
        """The one studio of a test's app."""
        directory = Directory()
        directory.put(0 if self.studio is None else self.studio.id, self)
        directory.install(extensions)


class Directory:
    """Every running studio's services in this process, by id, slug and number."""

    def __init__(
        self,
        book: StudioBook | None = None,
        *,
        look_again: Callable[[], Awaitable[None]] | None = None,
    ) -> None:
        self.book = book  # the studios table, for GET /admin/studios (None: a test's app)
        # Read the studios again now (a number no running studio has came in).
        self.look_again = look_again
        self._by_id: dict[int, Services] = {}

    def put(self, studio_id: int, running: Services) -> None:
        self._by_id[studio_id] = running

    def drop(self, studio_id: int) -> None:
        self._by_id.pop(studio_id, None)

    def default(self) -> Services | None:
        return self._by_id.get(1) or self._by_id.get(0)  # 0: a test's one studio

    def by_number(self, phone_number_id: str) -> Services | None:
        """The enabled studio of a business number (a disabled one receives nothing)."""
        found = self._of_number(phone_number_id)
        return found if found is not None and _enabled(found) else None

    def disabled(self, phone_number_id: str) -> Services | None:
        """The disabled studio of a business number: it receives nothing, and what came
        for it is recorded under it."""
        found = self._of_number(phone_number_id)
        return found if found is not None and not _enabled(found) else None

    def _of_number(self, phone_number_id: str) -> Services | None:
        """The studio of a number (numbers are unique across studios, table `studios`)."""
        return next(
            (
                s
                for s in self._by_id.values()
                if s.settings.whatsapp_phone_number_id == phone_number_id
            ),
            None,
        )

    def by_slug(self, slug: str) -> Services | None:
        return next((s for s in self._by_id.values() if s.studio and s.studio.slug == slug), None)

    def all(self) -> list[Services]:
        return list(self._by_id.values())

    def install(self, extensions: dict[str, object]) -> None:
        extensions[_KEY] = self


def _enabled(running: Services) -> bool:
    return running.studio is None or running.studio.enabled


def services() -> Services:
    """The services of the studio this request is for (only while serving): the one
    under whose /s/<slug>/ prefix it came, else the default studio. A slug that is no
    running studio's is a 404, like any path that does not exist."""
    slug = request.scope.get(STUDIO_SCOPE_KEY) if has_request_context() else None
    if not isinstance(slug, str):
        return services_of(current_app.extensions)
    found = directory_of(current_app.extensions).by_slug(slug)
    if found is None:
        raise NotFound()
    if not _enabled(found) and not request.path.startswith("/admin"):
        raise NotFound()  # a disabled studio's page is refused; the operator reads its API
    return found


def directory_of(extensions: Mapping[str, object]) -> Directory:
    found = extensions.get(_KEY)
    if not isinstance(found, Directory):
        raise RuntimeError("the service is not running")
    return found


def services_of(extensions: Mapping[str, object]) -> Services:
    """The default studio's services kept in an app's `extensions` (only while serving)."""
    found = directory_of(extensions).default()
    if found is None:
        raise RuntimeError("the service is not running")
    return found
