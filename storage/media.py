"""
Media leads sent, kept in Postgres: written once fetched (a records unit), read by the
admin API and the studio page (a read unit).

A row per Meta media id; a fetch retried after a failure overwrites its row. Only a
`stored` row has bytes: a bad checksum or an oversize file is recorded without them,
so it can never be shown as the lead's image.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import asyncpg

__all__ = ["MediaContent", "MediaItem", "MediaStore", "MediaWrite"]

_STORE = """
INSERT INTO media (lead_key, media_id, message_id, mime_type, caption, sha256, size,
                   status, bytes)
VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
ON CONFLICT (media_id) DO UPDATE
    SET mime_type = EXCLUDED.mime_type, caption = EXCLUDED.caption,
        sha256 = EXCLUDED.sha256, size = EXCLUDED.size, status = EXCLUDED.status,
        bytes = EXCLUDED.bytes
RETURNING id
"""
_COLUMNS = (
    "id, lead_key, media_id, message_id, mime_type, caption, sha256, size, status, created_at"
)
_OF_LEAD = f"SELECT {_COLUMNS} FROM media WHERE lead_key = $1 ORDER BY id"
_CONTENT = f"SELECT {_COLUMNS}, bytes FROM media WHERE id = $1"


@dataclass(frozen=True)
class _MediaFacts:
    lead_key: str
    media_id: str  # Meta's
    message_id: str | None  # the inbox id of the message that carried it
    mime_type: str | None
    caption: str | None
    sha256: str | None  # what Meta said the bytes hash to
    size: int | None
    status: str  # stored | bad_checksum | too_large | failed


@dataclass(frozen=True)
class MediaWrite(_MediaFacts):
    content: bytes | None  # only for `stored`


@dataclass(frozen=True)
class MediaItem(_MediaFacts):
    id: int
    created_at: datetime


@dataclass(frozen=True)
class MediaContent:
    item: MediaItem
    content: bytes | None  # None unless the item is `stored`


class MediaStore:
    def __init__(self, con: asyncpg.Connection) -> None:
        self._con = con

    async def store(self, media: MediaWrite) -> int:
        """Keep (or replace) the row of `media.media_id`; return its id."""
        content = media.content if media.status == "stored" else None
        media_row: int = await self._con.fetchval(
            _STORE,
            media.lead_key,
            media.media_id,
            media.message_id,
            media.mime_type,
            media.caption,
            media.sha256,
            media.size,
            media.status,
            content,
        )
        return media_row

    async def of_lead(self, lead_key: str) -> list[MediaItem]:
        """A lead's media, oldest first, without the bytes."""
        return [MediaItem(**dict(r)) for r in await self._con.fetch(_OF_LEAD, lead_key)]

    async def content(self, media_row: int) -> MediaContent | None:
        """One item with its bytes (None for anything not `stored`)."""
        row = await self._con.fetchrow(_CONTENT, media_row)
        if row is None:
            return None
        fields = dict(row)
        content = fields.pop("bytes")
        item = MediaItem(**fields)
        return MediaContent(item, bytes(content) if item.status == "stored" and content else None)
