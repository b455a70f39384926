"""What the routes reach for: built by the composition root, kept on the app."""

from __future__ import annotations

from dataclasses import dataclass

from quart import current_app

from actors import ActorRuntime, OutboxRelay
from actors.admin import Admin
from actors.backlog import Backlog
from actors.clock import Clock
from actors.payments import PaymentRouting
from actors.readiness import Readiness
from actors.rejections import Rejections
from actors.timer_scheduler import TimerScheduler
from web.settings import Settings

__all__ = ["Services", "services"]

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

    def install(self, extensions: dict[str, object]) -> None:
        extensions[_KEY] = self


def services() -> Services:
    """The running app's services (only while serving)."""
    found = current_app.extensions.get(_KEY)
    if not isinstance(found, Services):
        raise RuntimeError("the service is not running")
    return found
