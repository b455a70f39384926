"""
The lead's "add to calendar" address: `{PUBLIC_BASE_URL}/calendar/visit/{start}/{token}.ics`.

The token is an HMAC of the lead and the appointment's start under a key the service
keeps (derived from the studio's signing key: SESSION_SECRET, or the one kept in the
database), so an address cannot be guessed or walked through; the number is never in
it. Pure: the behaviour writes the address into the booking's messages, and the route
checks a presented token against the live appointment that starts then. A moved
appointment has a new address; a cancelled one answers 404.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from dataclasses import dataclass, field

__all__ = ["InviteLinks"]

_TOKEN_CHARS = 32  # 192 bits of the HMAC, base64url


@dataclass(frozen=True)
class InviteLinks:
    base_url: str  # PUBLIC_BASE_URL
    key: bytes = field(repr=False)

    @classmethod
    def derived(cls, base_url: str, signing_key: str) -> InviteLinks:
        """A key of their own, so a calendar token never doubles as a cookie signature."""
        key = hmac.new(signing_key.encode(), b"calendar invites", hashlib.sha256).digest()
        return cls(base_url.rstrip("/"), key)

    def token(self, wa_id: str, starts_at: int) -> str:
        digest = hmac.new(self.key, f"{wa_id}\n{starts_at}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).decode()[:_TOKEN_CHARS]

    def url(self, wa_id: str, starts_at: int) -> str:
        return f"{self.base_url}/calendar/visit/{starts_at}/{self.token(wa_id, starts_at)}.ics"

    def matches(self, wa_id: str, starts_at: int, presented: str) -> bool:
        """In constant time, whether `presented` is this lead's token for that start."""
        return hmac.compare_digest(self.token(wa_id, starts_at).encode(), presented.encode())
