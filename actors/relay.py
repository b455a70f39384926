"""
The outbox relay: delivers committed effects to providers, after commit, with retry.

Claiming: any replica may claim; `storage.Outbox.claim` hands out only each lead's
oldest pending row, leased rather than row-locked, so a lead's second reply never
overtakes its first while different leads are delivered concurrently. We chose a
database claim over "the owning actor delivers" because it survives the owner dying:
a lapsed lease is picked up by whichever replica polls next.

Waking: the local runtime calls `wake()` right after a commit that wrote effects; other
replicas' rows (and retries coming due) are found by polling. We do not NOTIFY per
turn: NOTIFY serializes committing transactions on a global lock.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Protocol

import structlog

from actors.errors import PermanentDeliveryError, RetryableDeliveryError
from actors.masking import mask_phone
from storage import CONNECTION_ERRORS, ClaimedDelivery, Outbox, Pool

__all__ = ["Backoff", "Deliverer", "OutboxRelay"]

log = structlog.get_logger("actors.relay")


class Deliverer(Protocol):
    async def deliver(self, delivery: ClaimedDelivery) -> str | None:
        """Deliver one effect; return the provider's message id, raise a DeliveryError."""
        ...


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with jitter and a cap, by attempt number (1-based)."""

    base_s: float = 1.0
    cap_s: float = 300.0

    def delay(self, attempt: int, rng: random.Random) -> float:
        ceiling = min(self.cap_s, self.base_s * 2 ** (attempt - 1))
        return rng.uniform(ceiling / 2, ceiling)


def _opted_out_recipient(delivery: ClaimedDelivery) -> bool:
    """Nothing reaches an opted-out lead but the confirmation of the opt-out itself."""
    return (
        delivery.channel == "whatsapp"
        and delivery.lead_status == "OPTOUT"
        and delivery.payload.get("to") == delivery.lead_key
        and not delivery.payload.get("after_opt_out", False)
    )


class OutboxRelay:
    def __init__(
        self,
        pool: Pool,
        deliverers: Mapping[str, Deliverer] | None = None,
        *,
        concurrency: int = 32,
        lease_s: float = 60.0,
        max_attempts: int = 8,
        backoff: Backoff = Backoff(),
        poll_interval_s: float = 1.0,
        rng: random.Random | None = None,
    ) -> None:
        self._pool = pool
        self._deliverers = dict(deliverers or {})
        self._concurrency = concurrency
        self._lease_s = lease_s
        self._max_attempts = max_attempts
        self._backoff = backoff
        self._poll_interval_s = poll_interval_s
        self._rng = rng or random.Random()
        self._wakeup = asyncio.Event()
        self._stopping = asyncio.Event()
        self._in_flight = 0

    def add_channel(self, channel: str, deliverer: Deliverer) -> None:
        """Deliver `channel`'s rows with `deliverer` (wired after the runtime exists)."""
        self._deliverers[channel] = deliverer

    def wake(self) -> None:
        self._wakeup.set()

    def stop(self) -> None:
        """Stop claiming; `run` returns once the deliveries under way have finished."""
        self._stopping.set()
        self._wakeup.set()

    async def run(self) -> None:
        async with asyncio.TaskGroup() as deliveries:
            while not self._stopping.is_set():
                free = self._concurrency - self._in_flight
                claimed = await self._claim(free) if free > 0 else []
                for delivery in claimed:
                    self._in_flight += 1
                    deliveries.create_task(self._deliver(delivery))
                if not claimed or free <= len(claimed):
                    await self._sleep()

    async def _sleep(self) -> None:
        try:
            async with asyncio.timeout(self._poll_interval_s):
                await self._wakeup.wait()
        except TimeoutError:
            pass
        self._wakeup.clear()

    async def _claim(self, limit: int) -> list[ClaimedDelivery]:
        try:
            async with self._pool.acquire() as con:
                return await Outbox(con).claim(limit, self._lease_s)
        except CONNECTION_ERRORS:
            log.warning("relay.claim_failed", exc_info=True)
            return []

    async def _deliver(self, delivery: ClaimedDelivery) -> None:
        try:
            with structlog.contextvars.bound_contextvars(
                lead=mask_phone(delivery.lead_key),
                correlation_id=delivery.correlation_id,
                outbox_id=delivery.id,
                attempt=delivery.attempt,
            ):
                await self._attempt(delivery)
        finally:
            self._in_flight -= 1
            self._wakeup.set()  # the lead's next row may be claimable now

    async def _attempt(self, delivery: ClaimedDelivery) -> None:
        if _opted_out_recipient(delivery):
            await self._settle(lambda outbox: outbox.suppress(delivery.id, reason="opted_out"))
            log.info("relay.suppressed_opted_out", channel=delivery.channel)
            return
        deliverer = self._deliverers.get(delivery.channel)
        try:
            if deliverer is None:
                raise PermanentDeliveryError("no_channel", delivery.channel)
            provider_id = await deliverer.deliver(delivery)
        except RetryableDeliveryError as error:
            await self._record_failure(delivery, error.code, error.detail, retryable=True)
        except PermanentDeliveryError as error:
            await self._record_failure(delivery, error.code, error.detail, retryable=False)
        except Exception as error:
            log.error("relay.deliverer_crashed", exc_info=True)
            await self._record_failure(delivery, "crash", type(error).__name__, retryable=True)
        else:
            if await self._settle(lambda outbox: outbox.mark_sent(delivery.id, provider_id)):
                log.info("relay.delivered", channel=delivery.channel)
            else:
                # The provider accepted it and we could not record that: the one window
                # in which a reply can go out twice (the lease will lapse and retry).
                log.warning("relay.sent_unrecorded", provider_message_id=provider_id)

    async def _record_failure(
        self, delivery: ClaimedDelivery, code: str, detail: str, *, retryable: bool
    ) -> None:
        if retryable and delivery.attempt < self._max_attempts:
            delay = self._backoff.delay(delivery.attempt, self._rng)
            await self._settle(
                lambda outbox: outbox.retry_later(
                    delivery.id, delay_s=delay, error_code=code, detail=detail
                )
            )
            log.warning("relay.retry_scheduled", error_code=code, delay_s=round(delay, 2))
            return
        await self._settle(
            lambda outbox: outbox.dead_letter(delivery.id, error_code=code, detail=detail)
        )
        log.error("relay.dead_lettered", error_code=code, detail=detail)

    async def _settle(self, write: Callable[[Outbox], Awaitable[None]]) -> bool:
        """Record an outcome; if the database is gone, the lease lapses and we retry."""
        try:
            async with self._pool.acquire() as con:
                await write(Outbox(con))
        except CONNECTION_ERRORS:
            log.warning("relay.record_failed", exc_info=True)
            return False
        return True
