"""
A file the artist sends a lead from the studio page (`POST /studio/leads/<id>/send-file`):
how big a body that route takes, and which files may go, as Meta takes them.

Meta's Cloud API sends a picture as an `image` only as JPEG or PNG up to 5 MB, and a
document (PDF here: what a studio sends) up to 100 MB; the page keeps documents to
16 MiB (a phone's upload, a row in Postgres). The type is read from the bytes' own
signature, never from the name or the browser's word for it, so what Graph is given is
what it is. Anything else is refused with the reason, and nothing is kept.

`MAX_BODY_BYTES` bounds every other request; this route alone takes a body up to the
largest file plus its form (`FileRequest`, the app's request class).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from quart.wrappers import Request

from actors.lead import MediaKind

__all__ = ["FILE_BODY_MAX", "FileRequest", "Upload", "checked_upload"]

_MIB = 1024 * 1024
IMAGE_MAX = 5 * _MIB
DOCUMENT_MAX = 16 * _MIB
FILE_BODY_MAX = DOCUMENT_MAX + 64 * 1024  # the largest file and the form around it
_SEND_FILE = re.compile(r"/studio/leads/[^/]+/(send-file|design)")
# The bytes' signature -> (type, kind, the most Meta takes of it).
_SIGNATURES: tuple[tuple[bytes, str, MediaKind, int], ...] = (
    (b"\xff\xd8\xff", "image/jpeg", MediaKind.IMAGE, IMAGE_MAX),
    (b"\x89PNG\r\n\x1a\n", "image/png", MediaKind.IMAGE, IMAGE_MAX),
    (b"%PDF-", "application/pdf", MediaKind.DOCUMENT, DOCUMENT_MAX),
)
_NAME = re.compile(r"[^\w .()+-]+")


class FileRequest(Request):
    """The app's request: the send-file route takes a body up to `FILE_BODY_MAX`."""

    def __init__(self, method: str, scheme: str, path: str, *args: Any, **kwargs: Any) -> None:
        sends_file = method == "POST" and _SEND_FILE.fullmatch(path) is not None
        if sends_file:
            kwargs["max_content_length"] = FILE_BODY_MAX  # the body as it arrives
        super().__init__(method, scheme, path, *args, **kwargs)
        if sends_file:
            self.max_content_length = FILE_BODY_MAX  # and the form parser's own check


@dataclass(frozen=True)
class Upload:
    """A file that may go: what it is, as its bytes say."""

    content: bytes
    mime_type: str
    kind: MediaKind
    filename: str | None  # a document's name as the lead sees it; None for a picture


def checked_upload(content: bytes, name: str | None) -> Upload | str:
    """The file, or why it cannot go: "empty", "type" or "size" (the page words it)."""
    if not content:
        return "empty"
    for signature, mime_type, kind, most in _SIGNATURES:
        if content.startswith(signature):
            if len(content) > most:
                return "size"
            filename = _filename(name, mime_type) if kind is MediaKind.DOCUMENT else None
            return Upload(content, mime_type, kind, filename)
    return "type"


def _filename(name: str | None, mime_type: str) -> str:
    """The name the lead sees: the file's own, plain, without folders; else a plain one."""
    base = (name or "").replace("\\", "/").rsplit("/", 1)[-1]
    cleaned = _NAME.sub("", base).strip()[:100]
    return cleaned or ("design.pdf" if mime_type == "application/pdf" else "file")
