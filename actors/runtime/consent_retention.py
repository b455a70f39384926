"""
Consent records are kept until `retain_until` (the appointment's date + STUDIO_FILE's
`consent_retention_years`); this loop deletes them after it, with their ID photos' bytes.
Every replica may run it: each row is taken by one (`FOR UPDATE SKIP LOCKED`), and a
deleted record is never taken again, so each is deleted once.

Then each deleted record's lead gets a turn of its own (`ConsentDeleted`), where its actor
forgets the answers its state still holds (the date of birth, the health answers, the
guardian): the state changes only through the lead's actor. The turn's inbox id is the
record's, so asking again is harmless. (A process that dies between the deletion's
commit and the turn leaves those answers in the state: not yet swept.)
"""

from __future__ import annotations

from datetime import tzinfo

import structlog

from actors.errors import ActorError
from actors.runtime.clock import Clock
from actors.runtime.inbound import Inbound
from actors.runtime.polling import PolledLoop
from actors.runtime.registry import ActorRuntime
from storage import Database, DeletedConsent

__all__ = ["ConsentRetention"]

log = structlog.get_logger("actors.consent_retention")
_BATCH = 100


class ConsentRetention(PolledLoop):
    def __init__(
        self,
        db: Database,
        clock: Clock,
        timezone: tzinfo,
        interval_s: float,
        runtime: ActorRuntime | None = None,
    ) -> None:
        super().__init__(interval_s)
        self._db = db
        self._clock = clock
        self._timezone = timezone  # the studio's: a record lasts until its day ends there
        self._runtime = runtime  # the leads' actors, told of each deletion

    async def _round(self) -> bool:
        today = self._clock.now().astimezone(self._timezone).date()
        async with self._db.records() as unit:
            deleted = await unit.consent.expire(today, _BATCH)
            await unit.commit()
        if deleted:
            log.info("consent.records_deleted", count=len(deleted))
        for record in deleted:
            await self._tell(record)
        return len(deleted) == _BATCH  # more may be waiting

    async def _tell(self, record: DeletedConsent) -> None:
        if self._runtime is None:
            return
        inbound = Inbound.from_consent_deleted(
            wa_id=record.lead_key,
            record_id=record.id,
            appointment_start=int(record.appointment_start.timestamp()),
            now=self._clock.now(),
        )
        try:
            await self._runtime.ask(inbound)
        except ActorError as error:
            log.warning("consent.forget_failed", error=type(error).__name__)
