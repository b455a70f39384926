"""
Sign-in links that are never stored: a link is named by a random id, its token is an
HMAC of that id under the studio key, and only the token's SHA-256 is kept.

The outbox row that carries a link names it by id, and its URL is made here when the
message is sent (`actors.copy.Composer`): no table, event or log line holds a token or
a URL. With SESSION_SECRET set the key lives outside the database, so a copy of the
database can make no link; without it the key is kept in the database (migration 0009)
and a link lives 10 minutes.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass

__all__ = ["SignInLinks", "token_hash"]


def token_hash(token: str) -> str:
    """What the database keeps of a token (a link's or a session's)."""
    return hashlib.sha256(token.encode()).hexdigest()


@dataclass(frozen=True)
class SignInLinks:
    """The studio page's sign-in links under `base_url`, made with `key`. Pure."""

    base_url: str
    key: str

    def token(self, link_id: str) -> str:
        digest = hmac.new(self.key.encode(), b"sign-in-link:" + link_id.encode(), hashlib.sha256)
        return base64.urlsafe_b64encode(digest.digest()).rstrip(b"=").decode()

    def token_hash(self, link_id: str) -> str:
        return token_hash(self.token(link_id))

    def url(self, link_id: str) -> str:
        """The link as the artist's WhatsApp shows it: made at send time, never kept."""
        return f"{self.base_url.rstrip('/')}/studio/login/{self.token(link_id)}"
