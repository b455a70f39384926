"""
Start-up checks shared by every entry point: `serve`, `migrate`, `loadtest` and the
Procfile's `hypercorn 'web.app:create_app_from_env()'`.

Settings are read and checked once; the copy file is loaded; the port is taken and the
database reached before anything is started. Each refusal is a `StartupError` whose
message is one line naming the environment variable and what is wrong; the entry points
print it as `booking-assistant: <message>` on stderr and exit with `EXIT_REFUSED`.
Then one log line says what is on and off, one warning per feature that is off for
want of a setting says what that means, and one more when the Graph API version in use
is older than this release's default.
"""

from __future__ import annotations

import asyncio
import socket
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import structlog
from pydantic import ValidationError
from pydantic_settings import SettingsError

from actors.copy import Composer, CopyError, CopyFile, load_copy
from actors.providers.whatsapp import (
    DEFAULT_GRAPH_VERSION,
    GRAPH_VERSION_RETIRED_ON,
    Templates,
    is_older,
)
from actors.runtime import DatabaseNotReady, check_database, usable_database, where
from web.settings import Settings
from web.settings_errors import describe_settings_error

__all__ = [
    "EXIT_REFUSED",
    "StartupError",
    "check_copy",
    "check_database_now",
    "database_summary",
    "listen",
    "log_configuration",
    "open_database",
    "read_settings",
    "refuse",
    "service_copy",
]

EXIT_REFUSED = 2
PROGRAM = "booking-assistant"

log = structlog.get_logger("web.startup")


class StartupError(Exception):
    """The service must not start; the message is one line naming the cause."""


def refuse(error: StartupError) -> int:
    """Print the one line on stderr; return the exit code."""
    print(f"{PROGRAM}: {error}", file=sys.stderr, flush=True)
    return EXIT_REFUSED


# -- settings ----------------------------------------------------------------------------

_REQUIRED_TO_SERVE = {
    "WHATSAPP_APP_SECRET": "the key that proves a webhook comes from Meta",
    "WHATSAPP_VERIFY_TOKEN": "the token of Meta's webhook handshake",
}


def read_settings(*, serving: bool = False, **overrides: Any) -> Settings:
    """
    The settings from the environment (`overrides` win), checked.

    Raises:
        StartupError: a setting is invalid, or `serving` and a required one is unset.
    """
    try:
        settings = Settings(**overrides)
    except (ValidationError, SettingsError) as error:
        raise StartupError(describe_settings_error(error)) from None
    if serving:
        missing = settings.missing_for_serve()
        if missing:
            raise StartupError(
                "; ".join(f"{n}: not set (required: {_REQUIRED_TO_SERVE[n]})" for n in missing)
            )
    return settings


# -- copy --------------------------------------------------------------------------------


def service_copy(settings: Settings) -> CopyFile:
    """The locale's copy as the service speaks it: the studio and the artist named."""
    return load_copy(
        settings.copy_dir,
        settings.locale,
        studio_name=settings.studio_name,
        artist_name=settings.artist_name,
    )


def check_copy(settings: Settings) -> None:
    """
    Load the locale's copy file and the templates that use it, as the service will.

    Raises:
        StartupError: the copy file is broken, or WHATSAPP_TEMPLATES does not fit it.
    """
    try:
        copy = service_copy(settings)
        composer = Composer(copy)
    except CopyError as error:
        raise StartupError(f"LOCALE={settings.locale}: {_one_line(error)}") from None
    studio = settings.studio()
    if studio is not None and studio.consent is not None and copy.consent is None:
        raise StartupError(
            f"LOCALE={settings.locale}: STUDIO_FILE says consent: true, "
            "and the copy file has no consent: section"
        )
    try:
        Templates.from_config(
            composer, settings.whatsapp_templates, default_language=settings.locale
        )
    except CopyError as error:
        raise StartupError(f"WHATSAPP_TEMPLATES: {_one_line(error)}") from None


def _one_line(error: BaseException) -> str:
    return " ".join(str(error).split())


# -- the port ----------------------------------------------------------------------------


def listen(host: str, port: int) -> socket.socket:
    """
    A socket bound to `host:port`, taken now so that nothing else starts if it is in use.

    Raises:
        StartupError: the address is in use or cannot be bound.
    """
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as hypercorn does
    try:
        sock.bind((host, port))
    except OSError as error:
        sock.close()
        why = (error.strerror or str(error)).lower()
        raise StartupError(
            f"PORT: cannot listen on {host}:{port}: {why} (set PORT or --port)"
        ) from None
    sock.set_inheritable(True)
    return sock


# -- the database ------------------------------------------------------------------------


@asynccontextmanager
async def open_database(settings: Settings) -> AsyncIterator[str]:
    """
    The DSN to use, once it is known to work: DATABASE_URL's, checked, or the embedded
    server's, started here and stopped on exit.

    Raises:
        StartupError: the database cannot be used (one line: where and why).
    """
    variable = "DATA_DIR" if settings.database_url is None else "DATABASE_URL"
    started = False
    try:
        async with usable_database(settings.database_url, settings.data_dir) as dsn:
            started = True
            yield dsn
    except DatabaseNotReady as error:
        if started:
            raise
        raise StartupError(f"{variable}: {error}") from None


