"""
`GET /studio/media/<row>`: a media item a lead sent, as a response for the artist's
browser. The studio page's gate has already asked for a signed-in session; the actor
has already refused anything not stored whole (a bad checksum, a file too large).

The bytes are the lead's, and so is the type their WhatsApp declared: nothing in them is
trusted. A picture of a type a browser only displays (JPEG, PNG, GIF, WebP) is served
inline with that type for the page's <img>; anything else (an SVG, a PDF, HTML, a
script, a voice note, a video, an unknown type) as `application/octet-stream` and only
as a download, so that no type we send makes a browser run or render it (a
`<script src>` pointing here loads nothing runnable: `nosniff` refuses octet-stream as
a script). `no-store` keeps it off every cache once the artist signs out.
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
    """The bytes: a picture inline with its own type, anything else as a download."""
    assert found.content is not None  # the actor hands over stored items only
    item = found.item
    declared = (item.mime_type or "").split(";")[0].strip().lower()
    if declared in INLINE_IMAGES:
        mime, disposition = declared, "inline"
        extension = mimetypes.guess_extension(declared) or ".bin"
    else:
        mime, disposition, extension = _DOWNLOAD, "attachment", _extension(declared)
    return Response(
        found.content,
        200,
        {
            "Content-Type": mime,
            "Content-Disposition": f'{disposition}; filename="media-{item.id}{extension}"',
            "Cache-Control": "no-store",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",  # nothing in it runs
        },
    )


def _extension(declared: str) -> str:
    """The file name's extension, from the declared type (a download's only use of it)."""
    if not _MIME.fullmatch(declared):
        return ".bin"
    return mimetypes.guess_extension(declared) or ".bin"
