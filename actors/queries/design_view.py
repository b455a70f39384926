"""
A lead's designs as the studio page and the admin API show them: each design sent with
its outcome, the change requests (revisions) and the drawing fees they added.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from actors.lead.designs_record import Designs
from actors.money import Money

__all__ = ["DesignShown", "DesignSummary", "design_shown", "design_summary"]


@dataclass(frozen=True)
class DesignShown:
    status: str  # none | sent | changes_requested | approved
    designs: tuple[tuple[int, datetime, str, str], ...]  # (number, sent at, note, outcome)
    changes: tuple[tuple[int, datetime, str, str | None], ...]  # (revision, at, words, fee)
    revisions: int
    free_revisions: int
    fees: str | None  # the drawing fees added, as the locale writes money; None: none
    approved_at: datetime | None


def design_shown(
    designs: Designs, currency: str, locale: str, clock: Callable[[int], datetime]
) -> DesignShown | None:
    """The designs' card (None: no design sent yet)."""
    if not designs.sent:
        return None

    def money(minor: int) -> str | None:
        return Money(minor, currency).format(locale) if minor else None

    return DesignShown(
        status=designs.status.value,
        designs=tuple((d.number, clock(d.sent_at), d.note, d.outcome.value) for d in designs.sent),
        changes=tuple((c.revision, clock(c.at), c.text, money(c.fee)) for c in designs.changes),
        revisions=designs.revisions,
        free_revisions=designs.free_revisions,
        fees=money(designs.fees),
        approved_at=None if designs.approved_at is None else clock(designs.approved_at),
    )


@dataclass(frozen=True)
class DesignSummary:
    """`design` in `GET /admin/leads/{wa_id}`."""

    status: str  # none | sent | changes_requested | approved
    designs: int  # how many were sent
    revisions: int  # change requests
    free_revisions: int
    approved_at: datetime | None


def design_summary(designs: Designs) -> DesignSummary:
    approved = designs.approved_at
    return DesignSummary(
        status=designs.status.value,
        designs=len(designs.sent),
        revisions=designs.revisions,
        free_revisions=designs.free_revisions,
        approved_at=None if approved is None else datetime.fromtimestamp(approved, UTC),
    )
