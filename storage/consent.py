"""
Consent records: kept in a lead's turn (a turn unit), read by the studio page (a read unit).

`keep` completes the record with our questions' WhatsApp ids (the outbox rows that asked
them, by copy key) and seals it: `sha256` is the lowercase hex SHA-256 of its canonical
JSON (RFC 8785 for this data: keys sorted, no whitespace, UTF-8). A kept record is never
changed: a second keep for the same appointment does nothing.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

import asyncpg

__all__ = ["ConsentRecords", "ConsentState", "DeletedConsent", "KeptConsent", "canonical_sha256"]

_ASKED = """
SELECT provider_message_id, created_at, copy_key
FROM outbox_copy_keys
WHERE lead_key = $1 AND channel = 'whatsapp' AND copy_key LIKE 'consent\\_%'
ORDER BY id
"""
_KEEP = """
INSERT INTO consent_records (lead_key, appointment_start, status, record, sha256, retain_until)
VALUES ($1, $2, $3, $4, $5, $6)
ON CONFLICT (lead_key, sha256) DO NOTHING
"""
_OF_LEAD = """
SELECT status, record, sha256, retain_until, kept_at
FROM consent_records WHERE lead_key = $1
ORDER BY appointment_start DESC, id DESC LIMIT 1
"""
_EXPIRED = """
SELECT id, lead_key, record, appointment_start FROM consent_records
WHERE retain_until < $1 AND status <> 'deleted'
ORDER BY id LIMIT $2
FOR UPDATE SKIP LOCKED
"""
_FORGET_PHOTO = "DELETE FROM media WHERE media_id = $1 AND lead_key = $2"
_DELETED = "UPDATE consent_records SET status = 'deleted', record = $2 WHERE id = $1"
_STATE = """
SELECT lead_key, status, consent_status, visit_starts_at FROM lead_consent WHERE lead_id = $1
"""
_MISSING = """
SELECT lead_key FROM lead_consent
WHERE lead_key = ANY($1::text[]) AND status = 'BOOKED'
  AND visit_starts_at IS NOT NULL AND consent_status = 'missing'
"""


@dataclass(frozen=True)
class DeletedConsent:
    """A record deleted after its retention: whose, and for which appointment."""

    id: int
    lead_key: str
    appointment_start: datetime


def canonical_sha256(record: Mapping[str, Any]) -> str:
    """The SHA-256 of the record's canonical JSON (sorted keys, no whitespace, UTF-8)."""
    text = json.dumps(record, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class KeptConsent:
    status: str  # complete | refused_minor | deleted
    record: Mapping[str, Any]
    sha256: str
    retain_until: date
    kept_at: datetime


@dataclass(frozen=True)
class ConsentState:
    """Where a lead's consent stands, from its state (`lead_consent`)."""

    lead_key: str
    status: str  # the lead's
    consent_status: str  # missing (also: not asked yet) | complete | refused_minor
    visit_starts_at: int | None


class ConsentRecords:
    def __init__(self, con: asyncpg.Connection) -> None:
        self._con = con

    async def keep(
        self,
        lead_key: str,
        status: str,
        record: Mapping[str, object],
        appointment_start: datetime,
        retain_until: date,
    ) -> None:
        """Seal and keep the record, with the ids of the questions we sent."""
        asked = await self._con.fetch(_ASKED, lead_key)
        sent = [
            {
                "direction": "out",
                "id": row["provider_message_id"],
                "at": row["created_at"].isoformat(),
                "step": row["copy_key"],
            }
            for row in asked
        ]
        heard = record.get("messages")
        received: Sequence[Mapping[str, Any]] = heard if isinstance(heard, list) else []
        messages = sorted([*sent, *received], key=lambda m: datetime.fromisoformat(str(m["at"])))
        sealed: dict[str, Any] = {**record, "messages": messages}
        digest = canonical_sha256(sealed)
        await self._con.execute(
            _KEEP, lead_key, appointment_start, status, sealed, digest, retain_until
        )

    async def of_lead(self, lead_key: str) -> KeptConsent | None:
        """The lead's latest record, if one is kept."""
        row = await self._con.fetchrow(_OF_LEAD, lead_key)
        if row is None:
            return None
        return KeptConsent(
            row["status"], dict(row["record"]), row["sha256"], row["retain_until"],
            row["kept_at"],
        )  # fmt: skip

    async def expire(self, today: date, limit: int = 100) -> list[DeletedConsent]:
        """Delete the records kept past `retain_until` (and their ID photos' bytes), up to
        `limit`, skipping rows another replica holds; the ones deleted."""
        rows = await self._con.fetch(_EXPIRED, today, limit)
        for row in rows:
            record = dict(row["record"])
            photo = record.get("id_photo")
            if isinstance(photo, Mapping) and photo.get("media_id"):
                await self._con.execute(_FORGET_PHOTO, str(photo["media_id"]), row["lead_key"])
            stub = {"lead": record.get("lead"), "retain_until": record.get("retain_until")}
            await self._con.execute(_DELETED, row["id"], stub)
        return [
            DeletedConsent(row["id"], row["lead_key"], row["appointment_start"]) for row in rows
        ]

    async def state_of(self, lead_id: UUID) -> ConsentState | None:
        row = await self._con.fetchrow(_STATE, lead_id)
        if row is None:
            return None
        return ConsentState(
            row["lead_key"], row["status"], row["consent_status"], row["visit_starts_at"]
        )

    async def missing(self, lead_keys: Sequence[str]) -> frozenset[str]:
        """Which of these leads are booked with their consent still missing."""
        rows = await self._con.fetch(_MISSING, list(lead_keys))
        return frozenset(str(row["lead_key"]) for row in rows)
