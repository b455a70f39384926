"""
`GET /studio/media/<row>`: a media item a lead sent, as a response for the artist's
browser. The studio page's gate has already asked for a signed-in session; the actor
has already refused anything not stored whole (a bad checksum, a file too large).

The bytes are the lead's, so nothing in them is trusted: a picture of a type a browser
only displays (JPEG, PNG, GIF, WebP) is served inline for the page's <img>, anything
else (an SVG, a PDF, a voice note) only as a download; `nosniff` keeps the browser to
the type given, and `private` keeps it off shared caches.
"""

from __future__ import annotations

import mimetypes
import re

from quart import Response

from actors.queries import INLINE_IMAGES, MediaContent

__all__ = ["media_response"]

_MIME = re.compile(r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,63}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,63}")
_DOWNLOAD = "application/octet-stream"


def media_response(found: MediaContent) -> Response:
    """The bytes with their type; inline only for a picture the page shows."""
    assert found.content is not None  # the actor hands over stored items only
    item = found.item
    mime = (item.mime_type or "").split(";")[0].strip().lower()
    if not _MIME.fullmatch(mime):
        mime = _DOWNLOAD
    extension = mimetypes.guess_extension(mime) or ".bin"
    disposition = "inline" if mime in INLINE_IMAGES else "attachment"
    return Response(
        found.content,
        200,
        {
            "Content-Type": mime,
            "Content-Disposition": f'{disposition}; filename="media-{item.id}{extension}"',
            "Cache-Control": "private, max-age=3600",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",  # nothing in it runs
        },
    )
