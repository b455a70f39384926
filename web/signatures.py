"""Meta's X-Hub-Signature-256: HMAC-SHA256 of the raw body, compared in constant time."""

from __future__ import annotations

import hashlib
import hmac

from web.errors import SignatureInvalid

__all__ = ["sign_meta", "verify_meta_signature"]

_PREFIX = "sha256="


def sign_meta(secret: bytes, body: bytes) -> str:
    return _PREFIX + hmac.new(secret, body, hashlib.sha256).hexdigest()


def verify_meta_signature(secret: bytes, body: bytes, header: str | None) -> None:
    """Raise `SignatureInvalid` unless `header` signs `body` with `secret`."""
    if not header or not header.startswith(_PREFIX):
        raise SignatureInvalid("missing signature")
    if not hmac.compare_digest(sign_meta(secret, body).encode(), header.strip().encode()):
        raise SignatureInvalid("signature mismatch")
