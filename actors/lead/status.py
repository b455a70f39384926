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
    # With appointments on (STUDIO_FILE):
    SCHEDULING = "SCHEDULING"  # approved; picking a time
    CANCELLED = "CANCELLED"  # a booked time, cancelled by the lead or the artist
    DONE = "DONE"  # the appointment happened
    NO_SHOW = "NO_SHOW"  # the lead did not come (the artist said so): closed
    WAITLISTED = "WAITLISTED"  # no offered time suited: told when one in their days frees up
