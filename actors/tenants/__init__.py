"""
The studios of one deployment (README, "Many studios"): the book the operator's
`studios` commands write and every replica reads.

A studio is a tenant: its rows are its own by row-level security (storage: every unit of
`Database.for_studio(id)` runs as `booking_app` with the studio named), so nothing here
or in the actors decides isolation; this package only says which studios there are.
"""

from __future__ import annotations

from storage import DEFAULT_SLUG, DEFAULT_STUDIO_ID, Database, StudioRow, StudioTaken

__all__ = ["DEFAULT_SLUG", "DEFAULT_STUDIO_ID", "StudioBook", "StudioRow", "StudioTaken"]


class StudioBook:
    """The `studios` table, read and written across studios (and only it)."""

    def __init__(self, db: Database) -> None:
        self._db = db

    async def all(self) -> list[StudioRow]:
        async with self._db.studios() as unit:
            return await unit.studios.all()

    async def one(self, slug: str) -> StudioRow | None:
        async with self._db.studios() as unit:
            return await unit.studios.one(slug)

    async def fingerprint(self) -> str:
        """Changes whenever a studio is added, changed, disabled or enabled."""
        async with self._db.studios() as unit:
            return await unit.studios.fingerprint()

    async def add(self, slug: str, phone_number_id: str, options: dict[str, object]) -> StudioRow:
        """Raises `StudioTaken` naming "slug" or "phone_number_id"."""
        async with self._db.studios() as unit:
            added = await unit.studios.add(slug, phone_number_id, dict(options))
            await unit.commit()
        return added

    async def change(
        self, slug: str, phone_number_id: str, options: dict[str, object]
    ) -> StudioRow | None:
        """Merge `options` (None: cleared); None when no stored studio has `slug`."""
        async with self._db.studios() as unit:
            changed = await unit.studios.change(slug, phone_number_id, dict(options))
            await unit.commit()
        return changed

    async def set_enabled(self, slug: str, enabled: bool) -> StudioRow | None:
        async with self._db.studios() as unit:
            changed = await unit.studios.set_enabled(slug, enabled)
            await unit.commit()
        return changed

    async def describe_default(self, phone_number_id: str | None) -> None:
        """The default studio's number, from the environment at start-up."""
        async with self._db.studios() as unit:
            await unit.studios.describe_default(phone_number_id)
            await unit.commit()
