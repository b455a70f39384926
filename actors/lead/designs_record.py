"""
What a lead's file keeps of the artist's designs: each design sent, the lead's answer
to it, the change requests (revisions) and the drawing fees they added. Pure data, with
its JSON (`actors.lead.codec` stores it with the lead).

    Designs.status     none | sent | changes_requested | approved (the latest design's)
    Designs.fees       drawing fees owed at the studio, beyond the deposit (minor units)
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = ["Design", "DesignStatus", "Designs", "designs_from_json", "designs_to_json"]


class DesignStatus(StrEnum):
    NONE = "none"  # no design sent yet
    SENT = "sent"  # waiting for the lead's answer
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"


@dataclass(frozen=True)
class Design:
    """One design sent to the lead, and what the lead made of it."""

    number: int  # 1, 2, ...: the buttons carry it
    sent_at: int  # seconds since the epoch (the artist's event)
    note: str = ""  # the artist's words with it
    outcome: DesignStatus = DesignStatus.SENT


@dataclass(frozen=True)
class ChangeRequest:
    """The lead's words asking for changes: one revision."""

    revision: int
    text: str
    at: int  # seconds since the epoch (the lead's message)
    fee: int = 0  # the drawing fee it added (minor units); 0: a free revision


@dataclass(frozen=True)
class Designs:
    sent: tuple[Design, ...] = ()
    changes: tuple[ChangeRequest, ...] = ()
    awaiting_changes: bool = False  # "Ask for changes" tapped: the next message says what
    approved_at: int | None = None  # seconds since the epoch
    free_revisions: int = 2  # the studio's, when the latest design went

    @property
    def status(self) -> DesignStatus:
        return self.sent[-1].outcome if self.sent else DesignStatus.NONE

    @property
    def latest(self) -> int:
        """The latest design's number (0: none sent)."""
        return self.sent[-1].number if self.sent else 0

    @property
    def revisions(self) -> int:
        return len(self.changes)

    @property
    def fees(self) -> int:
        return sum(change.fee for change in self.changes)


def designs_to_json(designs: Designs) -> dict[str, Any]:
    if designs == Designs():
        return {}
    return {
        "designs": {
            "sent": [
                {"number": d.number, "sent_at": d.sent_at, "note": d.note, "outcome": d.outcome}
                for d in designs.sent
            ],
            "changes": [
                {"revision": c.revision, "text": c.text, "at": c.at, "fee": c.fee}
                for c in designs.changes
            ],
            "awaiting_changes": designs.awaiting_changes,
            "approved_at": designs.approved_at,
            "free_revisions": designs.free_revisions,
        }
    }


def designs_from_json(data: dict[str, Any] | None) -> Designs:
    if not data:
        return Designs()
    return Designs(
        sent=tuple(
            Design(
                int(d["number"]),
                int(d["sent_at"]),
                str(d.get("note") or ""),
                DesignStatus(d.get("outcome") or DesignStatus.SENT),
            )
            for d in data.get("sent", ())
        ),
        changes=tuple(
            ChangeRequest(int(c["revision"]), str(c["text"]), int(c["at"]), int(c.get("fee", 0)))
            for c in data.get("changes", ())
        ),
        awaiting_changes=bool(data.get("awaiting_changes", False)),
        approved_at=None if data.get("approved_at") is None else int(data["approved_at"]),
        free_revisions=int(data.get("free_revisions", 2)),
    )
