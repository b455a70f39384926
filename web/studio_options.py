"""
A stored studio's options (`booking-assistant studios add|set`) and the settings they
make: each option replaces, for that studio, the setting it names (README, "Many
studios"); what a studio leaves unset takes the default of the table there, never the
environment's value of a per-studio setting (another studio's artist or Stripe key).

Options are checked by building the studio's `Settings` exactly as start-up checks the
environment: a wrong one is one line naming the option. The copy file and STUDIO_FILE
are stored as their contents, and written to a directory of this process to be read.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import SecretStr, ValidationError
from pydantic_settings import SettingsError

from actors.tenants import DEFAULT_SLUG, StudioRow
from web.settings import DEFAULT_COPY_DIR, Settings
from web.settings_errors import describe_settings_error

__all__ = [
    "OPTIONS",
    "SECRET_OPTIONS",
    "Option",
    "StudioOptionError",
    "check_slug",
    "from_environment",
    "studio_settings",
]

_SLUG = re.compile(r"^[a-z0-9][a-z0-9-]{1,39}$")
_BSUID = re.compile(r"^[A-Z]{2}\.[A-Za-z0-9]{1,128}$")


@dataclass(frozen=True)
class Option:
    name: str  # the command's option, without "--"
    setting: str | None  # the Settings field it replaces (None: the cell's own)
    secret: bool = False
    file: bool = False  # given as a file's path, stored as its contents


OPTIONS: tuple[Option, ...] = (
    Option("access-token", "whatsapp_access_token", secret=True),
    Option("templates", "whatsapp_templates"),
    Option("name", "studio_name"),
    Option("artist-name", "artist_name"),
    Option("artist", None),  # a number or a BSUID: one of two settings
    Option("locale", "locale"),
    Option("copy", None, file=True),
    Option("studio-file", "studio_file", file=True),
    Option("stripe-key", "stripe_api_key", secret=True),
    Option("stripe-webhook-secret", "stripe_webhook_secret", secret=True),
    Option("stripe-account", None),
    Option("deposit-amount-minor", "deposit_amount_minor"),
    Option("deposit-currency", "deposit_currency"),
    Option("sheet", "sheets_spreadsheet_id"),
    Option("password", "studio_password", secret=True),
    Option("busy-calendar-url", "busy_calendar_url", secret=True),
    Option("pilot-allowlist", "pilot_allowlist"),
    Option("admin-token", None, secret=True),
)
SECRET_OPTIONS = frozenset(o.name for o in OPTIONS if o.secret)

# What a stored studio has that the environment's default studio leaves at these.
_UNSET: dict[str, Any] = {
    "whatsapp_templates": {},
    "studio_name": None,
    "artist_name": None,
    "artist_whatsapp_number": None,
    "artist_whatsapp_user_id": None,
    "locale": "en_GB",
    "copy_dir": DEFAULT_COPY_DIR,
    "studio_file": None,
    "stripe_api_key": None,
    "stripe_webhook_secret": None,
    "sheets_spreadsheet_id": None,
    "studio_password": None,
    "busy_calendar_url": None,
    "pilot_allowlist": None,
    "studio_calendar_key": None,
}
# The environment's names in settings' errors, as the command's options.
_RENAMED = {
    "WHATSAPP_PHONE_NUMBER_ID": "--phone-number-id",
    "ARTIST_WHATSAPP_NUMBER": "--artist",
    "ARTIST_WHATSAPP_USER_ID": "--artist",
    "COPY_DIR": "--copy",
    "LOCALE": "--locale",
    **{o.setting.upper(): f"--{o.name}" for o in OPTIONS if o.setting},
}


class StudioOptionError(ValueError):
    """One line naming the option that is wrong, and why (never a secret's value)."""


def check_slug(slug: str) -> str:
    if slug == DEFAULT_SLUG:
        raise StudioOptionError(f"{slug}: reserved for the studio the environment describes")
    if not _SLUG.match(slug):
        raise StudioOptionError(
            f"{slug!r}: a slug is 2-40 characters of a-z, 0-9 and '-', "
            "starting with a letter or a digit"
        )
    return slug


def from_environment(options: dict[str, str | None], environ: dict[str, str]) -> dict[str, Any]:
    """Options as stored: `env:NAME` read from the command's environment, files read,
    JSON and numbers parsed, "" as None (cleared)."""
    stored: dict[str, Any] = {}
    for name, given in options.items():
        option = next(o for o in OPTIONS if o.name == name)
        value: Any = given
        if given is not None and given.startswith("env:"):
            variable = given.removeprefix("env:")
            if variable not in environ:
                raise StudioOptionError(f"--{name}: the environment has no {variable}")
            value = environ[variable]
        if value == "":
            stored[_key(name)] = None
            continue
        if value is not None and option.file:
            try:
                value = Path(value).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError) as error:
                raise StudioOptionError(f"--{name}: cannot read {given}: {error}") from None
        elif value is not None and name == "templates":
            try:
                value = json.loads(value)
            except json.JSONDecodeError as error:
                raise StudioOptionError(f"--templates: not JSON ({error.msg})") from None
        elif value is not None and name == "deposit-amount-minor":
            if not value.isdigit():
                raise StudioOptionError("--deposit-amount-minor: must be a whole number")
            value = int(value)
        stored[_key(name)] = value
    if stored.get("stripe_key") and stored.get("stripe_account"):
        raise StudioOptionError("--stripe-account: give it or --stripe-key, not both")
    token = stored.get("admin_token")
    if token is not None and len(str(token)) < 24:
        raise StudioOptionError("--admin-token: must be at least 24 random characters")
    account = stored.get("stripe_account")
    if account is not None and not re.match(r"^acct_[A-Za-z0-9]+$", str(account)):
        raise StudioOptionError("--stripe-account: must be a Connect account id (acct_...)")
    return stored


