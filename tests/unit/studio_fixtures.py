"""A studio for the pure tests: London, open weekdays 10-13 and 14-18, Saturday 10-16."""

from __future__ import annotations

from datetime import time
from zoneinfo import ZoneInfo

from actors.schedule import Opening, StudioFile

__all__ = ["LONDON", "studio"]

LONDON = ZoneInfo("Europe/London")
_WEEKDAY = (Opening(time(10), time(13)), Opening(time(14), time(18)))


def studio(**overrides: object) -> StudioFile:
    fields: dict[str, object] = {
        "timezone": LONDON,
        "hours": {
            0: _WEEKDAY, 1: _WEEKDAY, 2: _WEEKDAY, 3: _WEEKDAY, 4: _WEEKDAY,
            5: (Opening(time(10), time(16)),), 6: (),
        },
        "slot_step_minutes": 30,
        "default_session_minutes": 120,
        "buffer_minutes": 15,
        "horizon_days": 28,
        "min_notice_hours": 24,
        "reschedule_notice_hours": 72,
        "max_reschedules": 1,
        "cancel_notice_hours": 72,
        "reminder_offsets_minutes": (2880, 720),
        "aftercare_after_hours": 2,
        "healed_photo_after_days": 28,
    }  # fmt: skip
    fields.update(overrides)
    return StudioFile(**fields)  # type: ignore[arg-type]
