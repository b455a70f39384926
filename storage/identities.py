"""
Who a lead is: its lead id and every identifier that ever arrived for it (0019).

    resolve(seen)     each item's identifiers to its lead's key, in one transaction
                      under a transaction-level advisory lock on every identifier the
                      batch carries (taken in one sorted order, so two replicas never
                      wait on each other in a cycle): found by BSUID, then parent BSUID,
                      then phone; what the lead lacks is added, a newer value of a kind
                      makes the older one previous (still found by). An item that finds
                      no lead makes one when it may (`create`), else resolves to None.
    find(any_id)      a lead's key from a phone, a BSUID, a parent BSUID (current or
                      previous), its lead id or its key
    identities(keys)  each lead's id and identifiers, for the admin API and the page
    artist_user_id    the artist's BSUID as learned (and `learn_artist`)

(kind, value) is unique, so one identifier can never name two leads, whatever
arrives concurrently.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

import asyncpg

from storage.studios import DEFAULT_STUDIO_ID

__all__ = ["LeadIdentities", "LeadIdentity", "PreviousIdentifier", "SeenIdentifiers"]

_LOCK = """
SELECT pg_advisory_xact_lock(hashtextextended('lead_identity:' || $2::text || ':' || k, 0))
FROM unnest($1::text[]) AS k
"""
_FIND_ROWS = """
SELECT kind, value, lead_key FROM lead_identities
WHERE (kind, value) IN (SELECT * FROM unnest($1::text[], $2::text[]))
"""
_ADD = """
INSERT INTO lead_identities (kind, value, lead_key, since) VALUES ($1, $2, $3, $4)
ON CONFLICT (studio_id, kind, value) DO NOTHING
"""
_RETIRE = """
UPDATE lead_identities SET until = $4
WHERE lead_key = $1 AND kind = $2 AND value <> ALL($3::text[]) AND until IS NULL
"""
_REVIVE = """
UPDATE lead_identities SET until = NULL, since = $4
WHERE lead_key = $1 AND kind = $2 AND value = $3 AND until IS NOT NULL
"""
_USERNAME = """
INSERT INTO lead_profiles AS p (lead_key, username, updated_at) VALUES ($1, $2, $3)
ON CONFLICT (lead_key) DO UPDATE SET username = EXCLUDED.username, updated_at = $3
WHERE p.username IS DISTINCT FROM EXCLUDED.username
"""
_FIND = """
SELECT lead_key FROM leads WHERE lead_key = $1 OR lead_id = $3::uuid
UNION ALL
SELECT lead_key FROM lead_identities WHERE value = $1 OR (kind = 'wa_id' AND value = $2)
LIMIT 1
"""
_IDENTITIES = """
SELECT k.lead_key, l.lead_id, p.username,
       coalesce(
           (SELECT array_agg(i.kind ORDER BY i.since) FROM lead_identities AS i
            WHERE i.lead_key = k.lead_key), '{}') AS kinds,
       coalesce(
           (SELECT array_agg(i.value ORDER BY i.since) FROM lead_identities AS i
            WHERE i.lead_key = k.lead_key), '{}') AS vals,
       coalesce(
           (SELECT array_agg(i.until ORDER BY i.since) FROM lead_identities AS i
            WHERE i.lead_key = k.lead_key), '{}') AS untils
FROM unnest($1::text[]) AS k (lead_key)
LEFT JOIN leads AS l ON l.lead_key = k.lead_key
LEFT JOIN lead_profiles AS p ON p.lead_key = k.lead_key
"""
_SEARCH = """
SELECT DISTINCT lead_key FROM (
    SELECT lead_key FROM lead_profiles WHERE lower(username) LIKE $1
    UNION ALL
    SELECT lead_key FROM lead_identities WHERE lower(value) LIKE $1
) AS found
LIMIT 200
"""
_ARTIST = "SELECT user_id FROM artist_identities WHERE actor_key = 'artist'"
_LEARN_ARTIST = """
INSERT INTO artist_identities (actor_key, user_id) VALUES ('artist', $1)
ON CONFLICT (studio_id, actor_key) DO NOTHING
RETURNING user_id
"""

_ORDER = ("user_id", "parent_user_id", "wa_id")  # which identifier finds a lead first


@dataclass(frozen=True)
class SeenIdentifiers:
    """What one item says of its person: the values it carries become the lead's
    current ones; `also_by` (kind, value) pairs only find the lead (a change notice's
    old number or BSUID, which the new values then make previous)."""

    wa_id: str | None = None
    user_id: str | None = None
    parent_user_id: str | None = None
    username: str | None = None
    also_by: tuple[tuple[str, str], ...] = ()
    create: bool = True  # may make a lead when none is found

    def current(self) -> list[tuple[str, str]]:
        pairs = [("user_id", self.user_id), ("parent_user_id", self.parent_user_id)]
        pairs.append(("wa_id", self.wa_id))
        return [(k, v) for k, v in pairs if v]

    def finding(self) -> list[tuple[str, str]]:
        """Every identifier that may find the lead, in the order that finds it first."""
        pairs = self.current() + [p for p in self.also_by if p[1]]
        return sorted(dict.fromkeys(pairs), key=lambda p: _ORDER.index(p[0]))


@dataclass(frozen=True)
class PreviousIdentifier:
    kind: str
    value: str
    until: datetime


@dataclass(frozen=True)
class LeadIdentity:
    """A lead's id and its identifiers: the current ones, and those it had before."""

    lead_key: str
    lead_id: str | None
    wa_id: str | None = None
    user_id: str | None = None
    parent_user_id: str | None = None
    username: str | None = None
    previous: tuple[PreviousIdentifier, ...] = field(default_factory=tuple)


