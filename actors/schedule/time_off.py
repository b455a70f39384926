"""
The artist's time off, as the artist's actor takes it: the page's Block and Unblock are
events of that actor, and its decision's effects write the block in the same turn.

No slot overlapping time off (with the studio's buffer on both sides, as for busy
times) is offered, and a pick inside it is answered like a taken slot: a lead's turn
reads the blocks with the busy times (`actors.runtime.calendar_reads`). Blocking never
moves or cancels a booked appointment or a hold. Pure records: time and ids come in on
the event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

__all__ = ["MAX_NOTE", "BlockTime", "TimeOffBlocked", "TimeOffUnblocked", "UnblockTime"]

MAX_NOTE = 200  # a block's note, as the table keeps it


@dataclass(frozen=True)
class TimeOffBlocked:
    """The artist blocked [starts_at, ends_at) from the studio page (`note`: theirs)."""

    message_id: str
    starts_at: datetime
    ends_at: datetime
    note: str
    received_at: datetime


@dataclass(frozen=True)
class TimeOffUnblocked:
    """The artist unblocked the time off kept as `time_off_id`."""

    message_id: str
    time_off_id: int
    received_at: datetime


@dataclass(frozen=True)
class BlockTime:
    """Keep [starts_at, ends_at) as time off, in the turn that decided it."""

    starts_at: datetime
    ends_at: datetime
    note: str


@dataclass(frozen=True)
class UnblockTime:
    """Forget the time off kept as `time_off_id` (gone already: nothing to do)."""

    time_off_id: int
