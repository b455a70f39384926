"""
Meta's delivery reports and the message ids they carry, for the WhatsApp webhook and
the relay.

    record(reports)      keep and apply a webhook's `statuses[]` in one transaction
                         (monotonic, duplicates harmless), with each message's price
                         the first time one is reported (counted then, once); then each
                         row that failed is told to its lead's actor as `DeliveryFailed`,
                         whose inbox id is the row's, so the lead reacts once however
                         often it is reported. Only once both have committed may the
                         webhook answer 200. When the transaction fails on a bug (not
                         the database being away or busy), each report is kept on its
                         own, so one bad report never costs the others theirs: the ones
                         that still fail are handed back to be refused.
    early_failure(...)   the relay recorded Meta's id for a row and the database had a
                         failure for it already (kept, and applied as the id was
                         written): it is told to the lead's actor now.
    about(ids)           which of our messages a reply's `context.id` or a reaction
                         names, with its lead and copy key.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from datetime import datetime

import structlog

from actors.errors import ActorError, TurnFailed
from actors.lead import Message, UndecodableEffect, effect_from_json
from actors.runtime.inbound import Inbound
from actors.runtime.observe import NullObserver, Observer
from actors.runtime.registry import ActorRuntime
from storage import (
    ClaimedDelivery,
    Database,
    DatabaseUnavailable,
    FailedDelivery,
    KeptStatuses,
    Pricing,
    SentMessageRef,
    StatusReport,
    StorageError,
    TransactionConflict,
)

__all__ = ["DeliveryReports", "Pricing", "SentMessageRef", "StatusReport"]

log = structlog.get_logger("actors.providers.whatsapp.statuses")
# What fails a whole delivery (the provider retries it): the database away or busy.
_PASSING = (DatabaseUnavailable, TransactionConflict)


class DeliveryReports:
    def __init__(
        self,
        db: Database,
        runtime: ActorRuntime,
        now: Callable[[], datetime],
        *,
        observer: Observer | None = None,
    ) -> None:
        self._db = db
        self._runtime = runtime
        self._now = now
        self._observer: Observer = observer or NullObserver()

    async def record(
        self, reports: Sequence[StatusReport], *, correlation_id: str, wait_s: float
    ) -> dict[int, str]:
        """Keep and apply `reports`, then tell the leads of the failed rows and wait up to
        `wait_s` for their turns (`TurnFailed` if they do not commit in time). Returns the
        reports that could not be kept, by index, with the error's class."""
        if not reports:
            return {}
        refused: dict[int, str] = {}
        try:
            kept = await self._keep(reports)
        except _PASSING:
            raise
        except Exception:
            log.error("statuses.batch_failed", exc_info=True)
            kept = KeptStatuses([], [])
            for index, report in enumerate(reports):
                try:
                    alone = await self._keep([report])
                except _PASSING:
                    raise
                except Exception as error:
                    refused[index] = type(error.__cause__ or error).__name__
                    continue
                kept.failed.extend(alone.failed)
                kept.priced.extend(alone.priced)
        for index, report in enumerate(reports):
            if index not in refused:
                self._observer.status_reported(report.state, report.error_code)
        for price in kept.priced:
            self._observer.message_priced(price.category, price.type, price.pricing_model)
        try:
            async with asyncio.timeout(wait_s):  # only turns are waited on here, no unit
                await self._tell(kept.failed, correlation_id)
        except TimeoutError:
            raise TurnFailed("the failed deliveries' turns did not commit in time") from None
        return refused

    async def _keep(self, reports: Sequence[StatusReport]) -> KeptStatuses:
        async with self._db.records() as unit:
            kept = await unit.statuses.record(reports)
            await unit.commit()
        return kept

    async def early_failure(self, claim: ClaimedDelivery, failed: FailedDelivery) -> None:
        """A failure Meta reported before we recorded the send, acted on now."""
        if claim.channel != "whatsapp":
            return
        try:
            await self._tell([failed], claim.correlation_id or f"outbox:{claim.id}")
        except (StorageError, ActorError) as error:
            # The report stays kept on the row; the admin view shows it as failed.
            log.warning("statuses.early_failure_not_told", reason=type(error).__name__)
        except Exception:
            # Never the relay's problem: a delivery task that raised would take the
            # relay's other calls under way down with it.
            log.error("statuses.early_failure_check_crashed", exc_info=True)

    async def about(self, provider_message_ids: Sequence[str]) -> dict[str, SentMessageRef]:
        if not provider_message_ids:
            return {}
        async with self._db.reads() as unit:
            return await unit.statuses.sent(provider_message_ids)

    async def _tell(self, failed: Sequence[FailedDelivery], correlation_id: str) -> None:
        asks = [self._runtime.ask(self._inbound(row, correlation_id)) for row in failed]
        if asks:
            await asyncio.gather(*asks)

    def _inbound(self, row: FailedDelivery, correlation_id: str) -> Inbound:
        try:
            effect = effect_from_json("whatsapp", row.payload)
        except UndecodableEffect:
            effect = None
        return Inbound.from_delivery_failure(
            wa_id=row.lead_key,
            outbox_id=row.outbox_id,
            error_code=row.error_code,
            effect=effect if isinstance(effect, Message) else None,
            now=self._now(),
            correlation_id=correlation_id,
        )
