"""
Who may use the admin API (and, through the same check, /metrics and /openapi.json):
the bearer ADMIN_TOKEN, compared in constant time, under the limit
(`actors.page.limits.ADMIN_TOKENS`: 10 wrong per client address per 10 minutes). A
request with no token at all is refused without counting; no token configured refuses
every request, uncounted. With the database unavailable nothing can be counted: the right
token still passes (so /metrics answers, `booking_metrics_database_up 0`, while the
database is down) and a wrong one is refused, uncounted.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from enum import StrEnum

from actors.page.limits import ADMIN_TOKENS, Limits
from storage import Database, DatabaseUnavailable

__all__ = ["AdminAccess", "AdminAnswer", "AdminTried"]


class AdminTried(StrEnum):
    ACCEPTED = "accepted"
    WRONG = "wrong"  # counted
    TOO_MANY = "too_many"  # not checked at all, right or wrong
    NOT_CONFIGURED = "not_configured"  # ADMIN_TOKEN unset


@dataclass(frozen=True)
class AdminAnswer:
    tried: AdminTried
    retry_after_s: int = 0  # TOO_MANY: when to try again


@dataclass(frozen=True)
class AdminAccess:
    _db: Database
    token: str | None  # ADMIN_TOKEN, the operator's: every studio's admin API
    also: str | None = None  # a stored studio's own token: its admin API only

    async def check(self, presented: str, address: str) -> AdminAnswer:
        """One decision, one statement: a wrong token takes a try, a right one only needs
        one free (so admin calls at once never crowd each other out). Over the limit the
        answer is 429 whichever it was, by the same statement, so it tells nothing."""
        tokens = [t for t in (self.token, self.also) if t]
        if not tokens:
            return AdminAnswer(AdminTried.NOT_CONFIGURED)
        right = False
        for token in tokens:  # each compared, in constant time
            right = hmac.compare_digest(_bytes(presented), _bytes(token)) or right
        try:
            taken = await Limits(self._db).take(ADMIN_TOKENS, address, counts=not right)
        except DatabaseUnavailable:
            return AdminAnswer(AdminTried.ACCEPTED if right else AdminTried.WRONG)
        if taken.taken is None:
            return AdminAnswer(AdminTried.TOO_MANY, taken.retry_after_s)
        return AdminAnswer(AdminTried.ACCEPTED if right else AdminTried.WRONG)


def _bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogatepass")
