"""
The media channel: fetch a media item a lead sent and keep it in Postgres.

Meta's download URL lives minutes and the media id days, so the item is fetched as soon
as the turn that saw it commits, through the outbox (retried like any delivery):
`GET /{version}/{media-id}` (with the access token) gives the URL, mime type, size and sha256;
then the bytes are read from the URL with the same token, at most `max_bytes` of them.
Both calls go through the service's one Graph client (`graph.GraphClient`), each bounded
as a whole by `timeout_s` and by what is left of the row's lease.

    stored         the bytes hash to what Meta said (hex or base64 of the sha256)
    bad_checksum   they do not: kept without the bytes, never shown as the lead's image
    too_large      over MEDIA_MAX_BYTES (by Meta's size or by what arrived)
    failed         Meta refused the id (expired, unknown): kept, and dead-lettered

Timeouts, 429 and 5xx are retried with the relay's backoff.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

import structlog

from actors.errors import PermanentDeliveryError, RetryableDeliveryError
from actors.lead import FetchMedia
from actors.outbox.deadline import Deadline
from actors.outbox.delivery import Delivery
from actors.providers.whatsapp.graph import GraphAnswer, GraphCallFailed, GraphCalls
from actors.providers.whatsapp.version import DEFAULT_GRAPH_VERSION, graph_root
from storage import Database, DatabaseUnavailable, MediaWrite

__all__ = ["MediaFetcher", "sha256_matches"]

log = structlog.get_logger("actors.providers.whatsapp.media")


def sha256_matches(content: bytes, expected: str) -> bool:
    """Meta writes the digest as hex in the media API and as base64 in webhooks."""
    digest = hashlib.sha256(content).digest()
    return expected.strip() in (digest.hex(), base64.b64encode(digest).decode())


class MediaFetcher:
    """The relay's deliverer for channel "media": one outbox row, one media item kept."""

    def __init__(
        self,
        graph: GraphCalls,
        db: Database,
        *,
        api_base: str,
        api_version: str = DEFAULT_GRAPH_VERSION,
        access_token: str | None,
        max_bytes: int,
        timeout_s: float = 15.0,
    ) -> None:
        self._graph = graph
        self._db = db
        self._api_base = graph_root(api_base, api_version)
        self._headers = {"Authorization": f"Bearer {access_token}"}
        self._configured = access_token is not None
        self._max_bytes = max_bytes
        self._timeout = timeout_s

    async def deliver(self, delivery: Delivery, deadline: Deadline) -> str | None:
        effect = delivery.effect
        if not isinstance(effect, FetchMedia):
            raise PermanentDeliveryError("wrong_channel", type(effect).__name__)
        if not self._configured:
            raise RetryableDeliveryError("not_configured", "WHATSAPP_ACCESS_TOKEN unset")
        info = await self._info(effect, deadline)
        mime = str(info.get("mime_type") or effect.mime_type or "") or None
        expected = str(info.get("sha256") or effect.sha256 or "") or None
        size = _int(info.get("file_size"))
        if size is not None and size > self._max_bytes:
            await self._keep(effect, mime, expected, size, "too_large", None)
            return effect.media_id
        content = await self._download(str(info.get("url") or ""), deadline)
        if content is None:
            await self._keep(effect, mime, expected, size, "too_large", None)
            return effect.media_id
        status = "stored"
        if expected is None or not sha256_matches(content, expected):
            status = "bad_checksum"
            log.warning("media.bad_checksum", size=len(content))
        await self._keep(effect, mime, expected, len(content), status, content)
        return effect.media_id

    async def _info(self, effect: FetchMedia, deadline: Deadline) -> dict[str, Any]:
        url = f"{self._api_base}/{effect.media_id}"
        answer = await self._get(url, deadline, "media_info")
        if answer.status != 200:
            error = _classify(answer)
            if isinstance(error, PermanentDeliveryError):
                await self._keep(effect, effect.mime_type, effect.sha256, None, "failed", None)
            raise error
        try:
            info = answer.json()
        except ValueError as error:
            raise RetryableDeliveryError("media_info", "not JSON") from error
        if not isinstance(info, dict) or not info.get("url"):
            raise RetryableDeliveryError("media_info", "no url")
        return info

    async def _download(self, url: str, deadline: Deadline) -> bytes | None:
        """The item's bytes, or None when there are more than `max_bytes` of them."""
        answer = await self._get(url, deadline, "media_download", max_bytes=self._max_bytes)
        if answer.status != 200:  # the URL expired: the retry gets a new one
            raise RetryableDeliveryError(f"http_{answer.status}", "download")
        return None if answer.too_large else answer.body

    async def _get(
        self, url: str, deadline: Deadline, step: str, *, max_bytes: int | None = None
    ) -> GraphAnswer:
        timeout = min(self._timeout, deadline.check())
        try:
            return await self._graph.get(url, self._headers, timeout, max_bytes=max_bytes)
        except GraphCallFailed as error:  # a bad URL too: Meta gives a new one on the retry
            raise RetryableDeliveryError(step, error.detail) from error

    async def _keep(
        self,
        effect: FetchMedia,
        mime: str | None,
        sha256: str | None,
        size: int | None,
        status: str,
        content: bytes | None,
    ) -> None:
        write = MediaWrite(
            lead_key=effect.wa_id,
            media_id=effect.media_id,
            message_id=effect.message_id,
            mime_type=mime,
            caption=effect.caption,
            sha256=sha256,
            size=size,
            status=status,
            content=content,
        )
        try:
            async with self._db.records() as unit:
                await unit.media.store(write)
                await unit.commit()
        except DatabaseUnavailable as error:
            raise RetryableDeliveryError("database", str(error)) from error
        log.info("media.kept", status=status, size=size, mime_type=mime)


def _int(value: object) -> int | None:
    try:
        return int(str(value)) if value is not None else None
    except ValueError:
        return None


def _classify(answer: GraphAnswer) -> RetryableDeliveryError | PermanentDeliveryError:
    code = f"http_{answer.status}"
    if answer.status == 429 or answer.status >= 500:
        return RetryableDeliveryError(code, "media")
    return PermanentDeliveryError(code, "media")
