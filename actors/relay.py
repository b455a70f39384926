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

Outcomes, by what the deliverer raised:
    (nothing)                sent; the provider's id is recorded
    RetryableDeliveryError   retried after `Backoff` (durable: `next_attempt_at`), and
                             dead-lettered once `max_attempts` are spent
    PermanentDeliveryError   dead-lettered at once
    DeliverySuppressed       suppressed, with a warning event (not a failure)
    DeliveryDeferred         put back without spending the attempt (our own pacing)
Every dead letter writes an error event ("dead_letter") in the same transaction.

Crash windows: a claim whose previous attempt left no record (the process died
mid-call, or could not record the provider's acceptance) or ended `uncertain` (timeout
or connection lost after sending) may send a second copy; it is logged as
`relay.possible_duplicate`. This is the one way a reply goes out twice.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Protocol

import structlog
import tenacity

from actors.errors import (
    DeliveryDeferred,
    DeliverySuppressed,
    PermanentDeliveryError,
    RetryableDeliveryError,
)
from actors.masking import mask_phone, mask_phones_in
from actors.observe import NullObserver, Observer
from actors.polling import Poller
from storage import CONNECTION_ERRORS, ClaimedDelivery, Outbox, Pool
from storage.events import SystemEvents

__all__ = ["Backoff", "Deliverer", "OutboxRelay"]

log = structlog.get_logger("actors.relay")

_Write = Callable[[Outbox, SystemEvents], Awaitable[None]]
_UNCERTAIN = "uncertain"  # delivery_attempts.outcome: failed after the request left us
_RETRYING = tenacity.AsyncRetrying()  # only so a RetryCallState can exist; never run


class Deliverer(Protocol):
    async def deliver(self, delivery: ClaimedDelivery) -> str | None:
        """Deliver one effect; return the provider's message id, raise a DeliveryError."""
        ...


