"""
The studio page's cookies and CSRF tokens: signing, checking, and the request facts they
depend on (https or not, the client's address).

Two cookies, both signed with the studio key, HttpOnly, SameSite=Lax, path /studio, and
Secure when the request arrived over https (`X-Forwarded-Proto` counts only with
TRUST_PROXY_HEADERS):

    studio_session   a session id (30 days; the database says whether it is still live)
    studio_visit     a random value for a browser not signed in yet, so the sign-in
                     forms carry a CSRF token bound to this browser too

A form's CSRF token is an HMAC of the session id (or the visit value) under the key: a
page of another site can neither read it nor forge it.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from itsdangerous import BadSignature, URLSafeTimedSerializer
from quart import request
from werkzeug.sansio.response import Response

from actors.page import SESSION_TTL_S
from web.security_headers import came_over_https

__all__ = [
    "SESSION_COOKIE",
    "VISIT_COOKIE",
    "Cookies",
    "client_address",
    "over_https",
]

SESSION_COOKIE = "studio_session"
VISIT_COOKIE = "studio_visit"
_PATH = "/studio"


class Cookies:
    """Signs and reads the studio's cookies and makes and checks CSRF tokens."""

    def __init__(self, key: str, *, trust_proxy_headers: bool) -> None:
        self._key = key.encode()
        self._signer = URLSafeTimedSerializer(key, salt="studio-cookie")
        self._trust = trust_proxy_headers

    def session_id(self) -> str | None:
        """The signed session id the request carries (not yet checked for revocation)."""
        return self._read(SESSION_COOKIE, SESSION_TTL_S)

    def visit_id(self) -> str | None:
        return self._read(VISIT_COOKIE, SESSION_TTL_S)

    def new_visit_id(self) -> str:
        return secrets.token_urlsafe(24)

    def csrf_token(self, anchor: str) -> str:
        """The token forms carry, bound to `anchor` (a session id or a visit value)."""
        return hmac.new(self._key, b"csrf:" + anchor.encode(), hashlib.sha256).hexdigest()

    def csrf_valid(self, anchor: str | None, presented: str | None) -> bool:
        if not anchor or not presented:
            return False
        return hmac.compare_digest(self.csrf_token(anchor), presented)

    def set(self, response: Response, name: str, value: str) -> None:
        response.set_cookie(
            name,
            self._signer.dumps(value),
            max_age=SESSION_TTL_S,
            path=request.root_path + _PATH,  # a studio's own prefix: one session per studio
            secure=over_https(self._trust),
            httponly=True,
            samesite="Lax",
        )

    def clear(self, response: Response, name: str) -> None:
        response.delete_cookie(
            name,
            path=request.root_path + _PATH,
            secure=over_https(self._trust),
            httponly=True,
            samesite="Lax",
        )

    def _read(self, name: str, max_age_s: int) -> str | None:
        raw = request.cookies.get(name)
        if not raw:
            return None
        try:
            value = self._signer.loads(raw, max_age=max_age_s)
        except BadSignature:  # forged, from another key, or too old
            return None
        return value if isinstance(value, str) else None


def over_https(trust_proxy_headers: bool) -> bool:
    """Whether the browser reached us over https: the test HSTS is sent by, too."""
    return came_over_https(
        request.scheme,
        request.headers.get("X-Forwarded-Proto", ""),
        trust_proxy_headers=trust_proxy_headers,
    )


def client_address(trust_proxy_headers: bool) -> str:
    """The client's address: the proxy's last X-Forwarded-For entry when trusted."""
    if trust_proxy_headers:
        forwarded = request.headers.get("X-Forwarded-For", "")
        entries = [e.strip() for e in forwarded.split(",") if e.strip()]
        if entries:
            return entries[-1]
    return request.remote_addr or "unknown"
