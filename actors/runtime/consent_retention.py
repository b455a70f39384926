"""
Consent records are kept until `retain_until` (the appointment's date + STUDIO_FILE's
`consent_retention_years`); this loop deletes them after it, with their ID photos' bytes.
Every replica may run it: each row is taken by one (`FOR UPDATE SKIP LOCKED`), and a
deleted record is never taken again, so each is deleted once.
"""

from __future__ import annotations

from datetime import tzinfo

import structlog

from actors.runtime.clock import Clock
from actors.runtime.polling import PolledLoop
from storage import Database

__all__ = ["ConsentRetention"]

log = structlog.get_logger("actors.consent_retention")
_BATCH = 100


class ConsentRetention(PolledLoop):
    def __init__(self, db: Database, clock: Clock, timezone: tzinfo, interval_s: float) -> None:
        super().__init__(interval_s)
        self._db = db
        self._clock = clock
        self._timezone = timezone  # the studio's: a record lasts until its day ends there

    async def _round(self) -> bool:
        today = self._clock.now().astimezone(self._timezone).date()
        async with self._db.records() as unit:
            deleted = await unit.consent.expire(today, _BATCH)
            await unit.commit()
        if deleted:
            log.info("consent.records_deleted", count=deleted)
        return deleted == _BATCH  # more may be waiting