def studio_settings(base: Settings, studio: StudioRow, files: Path) -> Settings:
    """The settings `studio` runs with: the deployment's, its own options over the
    per-studio ones. `files` is where its copy file and STUDIO_FILE are written to be
    read. Raises `StudioOptionError`."""
    given = studio.settings
    fields: dict[str, Any] = {**base.model_dump(), **_UNSET}
    fields["whatsapp_phone_number_id"] = studio.phone_number_id
    if base.public_base_url:  # every link it hands out is under its own prefix
        fields["public_base_url"] = f"{base.public_base_url.rstrip('/')}/s/{studio.slug}"
    for option in OPTIONS:
        value = given.get(_key(option.name))
        if value is None or option.setting is None or option.file:
            continue
        fields[option.setting] = value
    if given.get("stripe_account") and not given.get("stripe_key"):
        # A Connect account is reached with the platform's key (its calls name the account
        # in `Stripe-Account`); its events come to the platform's endpoint, verified there
        # with STRIPE_WEBHOOK_SECRET, so it keeps no webhook secret of its own.
        fields["stripe_api_key"] = base.stripe_api_key
    artist = given.get("artist")
    if artist:
        field = "artist_whatsapp_user_id" if _BSUID.match(artist) else "artist_whatsapp_number"
        fields[field] = artist
    folder = files / str(studio.id)
    folder.mkdir(parents=True, exist_ok=True)
    if given.get("copy"):
        copy_dir = folder / "copy"
        copy_dir.mkdir(exist_ok=True)
        (copy_dir / f"{fields['locale']}.yml").write_text(given["copy"], encoding="utf-8")
        fields["copy_dir"] = copy_dir
    if given.get("studio_file"):
        studio_file = folder / "studio.yml"
        studio_file.write_text(given["studio_file"], encoding="utf-8")
        fields["studio_file"] = studio_file
    for name, value in list(fields.items()):
        if isinstance(value, SecretStr):
            fields[name] = value.get_secret_value()
    try:
        return Settings(**fields)
    except (ValidationError, SettingsError) as error:
        raise StudioOptionError(_as_options(describe_settings_error(error))) from None


def _key(option: str) -> str:
    return option.replace("-", "_")


def _as_options(line: str) -> str:
    for variable, option in _RENAMED.items():
        line = re.sub(rf"\b{variable}\b", option, line)
    return line
