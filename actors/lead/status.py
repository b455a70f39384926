"""The statuses a lead can be in."""

from __future__ import annotations

from enum import StrEnum

__all__ = ["Status"]


class Status(StrEnum):
    NEW = "NEW"
    QUALIFYING = "QUALIFYING"
    CONFIRMING = "CONFIRMING"
    PENDING_APPROVAL = "PENDING_APPROVAL"
    NEEDS_ARTIST_REPLY = "NEEDS_ARTIST_REPLY"
    BOOKING_PENDING = "BOOKING_PENDING"
    BOOKED = "BOOKED"
    REJECTED = "REJECTED"
    OPTOUT = "OPTOUT"
    STALE = "STALE"
    ABANDONED = "ABANDONED"
