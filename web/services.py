"""What the routes reach for: built by the composition root, kept on the app."""

from __future__ import annotations

from dataclasses import dataclass

from quart import current_app

from actors import ActorRuntime, OutboxRelay
from actors.clock import Clock
from actors.timers import TimerScheduler
from storage import Pool
from web.settings import Settings

__all__ = ["Services", "services"]

_KEY = "booking.services"


@dataclass(frozen=True)
class Services:
    settings: Settings
    pool: Pool
    runtime: ActorRuntime
    relay: OutboxRelay
    clock: Clock
    timers: TimerScheduler

    def install(self, extensions: dict[str, object]) -> None:
        extensions[_KEY] = self


def services() -> Services:
    """The running app's services (only while serving)."""
    found = current_app.extensions.get(_KEY)
    if not isinstance(found, Services):
        raise RuntimeError("the service is not running")
    return found