@dataclass(frozen=True)
class Backoff:
    """
    The delay before attempt n + 1, by tenacity's `wait_exponential_jitter`:
    min(base_s * 2 ** (n - 1) + uniform(0, jitter_s), cap_s).

    Retries are durable (the delay becomes the row's `next_attempt_at`), so tenacity only
    computes the delay; a real `RetryCallState` carries the attempt number to it. At the
    cap the jitter is clipped away; rows that failed at different times stay spread.
    """

    base_s: float = 1.0
    cap_s: float = 300.0
    jitter_s: float = 1.0
    _wait: tenacity.wait.wait_exponential_jitter = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # `multiplier` is what tenacity 9.2 calls the first delay (it deprecated `initial`).
        wait = tenacity.wait_exponential_jitter(
            multiplier=self.base_s, max=self.cap_s, jitter=self.jitter_s
        )
        object.__setattr__(self, "_wait", wait)

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt `attempt` (1-based)."""
        state = tenacity.RetryCallState(_RETRYING, fn=None, args=(), kwargs={})
        state.attempt_number = attempt
        return float(self._wait(state))


def _opted_out_recipient(delivery: ClaimedDelivery) -> bool:
    """Nothing reaches an opted-out lead but the confirmation of the opt-out itself."""
    return (
        delivery.channel == "whatsapp"
        and delivery.lead_status == "OPTOUT"
        and delivery.payload.get("to") == delivery.lead_key
        and not delivery.payload.get("after_opt_out", False)
    )


def _possible_duplicate(delivery: ClaimedDelivery) -> bool:
    """The previous attempt may have reached the provider without our knowing."""
    return delivery.attempt > 1 and delivery.previous_outcome in (None, _UNCERTAIN)


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
        observer: Observer | None = None,
    ) -> None:
        self._pool = pool
        self._deliverers = dict(deliverers or {})
        self._concurrency = concurrency
        self._lease_s = lease_s
        self._max_attempts = max_attempts
        self._backoff = backoff
        self._observer: Observer = observer or NullObserver()
        self._poller = Poller(poll_interval_s)
        self._in_flight = 0

    def add_channel(self, channel: str, deliverer: Deliverer) -> None:
        """Deliver `channel`'s rows with `deliverer` (wired after the runtime exists)."""
        self._deliverers[channel] = deliverer

    def wake(self) -> None:
        self._poller.wake()

    def stop(self) -> None:
        """Stop claiming; `run` returns once the deliveries under way have finished."""
        self._poller.stop()

    async def run(self) -> None:
        # Claim in batches: each claim scans the pending rows, so claiming one row per
        # finished delivery would make a backlog cost the database once per send.
        batch = max(1, self._concurrency // 4)
        async with asyncio.TaskGroup() as deliveries:
            while not self._poller.stopping:
                free = self._concurrency - self._in_flight
                enough_room = free >= batch or self._in_flight == 0
                claimed = await self._claim(free) if free > 0 and enough_room else []
                for delivery in claimed:
                    self._in_flight += 1
                    deliveries.create_task(self._deliver(delivery))
                if not claimed or free <= len(claimed):
                    await self._poller.pause()

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
            self._poller.wake()  # the lead's next row may be claimable now

    async def _attempt(self, delivery: ClaimedDelivery) -> None:
        if _opted_out_recipient(delivery):
            await self._settle(lambda outbox, _: outbox.suppress(delivery.id, reason="opted_out"))
            self._observer.delivery_finished(delivery.channel, "suppressed", "opted_out")
            log.info("relay.suppressed_opted_out", channel=delivery.channel)
            return
        if _possible_duplicate(delivery):
            log.warning(
                "relay.possible_duplicate",
                outbox_id=delivery.id,  # also bound; named here so the line stands alone
                channel=delivery.channel,
                previous_outcome=delivery.previous_outcome or "unrecorded",
            )
        deliverer = self._deliverers.get(delivery.channel)
        try:
            if deliverer is None:
                raise PermanentDeliveryError("no_channel", delivery.channel)
            provider_id = await deliverer.deliver(delivery)
        except RetryableDeliveryError as error:
            await self._retry_or_give_up(delivery, error)
        except PermanentDeliveryError as error:
            await self._dead_letter(delivery, error.code, error.detail, reason="permanent")
        except DeliverySuppressed as error:
            await self._suppress(delivery, error)
        except DeliveryDeferred as error:
            delay = error.delay_s
            await self._settle(lambda outbox, _: outbox.defer(delivery.id, delay_s=delay))
            self._observer.delivery_finished(delivery.channel, "deferred", error.code)
            log.debug("relay.deferred", reason=error.code, delay_s=round(delay, 2))
        except Exception as error:
            log.error("relay.deliverer_crashed", exc_info=True)
            crash = RetryableDeliveryError("crash", type(error).__name__, uncertain=True)
            await self._retry_or_give_up(delivery, crash)
        else:
            self._observer.delivery_finished(delivery.channel, "sent", None)
            if await self._settle(lambda outbox, _: outbox.mark_sent(delivery.id, provider_id)):
                log.info("relay.delivered", channel=delivery.channel)
            else:
                # The provider accepted it and we could not record that: the one window
                # in which a reply can go out twice (the lease will lapse and retry).
                log.warning("relay.sent_unrecorded", provider_message_id=provider_id)

    async def _retry_or_give_up(
        self, delivery: ClaimedDelivery, error: RetryableDeliveryError
    ) -> None:
        if delivery.attempt >= self._max_attempts:
            await self._dead_letter(delivery, error.code, error.detail, reason="max_attempts")
            return
        delay = self._backoff.delay(delivery.attempt)
        outcome = _UNCERTAIN if error.uncertain else "retry"
        await self._settle(
            lambda outbox, _: outbox.retry_later(
                delivery.id,
                delay_s=delay,
                error_code=error.code,
                detail=mask_phones_in(error.detail),
                outcome=outcome,
            )
        )
        self._observer.delivery_finished(delivery.channel, "retry", error.code)
        log.warning(
            "relay.retry_scheduled", error_code=error.code, outcome=outcome, delay_s=round(delay, 3)
        )

    async def _dead_letter(
        self, delivery: ClaimedDelivery, code: str, detail: str, *, reason: str
    ) -> None:
        """Give up on the row, with an error event the admin view shows beside it."""
        detail = mask_phones_in(detail)

        async def write(outbox: Outbox, events: SystemEvents) -> None:
            await outbox.dead_letter(delivery.id, error_code=code, detail=detail)
            await events.add(
                "error",
                "dead_letter",
                lead_key=delivery.lead_key,
                correlation_id=delivery.correlation_id,
                detail={
                    "outbox_id": delivery.id,
                    "channel": delivery.channel,
                    "error_code": code,
                    "error": detail,
                    "reason": reason,
                    "attempts": delivery.attempt,
                },
            )

        await self._settle(write)
        self._observer.delivery_finished(delivery.channel, "dead", code)
        log.error(
            "relay.dead_lettered",
            outbox_id=delivery.id,
            channel=delivery.channel,
            error_code=code,
            reason=reason,
            detail=detail,
        )

    async def _suppress(self, delivery: ClaimedDelivery, error: DeliverySuppressed) -> None:
        detail = mask_phones_in(error.detail)

        async def write(outbox: Outbox, events: SystemEvents) -> None:
            await outbox.suppress(delivery.id, reason=error.code)
            await events.add(
                "warn",
                error.code,
                lead_key=delivery.lead_key,
                correlation_id=delivery.correlation_id,
                detail={"outbox_id": delivery.id, "channel": delivery.channel, "why": detail},
            )

        await self._settle(write)
        self._observer.delivery_finished(delivery.channel, "suppressed", error.code)
        log.warning("relay.suppressed", channel=delivery.channel, reason=error.code, why=detail)

    async def _settle(self, write: _Write) -> bool:
        """
        Record an outcome in one transaction; if the database is gone, the lease lapses
        and the row is claimed again.
        """
        try:
            async with self._pool.acquire() as con, con.transaction():
                await write(Outbox(con), SystemEvents(con))
        except CONNECTION_ERRORS:
            log.warning("relay.record_failed", exc_info=True)
            return False
        return True