def check_database_now(dsn: str | None) -> None:
    """
    Outside an event loop: the database at `dsn` (DATABASE_URL's) can be used; None is
    the embedded one, started later, by the app.

    Raises:
        StartupError: it cannot (one line: where and why).
    """
    if dsn is None:
        return
    try:
        asyncio.run(check_database(dsn))
    except DatabaseNotReady as error:
        raise StartupError(f"DATABASE_URL: {error}") from None


def database_summary(settings: Settings) -> str:
    """Where the data is, for the configuration line (no credentials)."""
    return where(settings.database_url, settings.data_dir)


# -- what is on --------------------------------------------------------------------------


def log_configuration(settings: Settings) -> None:
    """One line of what is on and off, then a warning for each feature left off."""
    livemode = settings.stripe_livemode()
    pilot = settings.pilot_numbers()
    log.info(
        "service.configuration",
        whatsapp_sending=_on(settings.whatsapp_sending_enabled()),
        artist_number=_on(settings.artist_whatsapp_number is not None),
        stripe="off" if livemode is None else ("live" if livemode else "test"),
        sheets=_on(settings.sheets_enabled()),
        admin=_on(settings.admin_token is not None),
        studio=_studio_sign_in(settings),
        pilot="off" if pilot is None else f"on ({len(pilot)} numbers)",
        locale=settings.locale,
        graph_api_version=settings.graph_api_version(),
        busy_calendar=_on(settings.busy_calendar_url is not None),  # never the address
        database=database_summary(settings),
    )
    for feature, missing, effect in _not_configured(settings):
        log.warning("config.not_configured", feature=feature, missing=missing, effect=effect)
    _warn_old_graph_version(settings)


def _warn_old_graph_version(settings: Settings) -> None:
    """One warning when the Graph API version in use is older than this release's default:
    Meta retires each version on a date (`available_until`); the service still starts."""
    version = settings.graph_api_version()
    if not is_older(version, DEFAULT_GRAPH_VERSION):
        return
    retired = GRAPH_VERSION_RETIRED_ON.get(version)
    log.warning(
        "config.graph_api_version_old",
        version=version,
        default=DEFAULT_GRAPH_VERSION,
        available_until=retired.isoformat() if retired else "unknown",
        effect="Meta refuses every call to a retired version: set WHATSAPP_API_VERSION",
    )


def _studio_sign_in(settings: Settings) -> str:
    """How the artist can sign in to /studio/: by link, by password, both, or not at all."""
    ways = []
    if settings.public_base_url and settings.artist_whatsapp_number:
        ways.append("link")
    if settings.studio_password is not None:
        ways.append("password")
    return " and ".join(ways) or "off"


def _on(flag: bool) -> str:
    return "on" if flag else "off"


def _not_configured(settings: Settings) -> list[tuple[str, list[str], str]]:
    found: list[tuple[str, list[str], str]] = []
    sending = {
        "WHATSAPP_ACCESS_TOKEN": settings.whatsapp_access_token,
        "WHATSAPP_PHONE_NUMBER_ID": settings.whatsapp_phone_number_id,
    }
    if missing := [name for name, value in sending.items() if not value]:
        found.append(
            (
                "whatsapp_sending",
                missing,
                "no reply reaches anyone: replies wait in the outbox, retried until it is set",
            )
        )
    if settings.artist_whatsapp_number is None:
        found.append(
            (
                "artist_number",
                ["ARTIST_WHATSAPP_NUMBER"],
                "handover packets reach no one: the artist can act only through /admin",
            )
        )
    if settings.stripe_api_key is None:
        found.append(
            (
                "stripe",
                ["STRIPE_API_KEY"],
                "approved leads get no deposit link: it waits in the outbox until it is set",
            )
        )
    if settings.stripe_webhook_secret is None:
        found.append(
            (
                "stripe_webhook",
                ["STRIPE_WEBHOOK_SECRET"],
                "POST /webhooks/stripe refuses every event (401): no payment is ever seen",
            )
        )
    sheets = {
        "SHEETS_SPREADSHEET_ID": settings.sheets_spreadsheet_id,
        "GOOGLE_SERVICE_ACCOUNT_FILE": settings.google_service_account_file,
    }
    half = [name for name, value in sheets.items() if not value]
    if len(half) == 1:
        found.append(("sheets", half, "the lead sheet is not kept: both settings are needed"))
    elif (credentials := settings.google_service_account_file) and not credentials.is_file():
        found.append(
            (
                "sheets",
                ["GOOGLE_SERVICE_ACCOUNT_FILE"],
                f"{credentials} is not a file (yet): sheet updates are retried until it is",
            )
        )
    if settings.admin_token is None:
        found.append(("admin", ["ADMIN_TOKEN"], "/admin refuses every call"))
    if _studio_sign_in(settings) == "off":
        found.append(
            (
                "studio",
                ["PUBLIC_BASE_URL", "STUDIO_PASSWORD"],
                "nobody can sign in to /studio/ (a link also needs ARTIST_WHATSAPP_NUMBER)",
            )
        )
    return found
