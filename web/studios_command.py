"""
`booking-assistant studios add | list | set | disable | enable`: the operator's book of
studios on the deployment's DATABASE_URL (README, "Many studios").

Every value is checked as start-up checks its setting (the studio's settings are built
and its copy file loaded, as `serve` will) before anything is stored; a refusal is one
line on stderr naming the option, exit status 2, nothing stored. Secrets are stored as
given and never printed: `list` says "set" or null.
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from actors.tenants import DEFAULT_SLUG, DEFAULT_STUDIO_ID, StudioBook, StudioRow, StudioTaken
from web.settings import Settings
from web.startup import StartupError, check_copy
from web.studio_options import (
    OPTIONS,
    StudioOptionError,
    check_slug,
    from_environment,
    studio_settings,
)

__all__ = ["add_parser", "run_studios"]


def add_parser(commands: Any) -> None:
    """The `studios` command and its verbs, on the console's subparsers."""
    studios = commands.add_parser("studios", help="add, list, change, disable studios")
    verbs = studios.add_subparsers(dest="verb", required=True)
    add = verbs.add_parser("add", help="add an enabled studio")
    add.add_argument("slug")
    add.add_argument("--phone-number-id", required=True)
    _options(add)
    listed = verbs.add_parser("list", help="every studio")
    listed.add_argument("--json", action="store_true")
    change = verbs.add_parser("set", help="change a studio's options ('' clears one)")
    change.add_argument("slug")
    change.add_argument("--phone-number-id")
    _options(change)
    for verb in ("disable", "enable"):
        verbs.add_parser(verb, help=f"{verb} a studio (its data is kept)").add_argument("slug")


def _options(parser: argparse.ArgumentParser) -> None:
    for option in OPTIONS:
        hint = " (a secret: env:NAME reads it from the environment)" if option.secret else ""
        parser.add_argument(f"--{option.name}", default=None, help=f"{option.name}{hint}")


async def run_studios(args: argparse.Namespace, settings: Settings, book: StudioBook) -> str:
    """Carry out one verb; what to print. Raises `StartupError` (one line, exit 2)."""
    try:
        match args.verb:
            case "add":
                return await _add(args, settings, book)
            case "list":
                return await _list(args, settings, book)
            case "set":
                return await _set(args, settings, book)
            case _:
                return await _enable(args, book, enabled=args.verb == "enable")
    except (StudioOptionError, StudioTaken) as error:
        raise StartupError(str(error)) from None


async def _add(args: argparse.Namespace, settings: Settings, book: StudioBook) -> str:
    slug = check_slug(args.slug)
    number = _number(args.phone_number_id)
    options = from_environment(_given(args), dict(os.environ))
    _check(settings, slug, number, options)
    _not_the_default(settings, number)
    try:
        added = await book.add(slug, number, options)
    except StudioTaken as taken:
        raise StudioOptionError(_taken(str(taken), slug, number)) from None
    return f"added {added.slug} (id {added.id})"


async def _set(args: argparse.Namespace, settings: Settings, book: StudioBook) -> str:
    if args.slug == DEFAULT_SLUG:
        raise StudioOptionError(
            "default: the default studio is changed only through its environment"
        )
    found = await book.one(args.slug)
    if found is None:
        raise StudioOptionError(f"{args.slug}: no such studio")
    number = _number(args.phone_number_id) if args.phone_number_id else found.phone_number_id
    assert number is not None
    changes = from_environment(_given(args), dict(os.environ))
    merged = {k: v for k, v in {**found.settings, **changes}.items() if v is not None}
    _check(settings, found.slug, number, merged)
    if number != found.phone_number_id:
        _not_the_default(settings, number)
    try:
        changed = await book.change(found.slug, number, changes)
    except StudioTaken as taken:
        raise StudioOptionError(_taken(str(taken), found.slug, number)) from None
    assert changed is not None
    return f"changed {changed.slug} (id {changed.id})"


async def _enable(args: argparse.Namespace, book: StudioBook, *, enabled: bool) -> str:
    if args.slug == DEFAULT_SLUG:
        raise StudioOptionError(
            "default: the default studio is changed only through its environment"
        )
    changed = await book.set_enabled(args.slug, enabled)
    if changed is None:
        raise StudioOptionError(f"{args.slug}: no such studio")
    return f"{'enabled' if enabled else 'disabled'} {changed.slug} (id {changed.id})"


async def _list(args: argparse.Namespace, settings: Settings, book: StudioBook) -> str:
    studios = [describe(s, settings) for s in await book.all()]
    if args.json:
        return json.dumps(studios, ensure_ascii=False)
    lines = [
        f"{s['slug']}\t{s['id']}\t{s['phone_number_id'] or '-'}\t"
        f"{'enabled' if s['enabled'] else 'disabled'}\t{s['locale']}\t{s['name'] or '-'}"
        for s in studios
    ]
    return "\n".join(lines)


def describe(studio: StudioRow, settings: Settings) -> dict[str, Any]:
    """What `studios list --json` and GET /admin/studios show of a studio: no secret's
    value, only whether it is set."""
    if studio.id == DEFAULT_STUDIO_ID:  # what its environment says
        return {
            "slug": studio.slug,
            "id": studio.id,
            "phone_number_id": studio.phone_number_id,
            "name": settings.studio_name,
            "enabled": True,
            "locale": settings.locale,
            "artist": settings.artist_whatsapp_number or settings.artist_whatsapp_user_id,
            "stripe": {"key": "set" if settings.stripe_api_key else None, "account": None},
            "appointments": settings.studio_file is not None,
            "sheet": settings.sheets_enabled(),
        }
    given = studio.settings
    return {
        "slug": studio.slug,
        "id": studio.id,
        "phone_number_id": studio.phone_number_id,
        "name": given.get("name"),
        "enabled": studio.enabled,
        "locale": given.get("locale") or "en_GB",
        "artist": given.get("artist"),
        "stripe": {
            "key": "set" if given.get("stripe_key") else None,
            "account": given.get("stripe_account"),
        },
        "appointments": bool(given.get("studio_file")),
        "sheet": bool(given.get("sheet")),
    }


def _given(args: argparse.Namespace) -> dict[str, str | None]:
    return {
        o.name: getattr(args, o.name.replace("-", "_"))
        for o in OPTIONS
        if getattr(args, o.name.replace("-", "_")) is not None
    }


def _number(given: str) -> str:
    if not given.isdigit():
        raise StudioOptionError("--phone-number-id: must be the number's id, digits only")
    return given


def _check(settings: Settings, slug: str, number: str, options: dict[str, Any]) -> None:
    """Build the studio's settings and load its copy as `serve` will."""
    trial = StudioRow(0, slug, number, True, options, datetime.now(UTC))
    with tempfile.TemporaryDirectory(prefix="booking-studio-check-") as folder:
        built = studio_settings(settings, trial, Path(folder))
        try:
            check_copy(built)
        except StartupError as error:
            raise StudioOptionError(f"--copy: {error}") from None


def _not_the_default(settings: Settings, number: str) -> None:
    if settings.whatsapp_phone_number_id == number:
        raise StudioOptionError(f"--phone-number-id: {number} is the default studio's")


def _taken(which: str, slug: str, number: str) -> str:
    if which == "slug":
        return f"{slug}: a studio has this slug already"
    return f"--phone-number-id: {number} is another studio's already"
