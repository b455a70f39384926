"""
Who may open the studio page: one-time sign-in links sent to the artist's WhatsApp, the
optional password, and the sessions they start.

A link is named by a random id; its token is made from the id (`actors.artist.links`)
and only the token's SHA-256 is kept, with a 10-minute life and a used mark, so it signs
in once; using one ends every other unspent link. Asking for one is a turn of the
artist's actor (`SignInRequested`), after the page's limit (`actors.page.limits`): at
most 3 per client address and 5 in all per 10 minutes, so nobody can flood the artist's
phone; the artist can always write "link" to the business number instead. Wrong
passwords are limited the same way (5 per address, 20 in all), in Postgres, so every
replica sees one count, and a try is taken before the password is looked at: over the
limit even the right one waits. Sessions are random ids kept hashed too; signing out
ends one, or all; a replica started with another STUDIO_PASSWORD ends them all.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from actors.artist import LINK_TTL_S, SignInRequested, token_hash
from actors.page.limits import LINK_REQUESTS, PASSWORDS, Limits
from actors.runtime.clock import Clock
from actors.runtime.inbound import ArtistInbound
from actors.runtime.registry import ActorRuntime
from actors.runtime.turn import TurnOutcome
from storage import Database
from storage.studio import StudioAccess

__all__ = [
    "LINK_TTL_S",
    "SESSION_TTL_S",
    "LinkAsked",
    "LinkSent",
    "PasswordAnswer",
    "PasswordTried",
    "SignIn",
    "signing_key",
]

SESSION_TTL_S = 30 * 24 * 3600


class LinkSent(StrEnum):
    SENT = "sent"
    TOO_MANY = "too_many"  # this address, or everyone, asked enough for now
    NOT_CONFIGURED = "not_configured"  # PUBLIC_BASE_URL or ARTIST_WHATSAPP_NUMBER unset


@dataclass(frozen=True)
class LinkAsked:
    sent: LinkSent
    retry_after_s: int = 0  # TOO_MANY: when to ask again


class PasswordTried(StrEnum):
    ACCEPTED = "accepted"
    WRONG = "wrong"
    TOO_MANY = "too_many"  # this address, or everyone, spent the tries for now
    NOT_CONFIGURED = "not_configured"  # STUDIO_PASSWORD unset


@dataclass(frozen=True)
class PasswordAnswer:
    tried: PasswordTried
    session_id: str | None = None  # ACCEPTED: the new session
    retry_after_s: int = 0  # TOO_MANY: when to try again


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

    async def send_link(self, address: str, correlation_id: str | None) -> LinkAsked:
        """Queue a one-time sign-in link to the artist's WhatsApp, within the page's limit."""
        if not self.can_send_links():
            return LinkAsked(LinkSent.NOT_CONFIGURED)
        taken = await Limits(self._db).take(LINK_REQUESTS, address)
        if taken.taken is None:
            return LinkAsked(LinkSent.TOO_MANY, taken.retry_after_s)
        link_id = secrets.token_urlsafe(16)
        asked = SignInRequested(f"signin:{secrets.token_hex(16)}", link_id, self._now())
        inbound = ArtistInbound.of(
            asked, {"asked": "sign_in_link"}, correlation_id or asked.message_id
        )
        outcome = await self._runtime.ask_within(inbound, self._turn_wait_s)
        if outcome is TurnOutcome.PROCESSED:
            return LinkAsked(LinkSent.SENT)
        return LinkAsked(LinkSent.NOT_CONFIGURED)

    def _now(self) -> datetime:
        return self._clock.now()

    async def link_usable(self, token: str) -> bool:
        async with self._db.reads() as unit:
            return await unit.studio.token_live(token_hash(token), "link")

    async def sign_in_with_link(self, token: str) -> str | None:
        """Spend the link, end every other unspent one and start a session (its id);
        None: unknown, used or expired."""
        async with self._db.records() as unit:
            if not await unit.studio.end_token(token_hash(token), "link"):
                return None
            await unit.studio.end_all("link")
            session_id = await _start_session(unit.studio)
            await unit.commit()
        return session_id

    async def sign_in_with_password(self, presented: str, address: str) -> PasswordAnswer:
        """Take a try for `address` (refused: not checked at all), then check; a right
        password gives its try back."""
        if not self.password:
            return PasswordAnswer(PasswordTried.NOT_CONFIGURED)
        limits = Limits(self._db)
        taken = await limits.take(PASSWORDS, address)
        if taken.taken is None:
            return PasswordAnswer(PasswordTried.TOO_MANY, retry_after_s=taken.retry_after_s)
        if not hmac.compare_digest(_bytes(presented), _bytes(self.password)):
            return PasswordAnswer(PasswordTried.WRONG)
        async with self._db.records() as unit:
            await unit.attempts.give_back(taken.taken)
            session_id = await _start_session(unit.studio)
            await unit.commit()
        return PasswordAnswer(PasswordTried.ACCEPTED, session_id)

    async def session_live(self, session_id: str) -> bool:
        async with self._db.reads() as unit:
            return await unit.studio.token_live(token_hash(session_id), "session")

    async def sign_out(self, session_id: str) -> None:
        async with self._db.records() as unit:
            await unit.studio.end_token(token_hash(session_id), "session")
            await unit.commit()

    async def sign_out_everywhere(self) -> int:
        """End every session, this one included: how many ended."""
        async with self._db.records() as unit:
            ended = await unit.studio.end_all("session")
            await unit.commit()
        return ended

    async def follow_password(self) -> int:
        """At start-up: when STUDIO_PASSWORD is not the one the live sessions began under
        (changed, newly set or unset), end every session. How many ended (0 the first
        time: nothing was recorded to differ from)."""
        async with self._db.records() as unit:
            salt, recorded = await unit.studio.password_identity(secrets.token_hex(16))
            digest = _password_digest(salt, self.password)
            ended = 0
            if recorded != digest:
                if recorded is not None:
                    ended = await unit.studio.end_all("session")
                await unit.studio.set_password_identity(digest)
            await unit.commit()
        return ended


def _password_digest(salt: str, password: str | None) -> str:
    """A salted, slow digest of which password is set (or that none is): never the
    password, and costly to guess it back from a copy of the database."""
    said = b"set:" + password.encode() if password else b"unset"
    return hashlib.scrypt(said, salt=salt.encode(), n=2**14, r=8, p=1).hex()


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
    await studio.add_token(token_hash(session_id), "session", SESSION_TTL_S)
    return session_id


def _bytes(text: str) -> bytes:
    """A secret's bytes for a constant-time compare (a lone surrogate cannot raise)."""
    return text.encode("utf-8", "surrogatepass")
