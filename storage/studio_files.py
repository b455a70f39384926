"""
Files the artist sends a lead from the studio page: kept here until the WhatsApp
sender uploads them to Graph, with the id Graph gave (a retry sends by it).
"""

from __future__ import annotations

from dataclasses import dataclass

import asyncpg

__all__ = ["StudioFile", "StudioFiles"]

_ADD = """
INSERT INTO studio_files (lead_key, mime_type, filename, content) VALUES ($1, $2, $3, $4)
RETURNING id
"""
_GET = "SELECT id, mime_type, filename, content, graph_media_id FROM studio_files WHERE id = $1"
_UPLOADED = "UPDATE studio_files SET graph_media_id = $2 WHERE id = $1"


@dataclass(frozen=True)
class StudioFile:
    id: int
    mime_type: str
    filename: str | None
    content: bytes
    graph_media_id: str | None  # None until Graph took the upload


class StudioFiles:
    def __init__(self, con: asyncpg.Connection) -> None:
        self._con = con

    async def add(self, lead_key: str, mime_type: str, filename: str | None, content: bytes) -> int:
        """Keep a file for `lead_key`; its row id."""
        return int(await self._con.fetchval(_ADD, lead_key, mime_type, filename, content))

    async def get(self, file_id: int) -> StudioFile | None:
        row = await self._con.fetchrow(_GET, file_id)
        return None if row is None else StudioFile(**dict(row))

    async def uploaded(self, file_id: int, graph_media_id: str) -> None:
        """Graph took the bytes: later tries send by this id."""
        await self._con.execute(_UPLOADED, file_id, graph_media_id)
