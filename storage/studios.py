"""
The studios of the deployment (migration 0036): the one table every process reads
across studios, to know which studio a webhook, a page or a loop belongs to.

    all()                     every studio, the default one first
    add(slug, number, opts)   a new enabled studio (`StudioTaken`: slug or number in use)
    change(slug, ...)         its number and options, merged (None: an option cleared)
    set_enabled(slug, on)     stop or resume it, its data kept
    describe_default(number)  the default studio's number, from the environment
    fingerprint()             changes whenever any studio does: what replicas poll

Secrets are kept in `settings` as given (like the environment's); nothing here logs them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

__all__ = ["DEFAULT_SLUG", "DEFAULT_STUDIO_ID", "StudioRow", "StudioRows", "StudioTaken"]

# The studio the environment describes; rows from before many studios are its own.
DEFAULT_STUDIO_ID = 1
DEFAULT_SLUG = "default"

_COLUMNS = "id, slug, phone_number_id, enabled, settings, updated_at"
_ALL = f"SELECT {_COLUMNS} FROM studios ORDER BY id"
_ONE = f"SELECT {_COLUMNS} FROM studios WHERE slug = $1"
_ADD = f"""
INSERT INTO studios (slug, phone_number_id, settings) VALUES ($1, $2, $3)
RETURNING {_COLUMNS}
"""
_CHANGE = f"""
UPDATE studios SET phone_number_id = $2,
                   settings = jsonb_strip_nulls(settings || $3::jsonb),
                   updated_at = clock_timestamp()
WHERE slug = $1 AND id <> {DEFAULT_STUDIO_ID}
RETURNING {_COLUMNS}
"""
_ENABLE = f"""
UPDATE studios SET enabled = $2, updated_at = clock_timestamp()
WHERE slug = $1 AND id <> {DEFAULT_STUDIO_ID}
RETURNING {_COLUMNS}
"""
_DEFAULT = f"""
UPDATE studios SET phone_number_id = $1, updated_at = clock_timestamp()
WHERE id = {DEFAULT_STUDIO_ID} AND phone_number_id IS DISTINCT FROM $1
"""
_FINGERPRINT = "SELECT count(*)::text || '/' || coalesce(max(updated_at)::text, '') FROM studios"


class StudioTaken(Exception):
    """The slug or the phone_number_id is another studio's already."""


@dataclass(frozen=True)
class StudioRow:
    id: int
    slug: str
    phone_number_id: str | None
    enabled: bool
    settings: dict[str, Any]
    updated_at: datetime


class StudioRows:
    def __init__(self, con: asyncpg.Connection) -> None:
        self._con = con

    async def all(self) -> list[StudioRow]:
        return [_row(r) for r in await self._con.fetch(_ALL)]

    async def one(self, slug: str) -> StudioRow | None:
        found = await self._con.fetchrow(_ONE, slug)
        return None if found is None else _row(found)

    async def add(self, slug: str, phone_number_id: str, settings: dict[str, Any]) -> StudioRow:
        try:
            added = await self._con.fetchrow(_ADD, slug, phone_number_id, settings)
        except asyncpg.UniqueViolationError as taken:
            raise StudioTaken(_which(taken)) from None
        assert added is not None
        return _row(added)

    async def change(
        self, slug: str, phone_number_id: str, settings: dict[str, Any]
    ) -> StudioRow | None:
        try:
            changed = await self._con.fetchrow(_CHANGE, slug, phone_number_id, settings)
        except asyncpg.UniqueViolationError as taken:
            raise StudioTaken(_which(taken)) from None
        return None if changed is None else _row(changed)

    async def set_enabled(self, slug: str, enabled: bool) -> StudioRow | None:
        changed = await self._con.fetchrow(_ENABLE, slug, enabled)
        return None if changed is None else _row(changed)

    async def describe_default(self, phone_number_id: str | None) -> None:
        try:
            await self._con.execute(_DEFAULT, phone_number_id)
        except asyncpg.UniqueViolationError:
            raise StudioTaken("phone_number_id") from None

    async def fingerprint(self) -> str:
        found: str = await self._con.fetchval(_FINGERPRINT)
        return found


def _which(error: asyncpg.UniqueViolationError) -> str:
    return "slug" if "slug" in (error.constraint_name or "") else "phone_number_id"


def _row(record: asyncpg.Record) -> StudioRow:
    return StudioRow(
        id=record["id"],
        slug=record["slug"],
        phone_number_id=record["phone_number_id"],
        enabled=record["enabled"],
        settings=dict(record["settings"]),
        updated_at=record["updated_at"],
    )
