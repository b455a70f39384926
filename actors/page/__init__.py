"""Who may come in: the studio page's door (sign-in links, the password, sessions), the
admin API's bearer token, and the limits they are tried under."""

from __future__ import annotations

from actors.page.access import (
    LINK_TTL_S,
    SESSION_TTL_S,
    LinkAsked,
    LinkSent,
    PasswordAnswer,
    PasswordTried,
    SignIn,
    signing_key,
)
from actors.page.admin_access import AdminAccess, AdminAnswer, AdminTried
from actors.page.limits import ADMIN_TOKENS, LINK_REQUESTS, PASSWORDS, Limit

__all__ = [
    "ADMIN_TOKENS",
    "LINK_REQUESTS",
    "LINK_TTL_S",
    "PASSWORDS",
    "SESSION_TTL_S",
    "AdminAccess",
    "AdminAnswer",
    "AdminTried",
    "Limit",
    "LinkAsked",
    "LinkSent",
    "PasswordAnswer",
    "PasswordTried",
    "SignIn",
    "signing_key",
]
