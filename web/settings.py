"""
Configuration from the environment, read once into a frozen object and passed in.

Every field is an environment variable of the same name, upper-cased (README.md,
"Configuration", documents each one; a test keeps the two in step). Values are checked
here, so that a wrong one stops start-up naming its variable (`web.startup` turns the
errors into that one line): numbers in their ranges, phone numbers in WhatsApp's wa_id
form, a locale that has a copy file. An empty variable counts as unset.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, PrivateAttr, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from actors.money import MAX_MINOR, Money, MoneyError, known_currency
from actors.providers.whatsapp import DEFAULT_GRAPH_VERSION, version_in_use
from actors.runtime import DEFAULT_DATA_DIR, CrashPoint
from actors.schedule import StudioFile
from web.page_catalogs import available_catalogs, catalog_path
from web.phone_numbers import to_wa_id
from web.studio_file import StudioFileError, load_studio

# A business-scoped user id (`US.1349...`), or a parent one (`US.ENT.1181...`).
_BSUID = re.compile(r"^[A-Z]{2}\.(ENT\.)?[A-Za-z0-9]{1,128}$")

__all__ = ["DEFAULT_COPY_DIR", "DEFAULT_DATA_DIR", "Settings", "available_locales"]

# The copy files ship inside the package (`web/copy` is the repository's `copy/`).
DEFAULT_COPY_DIR = Path(__file__).resolve().parent / "copy"

_Url = Annotated[str, Field(pattern=r"^https?://[^/\s]+")]
# A name the copy says ({studio}, {artist}): one line, no braces, at most 60 characters.
_Name = Annotated[str, Field(max_length=60, pattern=r"^[^{}\r\n\t]*\S[^{}\r\n\t]*$")]


def available_locales(copy_dir: Path) -> list[str]:
    """The locales that have a copy file in `copy_dir`, sorted."""
    return sorted(path.stem for path in copy_dir.glob("*.yml"))


class Settings(BaseSettings):
    """Every knob of the service; names are the environment variables, upper-cased."""

    model_config = SettingsConfigDict(
        frozen=True, extra="ignore", case_sensitive=False, env_ignore_empty=True
    )

    # The product's settings
    database_url: str | None = None
    port: int = Field(default=8000, ge=1, le=65535)
    whatsapp_app_secret: SecretStr | None = None
    whatsapp_verify_token: SecretStr | None = None
    whatsapp_access_token: SecretStr | None = None
    whatsapp_phone_number_id: str | None = Field(default=None, pattern=r"^\d+$")
    # The Graph API host; a base ending in /vNN.N (the old form) names the version itself.
    whatsapp_api_base: _Url = "https://graph.facebook.com"
    whatsapp_api_version: str = Field(default=DEFAULT_GRAPH_VERSION, pattern=r"^v\d+\.\d+$")
    artist_whatsapp_number: str | None = None
    # The artist's business-scoped user id, when known beforehand; unset: learned from
    # the first message from the artist's number that carries one.
    artist_whatsapp_user_id: str | None = Field(
        default=None, pattern=r"^[A-Z]{2}\.[A-Za-z0-9]{1,128}$"
    )
    stripe_api_key: SecretStr | None = None
    stripe_webhook_secret: SecretStr | None = None
    stripe_api_base: _Url = "https://api.stripe.com"
    deposit_amount_minor: int = Field(default=5000, gt=0, le=MAX_MINOR)  # Stripe's ceiling
    deposit_currency: str = Field(default="gbp", pattern=r"^[a-z]{3}$")
    sheets_spreadsheet_id: str | None = None
    google_service_account_file: Path | None = None
    sheets_api_base: _Url | None = None
    admin_token: SecretStr | None = None  # at least 32 characters: shorter is guessable
    pilot_allowlist: str | None = None
    locale: str = "en_GB"
    deposit_link_ttl_s: int = Field(default=23 * 3600, ge=30 * 60, le=24 * 3600)
    checkout_success_url: _Url = "https://wa.me/"
    checkout_cancel_url: _Url = "https://wa.me/"
    stale_after_s: int = Field(default=86400, gt=0)
    abandon_after_s: int = Field(default=172800, gt=0)
    # How the copy names the studio and the artist ({studio}, {artist}); unset: the copy's
    # own words ("the studio", "the artist"). One line, no braces, at most 60 characters.
    studio_name: _Name | None = None
    artist_name: _Name | None = None
    # The artist's own calendar (Google's or iCloud's secret iCal address; a secret):
    # its events block slots. Read every BUSY_CALENDAR_REFRESH_S by one replica at a
    # time, expanded over BUSY_CALENDAR_HORIZON_DAYS, kept in the database.
    busy_calendar_url: SecretStr | None = None
    busy_calendar_refresh_s: float = Field(default=300.0, ge=10)
    busy_calendar_horizon_days: int = Field(default=120, ge=1, le=730)
    busy_calendar_timeout_s: float = Field(default=20.0, gt=0)
    # The key of the artist's calendar feed (/studio/calendar.ics?key=...); unset: a key
    # made once and kept in the database, rotated with POST /admin/calendar/rotate.
    studio_calendar_key: SecretStr | None = None

    # The service's public https origin, for the links it hands out (the calendar feed's,
    # the studio page's sign-in links).
    # The studio page (/studio/): sign-in links need the public origin and the artist's
    # number; the password is the other way in. Cookies are signed with SESSION_SECRET,
    # or with a key made once and kept in the database (shared by every replica).
    public_base_url: _Url | None = None
    studio_password: SecretStr | None = Field(default=None, min_length=8)
    session_secret: SecretStr | None = Field(default=None, min_length=32)
    # Behind a reverse proxy: X-Forwarded-Proto (https: Secure cookies) and the last
    # X-Forwarded-For entry (the client address wrong passwords are counted by).
    trust_proxy_headers: bool = False

    # Appointments: the studio's hours and policies (YAML, see studio.example.yml); unset:
    # no scheduling, the deposit books the lead with no time.
    studio_file: Path | None = None

    # Operations
    data_dir: Path = DEFAULT_DATA_DIR  # the embedded Postgres, when DATABASE_URL is unset
    copy_dir: Path = DEFAULT_COPY_DIR
    log_format: Literal["auto", "json", "console"] = "auto"
    log_level: Literal["debug", "info", "warning", "error", "critical"] = "info"
    # The libraries' own loggers (HTTP clients and servers, asyncio): at INFO, httpx
    # writes every address it calls, secrets in it included (BUSY_CALENDAR_URL).
    log_level_libraries: Literal["debug", "info", "warning", "error", "critical"] = "warning"
    max_body_bytes: int = Field(default=1024 * 1024, gt=0)
    mailbox_size: int = Field(default=64, gt=0)
    actor_idle_s: float = Field(default=60.0, gt=0)
    db_pool_min: int = Field(default=2, ge=1)
    db_pool_max: int = Field(default=20, ge=1)
    # 0 behind PgBouncer in transaction pooling mode (its prepared statements would
    # otherwise land on server connections that do not have them).
    db_statement_cache_size: int = Field(default=100, ge=0)
    # The one connection per process that LISTENs for wake-ups: straight to Postgres when
    # DATABASE_URL goes through PgBouncer (which cannot carry LISTEN). Unset: DATABASE_URL.
    database_listen_url: str | None = None
    # `serve`'s processes on one port when --workers is not given (Heroku's name).
    web_concurrency: int = Field(default=1, ge=1, le=64)
    relay_concurrency: int = Field(default=32, gt=0)
    # The Sheets mirror's own relay: its calls are slow (gspread, in threads) and its
    # quota is low, so it gets a few deliveries at a time and never WhatsApp's slots.
    sheets_concurrency: int = Field(default=4, gt=0)
    relay_max_attempts: int = Field(default=8, gt=0)
    relay_poll_s: float = Field(default=1.0, gt=0)
    # How long a claimed delivery is reserved: after a crash, its reply waits this long
    # before another process sends it. Must exceed a delivery's longest call.
    relay_lease_s: float = Field(default=60.0, gt=0)
    timer_poll_s: float = Field(default=1.0, gt=0)
    # A background loop (relay, timer scheduler) that crashes is restarted after a delay
    # that doubles from the base to the cap; /readyz fails while it waits.
    loop_restart_base_s: float = Field(default=0.5, gt=0)
    loop_restart_cap_s: float = Field(default=30.0, gt=0)
    deposit_reminder_before_s: int = Field(default=3600, gt=0)
    relay_backoff_base_s: float = Field(default=1.0, gt=0)
    relay_backoff_cap_s: float = Field(default=300.0, gt=0)
    # A webhook waits this long for its turns to commit, then answers 503 (the provider
    # retries; the inbox makes the retry a duplicate if the turn did commit). Kept below
    # the drain timeout so a request cut short by shutdown still gets 503, never 500.
    turn_wait_s: float = Field(default=10.0, gt=0)
    drain_timeout_s: float = Field(default=20.0, gt=0)
    relay_backoff_jitter_s: float = Field(default=1.0, ge=0)
    # Copy message key -> {"name": template, "language": code (default: LOCALE)}; JSON in
    # WHATSAPP_TEMPLATES. What may still be sent outside WhatsApp's 24-hour window.
    whatsapp_templates: dict[str, dict[str, str]] = {}
    # Per process: with N replicas, set rate / N (`serve --workers N` shares it out itself).
    whatsapp_rate_per_s: float = Field(default=80.0, gt=0)
    whatsapp_recipient_interval_s: float = Field(default=1.0, ge=0)
    whatsapp_timeout_s: float = Field(default=15.0, gt=0)
    # Mark a lead's message read, with the typing indicator, before replying ("off": not).
    whatsapp_read_receipts: bool = True
    # The largest media item a lead sends that is kept (bigger ones: recorded as too large).
    media_max_bytes: int = Field(default=16 * 1024 * 1024, gt=0)

    # Testing aid, never for production: FAULT_CRASH_AT=<point> (e.g. turn.written,
    # relay.provider_accepted; the list is in actors.runtime.faults) makes the process exit at
    # once with os._exit(86) the first time it reaches that point: no cleanup, no
    # rollback, no drain, exactly like kill -9 there. Unset: no crash point.
    fault_crash_at: CrashPoint | None = None

    _studio: StudioFile | None = PrivateAttr(default=None)  # STUDIO_FILE, read and checked

    # -- checks ------------------------------------------------------------------------

    @field_validator("artist_whatsapp_number")
    @classmethod
    def _artist_wa_id(cls, value: str | None) -> str | None:
        return None if value is None else to_wa_id(value)

    @field_validator("pilot_allowlist")
    @classmethod
    def _pilot_wa_ids(cls, value: str | None) -> str | None:
        """Kept as the normalized, comma-separated list; `pilot_numbers()` splits it."""
        if value is None:
            return None
        numbers = []
        for n, entry in enumerate(value.split(","), start=1):
            if not entry.strip():
                continue
            if _BSUID.match(entry.strip()):  # a BSUID, kept as written
                numbers.append(entry.strip())
                continue
            try:
                numbers.append(to_wa_id(entry))
            except ValueError as error:
                raise ValueError(f"entry {n}: {error}") from None
        return ",".join(numbers)

    @field_validator("deposit_currency", "log_level", "log_level_libraries", mode="before")
    @classmethod
    def _lower_case(cls, value: object) -> object:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator("deposit_currency")
    @classmethod
    def _known_currency(cls, value: str) -> str:
        """A code Babel does not know has no exponent: the amounts would be wrong."""
        try:
            known_currency(value)
        except MoneyError:
            raise ValueError(f"{value} is not a currency Babel knows (ISO 4217)") from None
        return value

    @property
    def deposit(self) -> Money:
        """The studio's usual deposit: STUDIO_FILE's `policy.deposit.amount`, else
        DEPOSIT_AMOUNT_MINOR, in DEPOSIT_CURRENCY."""
        given = self._studio.rules.deposit.amount if self._studio is not None else None
        return Money(given or self.deposit_amount_minor, self.deposit_currency)

    @field_validator("stripe_api_key")
    @classmethod
    def _secret_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith(("sk_", "rk_")):
            raise ValueError("must be a secret (sk_...) or restricted (rk_...) key")
        return value

    @field_validator("busy_calendar_url")
    @classmethod
    def _calendar_address(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and not value.get_secret_value().startswith(
            ("https://", "webcal://", "http://")
        ):
            raise ValueError("must be the calendar's https:// (or webcal://) iCal address")
        return value

    @field_validator("admin_token")
    @classmethod
    def _long_admin_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None  # empty: unset, every admin call refused
        if len(value.get_secret_value()) < 32:
            raise ValueError("must be at least 32 random characters (openssl rand -base64 32)")
        return value

    @field_validator("studio_calendar_key")
    @classmethod
    def _long_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 24:
            raise ValueError("must be at least 24 random characters (openssl rand -base64 32)")
        return value

    @field_validator("data_dir", "copy_dir", "google_service_account_file", "studio_file")
    @classmethod
    def _absolute(cls, value: Path | None) -> Path | None:
        """Relative paths are fixed at start-up: a later chdir cannot move them."""
        return None if value is None else value.expanduser().absolute()

    @model_validator(mode="after")
    def _locale_has_copy(self) -> Settings:
        if not self.copy_dir.is_dir():
            raise ValueError(f"COPY_DIR: {self.copy_dir} is not a directory")
        if not (self.copy_dir / f"{self.locale}.yml").is_file():
            available = ", ".join(available_locales(self.copy_dir)) or "none"
            raise ValueError(
                f"LOCALE: no copy file {self.locale}.yml in {self.copy_dir} "
                f"(available: {available})"
            )
        if not catalog_path(self.locale).is_file():  # the studio page's words
            available = ", ".join(available_catalogs()) or "none"
            raise ValueError(
                f"LOCALE: no page catalog web/translations/{self.locale}/LC_MESSAGES/"
                f"messages.po (available: {available}; see docs/translating.md)"
            )
        return self

    @model_validator(mode="after")
    def _studio_file_checked(self) -> Settings:
        if self.studio_file is not None:
            try:
                self._studio = load_studio(self.studio_file, self.deposit_currency)
            except StudioFileError as error:
                raise ValueError(f"STUDIO_FILE: {error}") from None
        return self

    @model_validator(mode="after")
    def _in_order(self) -> Settings:
        """A webhook's wait ends before the drain does (so a request cut short by shutdown
        gets 503, never 500); the pool's floor is not above its ceiling."""
        if self.turn_wait_s >= self.drain_timeout_s:
            raise ValueError(
                f"TURN_WAIT_S ({self.turn_wait_s:g}) must be below "
                f"DRAIN_TIMEOUT_S ({self.drain_timeout_s:g})"
            )
        if self.db_pool_min > self.db_pool_max:
            raise ValueError(
                f"DB_POOL_MIN ({self.db_pool_min}) must not exceed DB_POOL_MAX ({self.db_pool_max})"
            )
        return self

    # -- what is on --------------------------------------------------------------------

    def pilot_numbers(self) -> frozenset[str] | None:
        """The allowlisted wa_ids in pilot mode; None when pilot mode is off."""
        if self.pilot_allowlist is None:
            return None
        return frozenset(n for n in self.pilot_allowlist.split(",") if n)

    def studio(self) -> StudioFile | None:
        """The studio's hours and policies when STUDIO_FILE is set: appointments on."""
        return self._studio

    def sheets_enabled(self) -> bool:
        """Mirroring needs both the spreadsheet and the credentials to reach it."""
        return bool(self.sheets_spreadsheet_id and self.google_service_account_file)

    def graph_api_version(self) -> str:
        """The Graph API version calls go to (a base ending in /vNN.N names its own)."""
        return version_in_use(self.whatsapp_api_base, self.whatsapp_api_version)

    def whatsapp_sending_enabled(self) -> bool:
        """Replies can leave only with both the Graph API token and the sender's number id."""
        return bool(self.whatsapp_access_token and self.whatsapp_phone_number_id)

    def stripe_livemode(self) -> bool | None:
        """Whether our Stripe key is a live one; None without a key."""
        if self.stripe_api_key is None:
            return None
        return self.stripe_api_key.get_secret_value().startswith(("sk_live_", "rk_live_"))

    def missing_for_serve(self) -> list[str]:
        """The env vars `serve` cannot run without."""
        required = {
            "WHATSAPP_APP_SECRET": self.whatsapp_app_secret,
            "WHATSAPP_VERIFY_TOKEN": self.whatsapp_verify_token,
        }
        return [name for name, value in required.items() if not value]
