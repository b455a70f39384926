"""
The statements of the artist's turn, under the artist's transaction-level advisory lock.

`lock_and_read` takes the lock and reads whether the message was seen and the snapshot;
`write` writes, in the same transaction, the inbox row, the snapshot (a compare-and-set
on its version), the outbox rows (on the artist's own lane), the system events and the
sign-in links the turn issued. Nothing else writes the artist's inbox or outbox rows.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import asyncpg

from storage.errors import StaleSnapshot
from storage.locks import lock_key
from storage.studios import DEFAULT_STUDIO_ID
from storage.turns import OutboxInsert, SystemEventInsert

__all__ = ["ArtistSnapshot", "ArtistTurnStatements", "ArtistTurnWrite", "SignInLinkInsert"]

_LOCK_NAMESPACE = "artist"

_LOCK = "SELECT pg_advisory_xact_lock($1)"
_SEEN = "SELECT EXISTS (SELECT 1 FROM inbox WHERE message_id = $1)"
_SNAPSHOT = "SELECT version, state FROM artist_actors WHERE actor_key = $1"
_INBOX = """
INSERT INTO inbox (message_id, lead_key, outcome, correlation_id, payload)
VALUES ($1, $2, $3, $4, $5)
"""
_SAVE = """
INSERT INTO artist_actors AS a (actor_key, version, state) VALUES ($1, 1, $3)
ON CONFLICT (studio_id, actor_key)
DO UPDATE SET version = a.version + 1, state = $3, updated_at = now()
WHERE a.version = $2
RETURNING version
"""
_OUTBOX = """
INSERT INTO outbox (lead_key, channel, payload, idempotency_key, correlation_id)
SELECT $1, channel, payload, key, $5
FROM unnest($2::text[], $3::jsonb[], $4::text[]) AS row(channel, payload, key)
"""
_EVENT = """
INSERT INTO system_events (lead_key, level, kind, correlation_id, detail)
VALUES ($1, $2, $3, $4, $5)
"""
_LINK = """
INSERT INTO studio_tokens (token_hash, kind, expires_at)
VALUES ($1, 'link', now() + make_interval(secs => $2))
"""


@dataclass(frozen=True)
class ArtistSnapshot:
    seen: bool  # the message is in the inbox already: a duplicate, nothing to write
    version: int  # 0: no snapshot yet
    state: dict[str, Any] | None


@dataclass(frozen=True)
class SignInLinkInsert:
    token_hash: str
    ttl_s: int


@dataclass(frozen=True)
class ArtistTurnWrite:
    actor_key: str
    expected_version: int
    state: dict[str, Any]
    message_id: str
    outcome: str
    correlation_id: str
    inbox_payload: dict[str, Any]
    outbox: list[OutboxInsert] = field(default_factory=list)
    events: list[SystemEventInsert] = field(default_factory=list)
    links: list[SignInLinkInsert] = field(default_factory=list)


class ArtistTurnStatements:
    """The artist's turn, on the unit's connection and transaction."""

    def __init__(self, con: asyncpg.Connection, studio_id: int = DEFAULT_STUDIO_ID) -> None:
        self._con = con
        self._studio_id = studio_id

    async def lock_and_read(self, actor_key: str, message_id: str) -> ArtistSnapshot:
        """Every studio has its artist: one studio's turn never waits on another's."""
        await self._con.execute(_LOCK, lock_key(_LOCK_NAMESPACE, f"{self._studio_id}:{actor_key}"))
        if await self._con.fetchval(_SEEN, message_id):
            return ArtistSnapshot(True, 0, None)
        row = await self._con.fetchrow(_SNAPSHOT, actor_key)
        if row is None:
            return ArtistSnapshot(False, 0, None)
        return ArtistSnapshot(False, row["version"], row["state"])

    async def write(self, turn: ArtistTurnWrite) -> int:
        """Write the turn; its new version. `StaleSnapshot` when the version moved."""
        await self._con.execute(
            _INBOX,
            turn.message_id,
            turn.actor_key,
            turn.outcome,
            turn.correlation_id,
            turn.inbox_payload,
        )
        version = await self._con.fetchval(_SAVE, turn.actor_key, turn.expected_version, turn.state)
        if version is None:
            raise StaleSnapshot(f"the artist's snapshot moved past {turn.expected_version}")
        if turn.outbox:
            await self._con.execute(
                _OUTBOX,
                turn.actor_key,
                [row.channel for row in turn.outbox],
                [row.payload for row in turn.outbox],
                [row.idempotency_key for row in turn.outbox],
                turn.correlation_id,
            )
        for event in turn.events:
            await self._con.execute(
                _EVENT, None, event.level, event.kind, turn.correlation_id, event.detail
            )
        for link in turn.links:
            await self._con.execute(_LINK, link.token_hash, link.ttl_s)
        version_written: int = version
        return version_written
