"""
The studio's hours and appointment policies (STUDIO_FILE), as the behaviour reads them.

Built once at start-up by `web.studio_file` from the YAML an operator writes; every
time of day is in the studio's own timezone, every duration in the unit its name says.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import time, timedelta
from zoneinfo import ZoneInfo

from actors.schedule.message_prices import MessagePrices
from actors.schedule.policy import RescheduleRule, StudioPolicy

__all__ = ["WEEKDAYS", "Opening", "SessionPreset", "StudioFile"]

# Python's weekday() order: monday is 0.
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")


@dataclass(frozen=True)
class Opening:
    """One stretch of a day the studio works, [opens, closes) in its local time."""

    opens: time
    closes: time  # time.max stands for "24:00"


@dataclass(frozen=True)
class SessionPreset:
    """A session length the approval offers (`session_presets:`), in the studio's words."""

    label: str
    minutes: int


@dataclass(frozen=True)
class StudioFile:
    timezone: ZoneInfo
    hours: Mapping[int, tuple[Opening, ...]] = field(hash=False)  # weekday() -> openings
    slot_step_minutes: int = 30
    default_session_minutes: int = 120
    buffer_minutes: int = 15
    horizon_days: int = 28
    min_notice_hours: int = 24
    reschedule_notice_hours: int = 72
    max_reschedules: int = 1
    cancel_notice_hours: int = 72
    reminder_offsets_minutes: tuple[int, ...] = (2880, 720)
    aftercare_after_hours: int = 2
    healed_photo_after_days: int = 28
    design_free_revisions: int = 2  # change requests to a design that cost nothing
    design_drawing_fee_minor: int = 0  # added to the balance for each one past them
    message_prices: MessagePrices | None = None  # what Meta charges per message, if given
    address: str | None = None  # where the studio is (one line): the visit's LOCATION
    session_presets: tuple[SessionPreset, ...] = ()  # the approval's lengths, in order
    # `policy:`; None: a file of before, its three top-level keys above stand for it.
    policy: StudioPolicy | None = None

    @property
    def rules(self) -> StudioPolicy:
        """The studio's policy: `policy:`, else what the older top-level keys say."""
        if self.policy is not None:
            return self.policy
        return StudioPolicy(
            refundable_until_hours=self.cancel_notice_hours,
            reschedule=RescheduleRule(self.max_reschedules, self.reschedule_notice_hours),
        )

    @property
    def buffer(self) -> timedelta:
        """Kept free after each session (and around the artist's busy times)."""
        return timedelta(minutes=self.buffer_minutes)
