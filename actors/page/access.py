"""
Who may open the studio page: one-time sign-in links sent to the artist's WhatsApp, the
optional password, and the sessions they start.

A link is a random token; only its SHA-256 hash is kept, with a 10-minute life and a
used mark, so it signs in once. Asking for one is a turn of the artist's actor
(`SignInRequested`): the link's hash and the message that carries it to the artist's
WhatsApp are written in that one turn, and the relay delivers it, with retry. The
sign-in page is public, so the artist's actor sends at most `LINKS_ALLOWED` links per
10 minutes, whoever asks: nobody can flood the artist's phone, however many ask at once
(its turns are one at a time). Sessions are random ids kept hashed too; signing out
revokes one for good. Wrong passwords are counted per client address in the database,
so every replica sees the same count.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from actors.artist import LINK_TTL_S, LINKS_ALLOWED, SignInRequested
from actors.runtime.clock import Clock
from actors.runtime.inbound import ArtistInbound
from actors.runtime.registry import ActorRuntime
from actors.runtime.turn import TurnOutcome
from storage import Database
from storage.studio import StudioAccess

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

SESSION_TTL_S = 30 * 24 * 3600
FAILURES_ALLOWED = 5
FAILURE_WINDOW_S = 10 * 60


class LinkSent(StrEnum):
    SENT = "sent"
    TOO_MANY = "too_many"  # LINKS_ALLOWED in the last LINK_TTL_S: the artist's phone is spared
    NOT_CONFIGURED = "not_configured"  # PUBLIC_BASE_URL or ARTIST_WHATSAPP_NUMBER unset


class PasswordTried(StrEnum):
    ACCEPTED = "accepted"
    WRONG = "wrong"
    TOO_MANY = "too_many"  # this address spent its tries for now
    NOT_CONFIGURED = "not_configured"  # STUDIO_PASSWORD unset


@dataclass(frozen=True)
class SignIn:
    """Sign-in and sessions for the studio page, over the database and the artist's actor."""

    _db: Database
    _runtime: ActorRuntime
    _clock: Clock
    _turn_wait_s: float
    artist_number: str | None
    public_base_url: str | None
    password: str | None

    def can_send_links(self) -> bool:
        return bool(self.artist_number and self.public_base_url)

    async def send_link(self, correlation_id: str | None) -> LinkSent:
        """Queue a one-time sign-in link to the artist's WhatsApp."""
        if not (self.artist_number and self.public_base_url):
            return LinkSent.NOT_CONFIGURED
        token = secrets.token_urlsafe(32)
        url = f"{self.public_base_url.rstrip('/')}/studio/login/{token}"
        token_hash = _hashed(token)
        asked = SignInRequested(f"signin:{token_hash[:32]}", token_hash, url, self._now())
        inbound = ArtistInbound.of(
            asked, {"asked": "sign_in_link"}, correlation_id or asked.message_id
        )
        outcome = await self._runtime.ask_within(inbound, self._turn_wait_s)
        return LinkSent.SENT if outcome is TurnOutcome.PROCESSED else LinkSent.TOO_MANY

    def _now(self) -> datetime:
        return self._clock.now()

    async def link_usable(self, token: str) -> bool:
        async with self._db.reads() as unit:
            return await unit.studio.token_live(_hashed(token), "link")

    async def sign_in_with_link(self, token: str) -> str | None:
        """Spend the link and start a session (its id); None: unknown, used or expired."""
        async with self._db.records() as unit:
            if not await unit.studio.end_token(_hashed(token), "link"):
                return None
            session_id = await _start_session(unit.studio)
            await unit.commit()
        return session_id

    async def sign_in_with_password(
        self, presented: str, address: str
    ) -> tuple[PasswordTried, str | None]:
        """Check the password for `address`; the session id when accepted."""
        if not self.password:
            return PasswordTried.NOT_CONFIGURED, None
        async with self._db.records() as unit:
            failures = await unit.studio.password_failures(address, FAILURE_WINDOW_S)
            if failures >= FAILURES_ALLOWED:
                return PasswordTried.TOO_MANY, None
            if not hmac.compare_digest(presented.encode(), self.password.encode()):
                await unit.studio.add_password_failure(address, FAILURE_WINDOW_S)
                await unit.commit()
                return PasswordTried.WRONG, None
            session_id = await _start_session(unit.studio)
            await unit.commit()
        return PasswordTried.ACCEPTED, session_id

    async def session_live(self, session_id: str) -> bool:
        async with self._db.reads() as unit:
            return await unit.studio.token_live(_hashed(session_id), "session")

    async def sign_out(self, session_id: str) -> None:
        async with self._db.records() as unit:
            await unit.studio.end_token(_hashed(session_id), "session")
            await unit.commit()


async def signing_key(db: Database, configured: str | None) -> str:
    """The studio page's cookie key: SESSION_SECRET when set, else the key kept in the
    database (made once, so every replica signs alike)."""
    if configured:
        return configured
    async with db.records() as unit:
        kept = await unit.studio.secret(secrets.token_urlsafe(48))
        await unit.commit()
    return kept


async def _start_session(studio: StudioAccess) -> str:
    session_id = secrets.token_urlsafe(32)
    await studio.add_token(_hashed(session_id), "session", SESSION_TTL_S)
    return session_id


def _hashed(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
