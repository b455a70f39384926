"""
Files the artist sent from the studio page, uploaded to Graph at send time.

The turn recorded a `SendMedia` whose media id names the kept file
(`STUDIO_FILE_PREFIX` + its row); the WhatsApp sender asks here for Graph's id before
it renders the message. The first try uploads the bytes (`POST /{phone-number-id}/media`,
multipart: `messaging_product`, `type`, `file`) and keeps the id Graph gave on the row,
so a retry (Meta throttled the message, the lease ran out) sends by that id and never
uploads twice. Graph's refusals are classified as the sender's are: 429 and 5xx retry,
any other refusal is permanent (the page already refused what Meta refuses).
"""

from __future__ import annotations

import structlog

from actors.errors import PermanentDeliveryError, RetryableDeliveryError
from actors.lead.artist_side import STUDIO_FILE_PREFIX
from actors.outbox.deadline import Deadline
from actors.providers.whatsapp.graph import GraphAnswer, GraphCallFailed, GraphCalls
from actors.providers.whatsapp.version import DEFAULT_GRAPH_VERSION, graph_root
from storage import Database, DatabaseUnavailable

__all__ = ["StudioUploads", "studio_file_row"]

log = structlog.get_logger("actors.providers.whatsapp.uploads")


def studio_file_row(media_id: str) -> int | None:
    """The kept file a media id names, or None for Meta's own ids."""
    if not media_id.startswith(STUDIO_FILE_PREFIX):
        return None
    tail = media_id.removeprefix(STUDIO_FILE_PREFIX)
    return int(tail) if tail.isdigit() else None


class StudioUploads:
    """Graph's media id for a kept file: uploaded once, then reused."""

    def __init__(
        self,
        db: Database,
        graph: GraphCalls,
        *,
        api_base: str,
        api_version: str = DEFAULT_GRAPH_VERSION,
        phone_number_id: str | None,
        access_token: str | None,
        timeout_s: float = 30.0,
    ) -> None:
        self._db = db
        self._graph = graph
        self._url = f"{graph_root(api_base, api_version)}/{phone_number_id}/media"
        self._headers = {"Authorization": f"Bearer {access_token}"}
        self._timeout = timeout_s

    async def media_id(self, row: int, deadline: Deadline) -> str:
        try:
            async with self._db.records() as unit:
                kept = await unit.files.get(row)
        except DatabaseUnavailable as error:
            raise RetryableDeliveryError("database", str(error)) from error
        if kept is None:
            raise PermanentDeliveryError("no_file", f"studio file {row} is gone")
        if kept.graph_media_id:
            return kept.graph_media_id
        fields = {"messaging_product": "whatsapp", "type": kept.mime_type}
        name = kept.filename or f"file-{row}"
        timeout = min(self._timeout, deadline.check())
        try:
            answer = await self._graph.post_file(
                self._url, fields, (name, kept.mime_type, kept.content), self._headers, timeout
            )
        except GraphCallFailed as error:
            raise RetryableDeliveryError(error.code, error.detail) from error
        graph_id = _uploaded_id(answer)
        try:
            async with self._db.records() as unit:
                await unit.files.uploaded(row, graph_id)
                await unit.commit()
        except DatabaseUnavailable as error:
            raise RetryableDeliveryError("database", str(error)) from error
        log.info("whatsapp.file_uploaded", size=len(kept.content), mime_type=kept.mime_type)
        return graph_id


def _uploaded_id(answer: GraphAnswer) -> str:
    """Graph's `{"id": ...}`, or the failure as the relay classifies it."""
    if answer.status == 429 or answer.status >= 500:
        raise RetryableDeliveryError(f"http_{answer.status}", "media upload")
    if answer.status != 200:
        raise PermanentDeliveryError(f"http_{answer.status}", "media upload refused")
    try:
        found = answer.json().get("id")
    except (ValueError, AttributeError) as error:
        raise RetryableDeliveryError("media_upload", "not JSON") from error
    if not found:
        raise RetryableDeliveryError("media_upload", "no id")
    return str(found)
