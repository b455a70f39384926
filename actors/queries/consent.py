"""
A lead's consent as the studio page shows it: "Consent missing" on a booked appointment
until it is complete, then the kept record (answers, version, times, the SHA-256), which
the page also downloads as a PDF. The board asks which of its leads miss it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from storage import Database

__all__ = ["ConsentReads", "ConsentShown"]


@dataclass(frozen=True)
class ConsentShown:
    """A lead's consent: `missing` (booked, not complete), or its kept record."""

    lead_id: UUID
    missing: bool
    status: str | None = None  # complete | refused_minor | deleted; None: nothing kept
    record: dict[str, Any] | None = None
    sha256: str | None = None
    retain_until: date | None = None
    kept_at: datetime | None = None

    @property
    def exportable(self) -> bool:
        """A complete or refused record: the PDF has something to hold."""
        return self.record is not None and self.status in ("complete", "refused_minor")


@dataclass(frozen=True)
class ConsentReads:
    _db: Database
    on: bool  # STUDIO_FILE's `consent: true`

    async def of_lead(self, lead_id: UUID) -> ConsentShown | None:
        """The lead's consent; None when consent is off or the lead is unknown."""
        if not self.on:
            return None
        async with self._db.reads() as unit:
            state = await unit.consent.state_of(lead_id)
            if state is None:
                return None
            kept = await unit.consent.of_lead(state.lead_key)
        missing = (
            state.status == "BOOKED"
            and state.visit_starts_at is not None
            and state.consent_status == "missing"
        )
        if kept is None:
            return ConsentShown(lead_id, missing)
        return ConsentShown(
            lead_id,
            missing,
            kept.status,
            dict(kept.record),
            kept.sha256,
            kept.retain_until,
            kept.kept_at,
        )

    async def missing(self, lead_keys: Sequence[str]) -> frozenset[str]:
        """Which of these leads are booked with their consent missing (none when off)."""
        if not self.on or not lead_keys:
            return frozenset()
        async with self._db.reads() as unit:
            return await unit.consent.missing(lead_keys)
