"""The studio page's own door: who may open it (sign-in links, the password, sessions)."""

from __future__ import annotations

from actors.page.access import (
    FAILURE_WINDOW_S,
    LINK_TTL_S,
    LINKS_ALLOWED,
    SESSION_TTL_S,
    LinkSent,
    PasswordTried,
    SignIn,
    signing_key,
)

__all__ = [
    "FAILURE_WINDOW_S",
    "LINKS_ALLOWED",
    "LINK_TTL_S",
    "SESSION_TTL_S",
    "LinkSent",
    "PasswordTried",
    "SignIn",
    "signing_key",
]
