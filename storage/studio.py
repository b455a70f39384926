"""
Who may see the studio page: the cookie signing key, one-time sign-in links, sessions and
the password they began under, each a statement on the caller's connection (wrong
passwords are counted by `storage.limits`).

Links and sessions are both tokens (`studio_tokens`, by kind) that arrive here already
hashed (SHA-256, by `actors.page.access`): the database never holds anything that signs
a browser in. A token is live until it expires or ends; ending one is a compare-and-set,
so a link is spent once however many browsers race for it. A sign-in link is written by
the artist's turn that sends it (`storage.artist_turns`), so a link exists exactly when
its message will be sent.
"""

from __future__ import annotations

from typing import Literal

import asyncpg

__all__ = ["StudioAccess", "TokenKind"]

TokenKind = Literal["link", "session"]

_SECRET_ONCE = "INSERT INTO studio_secret (secret) VALUES ($1) ON CONFLICT (studio_id) DO NOTHING"
_SECRET = "SELECT secret FROM studio_secret"
_ADD_TOKEN = """
INSERT INTO studio_tokens (token_hash, kind, expires_at)
VALUES ($1, $2, now() + make_interval(secs => $3))
"""
_LIVE = """
SELECT 1 FROM studio_tokens
WHERE token_hash = $1 AND kind = $2 AND ended_at IS NULL AND expires_at > now()
"""
_END = """
UPDATE studio_tokens SET ended_at = now()
WHERE token_hash = $1 AND kind = $2 AND ended_at IS NULL AND expires_at > now()
RETURNING token_hash
"""
_END_ALL = """
UPDATE studio_tokens SET ended_at = now()
WHERE kind = $1 AND ended_at IS NULL AND expires_at > now()
"""
_SALT_ONCE = """
INSERT INTO studio_password_identity (salt) VALUES ($1) ON CONFLICT (studio_id) DO NOTHING
"""
_IDENTITY = "SELECT salt, digest FROM studio_password_identity FOR UPDATE"
_SET_IDENTITY = "UPDATE studio_password_identity SET digest = $1, updated_at = now()"


class StudioAccess:
    """The studio page's sign-in records, on the caller's connection (and transaction)."""

    def __init__(self, con: asyncpg.Connection) -> None:
        self._con = con

    async def secret(self, candidate: str) -> str:
        """The shared signing key: `candidate` if none was kept yet, else the kept one."""
        await self._con.execute(_SECRET_ONCE, candidate)
        kept: str = await self._con.fetchval(_SECRET)
        return kept

    async def add_token(self, token_hash: str, kind: TokenKind, ttl_s: float) -> None:
        await self._con.execute(_ADD_TOKEN, token_hash, kind, ttl_s)

    async def token_live(self, token_hash: str, kind: TokenKind) -> bool:
        return await self._con.fetchval(_LIVE, token_hash, kind) is not None

    async def end_token(self, token_hash: str, kind: TokenKind) -> bool:
        """End a live token (spend a link, sign a session out); False: it was not live."""
        return await self._con.fetchval(_END, token_hash, kind) is not None

    async def end_all(self, kind: TokenKind) -> int:
        """End every live token of `kind` (every unspent link, every session): how many."""
        done: str = await self._con.execute(_END_ALL, kind)
        return int(done.split()[-1])

    async def password_identity(self, candidate_salt: str) -> tuple[str, str | None]:
        """The salt (`candidate_salt` if none was kept yet) and the recorded digest of the
        password the live sessions began under (None: never recorded), locked until the
        transaction ends."""
        await self._con.execute(_SALT_ONCE, candidate_salt)
        row = await self._con.fetchrow(_IDENTITY)
        assert row is not None  # made just above, or before
        return row["salt"], row["digest"]

    async def set_password_identity(self, digest: str) -> None:
        await self._con.execute(_SET_IDENTITY, digest)