class LeadIdentities:
    """A studio's leads' identifiers. The default studio keys a new lead by its phone,
    as it always has; every other studio by a new lead id, so that no two studios' leads
    ever share a key (the same person writing to two studios is two leads)."""

    def __init__(self, con: asyncpg.Connection, studio_id: int = DEFAULT_STUDIO_ID) -> None:
        self._con = con
        self._studio_id = studio_id

    async def resolve(self, seen: Sequence[SeenIdentifiers], now: datetime) -> list[str | None]:
        """Each item's lead key (None: no lead, and `create` was False)."""
        keys = sorted({f"{k}:{v}" for s in seen for k, v in s.finding()})
        await self._con.execute(_LOCK, keys, str(self._studio_id))
        return [await self._one(s, now) for s in seen]

    async def _one(self, seen: SeenIdentifiers, now: datetime) -> str | None:
        wanted = seen.finding()
        if not wanted:
            return None
        rows = await self._con.fetch(_FIND_ROWS, [k for k, _ in wanted], [v for _, v in wanted])
        owner = {(r["kind"], r["value"]): r["lead_key"] for r in rows}
        lead = next((owner[p] for p in wanted if p in owner), None)
        if lead is None:
            if not seen.create:
                return None
            lead = str(uuid.uuid4())  # a new lead's key: its id, or its phone (default studio)
            if seen.wa_id and self._studio_id == DEFAULT_STUDIO_ID:
                lead = seen.wa_id
        await self._learn(lead, seen, owner, now)
        return lead

    async def _learn(
        self, lead: str, seen: SeenIdentifiers, owner: dict[tuple[str, str], str], now: datetime
    ) -> None:
        """New values of the item become current; older values of their kind previous."""
        for kind, value in seen.current():
            if owner.get((kind, value)) not in (None, lead):
                continue  # another lead's: never moved
            await self._con.execute(_RETIRE, lead, kind, [value], now)
            if (kind, value) in owner:
                await self._con.execute(_REVIVE, lead, kind, value, now)
            else:
                await self._con.execute(_ADD, kind, value, lead, now)
        if seen.username:
            await self._con.execute(_USERNAME, lead, seen.username, now)

    async def find(self, any_id: str) -> str | None:
        """The key of the lead `any_id` names (a phone may come with its '+')."""
        value = any_id.strip()
        try:
            lead_id: uuid.UUID | None = uuid.UUID(value)
        except ValueError:
            lead_id = None
        key: str | None = await self._con.fetchval(_FIND, value, value.lstrip("+"), lead_id)
        return key

    async def search(self, words: str) -> list[str]:
        """Leads whose username or any identifier contains `words` (case ignored)."""
        pattern = "%" + words.lower().lstrip("@").replace("%", "").replace("_", r"\_") + "%"
        return [r["lead_key"] for r in await self._con.fetch(_SEARCH, pattern)]

    async def identities(self, lead_keys: Sequence[str]) -> dict[str, LeadIdentity]:
        rows = await self._con.fetch(_IDENTITIES, list(lead_keys))
        return {r["lead_key"]: _identity(r) for r in rows}

    async def artist_user_id(self) -> str | None:
        user_id: str | None = await self._con.fetchval(_ARTIST)
        return user_id

    async def learn_artist(self, user_id: str) -> str | None:
        """Keep the artist's BSUID unless one is kept already; the one kept."""
        learned = await self._con.fetchval(_LEARN_ARTIST, user_id)
        return learned if learned is not None else await self.artist_user_id()


def _identity(row: asyncpg.Record) -> LeadIdentity:
    current: dict[str, str] = {}
    previous: list[PreviousIdentifier] = []
    for kind, value, until in zip(row["kinds"], row["vals"], row["untils"], strict=True):
        if until is None:
            current[kind] = value
        else:
            previous.append(PreviousIdentifier(kind, value, until))
    lead_id = row["lead_id"]
    return LeadIdentity(
        lead_key=row["lead_key"],
        lead_id=str(lead_id) if lead_id is not None else None,
        wa_id=current.get("wa_id"),
        user_id=current.get("user_id"),
        parent_user_id=current.get("parent_user_id"),
        username=row["username"],
        previous=tuple(previous),
    )
