"""
The outbox relay: delivers committed effects to providers, after commit, with retry.

Claiming: any replica may claim (in a `db.relay()` unit); the outbox hands out only each lead's
oldest pending row, leased rather than row-locked, so a lead's second reply never
overtakes its first while different leads are delivered concurrently. We chose a
database claim over "the owning actor delivers" because it survives the owner dying:
a lapsed lease is picked up by whichever replica polls next.

A claim is also tied to the claiming process's own database session when it has one
(`storage.ClaimerSession`): when a replica dies, Postgres ends that session, and the
next replicas to poll take its rows over within seconds instead of a lease later. A
replica that is paused keeps its session, so its rows wait for their lease as before.
A replica whose session is lost connects again and re-ties the rows it works on
(`track`); one it could not re-tie, or while it cannot, it does not use (the `Deadline`
says so), since the row may be someone else's by now.

Waking: the local runtime calls `wake()` right after a commit that wrote effects. Rows
written by a process without relays (the web role), the studio page or a re-drive
NOTIFY `booking_outbox` on commit, and `storage.wakeups` hears it; a process with its
own relays sends no NOTIFY for its turns (Postgres serializes notifying commits on one
lock; migration 0014). Retries coming due, and anything a lost notification left, are
found by polling.

Outcomes, by what the deliverer raised:
    (nothing)                sent; the provider's id is recorded (and a failure Meta
                             reported before that is handed to `on_early_failure`)
    RetryableDeliveryError   retried after `Backoff` (durable: `next_attempt_at`), and
                             dead-lettered once `max_attempts` are spent
    PermanentDeliveryError   dead-lettered at once
    DeliverySuppressed       suppressed, with a warning event (not a failure)
    DeliveryDeferred         put back without spending the attempt (our own pacing)
Every dead letter writes an error event ("dead_letter") in the same transaction.

A process that was paused (SIGSTOP, a long GC, a VM migration) or cut off from the
database may hold a claim whose lease has lapsed and been claimed again. Two guards:
    before the call   the claim's lease, timed on the monotonic clock from when the
                      claim returned, is a `Deadline` the deliverer checks last thing
                      before its provider call and bounds the call by; past it nothing
                      is sent or written (`relay.lease_lapsed`): the lease lapses in the
                      database and the row is claimed again. Only a request already on
                      the wire when the pause began can still arrive (a crash window)
    when settling     every outcome write is fenced by the claim's attempt number
                      (`storage.outbox`); a stale claim's write changes nothing
                      (`relay.settle_fenced`)

Crash windows: a claim whose previous attempt left no record (the process died
mid-call, or could not record the provider's acceptance) or ended `uncertain` (timeout
or connection lost after sending) may send a second copy; it is logged as
`relay.possible_duplicate`. This is the one way a reply goes out twice. The sender
that could not record its acceptance (its claim taken over, or the database gone) also
writes a `possible_duplicate` warning event beside the row when it can.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence

import structlog

from actors.errors import (
    DeliveryDeferred,
    DeliverySuppressed,
    LeaseLapsed,
    PermanentDeliveryError,
    RetryableDeliveryError,
)
from actors.lead import UndecodableEffect, effect_from_json
from actors.outbox.backoff import Backoff
from actors.outbox.deadline import Deadline
from actors.outbox.delivery import Deliverer, Delivery, reaches_opted_out_lead
from actors.outbox.sent_records import SentRecords, Settled
from actors.runtime.faults import CrashPoint, CrashPoints
from actors.runtime.masking import mask_phone, mask_phones_in
from actors.runtime.observe import NullObserver, Observer
from actors.runtime.polling import Poller
from storage import (
    ClaimedDelivery,
    ClaimerSession,
    Database,
    DatabaseUnavailable,
    FailedDelivery,
    RelayUnit,
)

__all__ = ["Backoff", "OutboxRelay"]

log = structlog.get_logger("actors.outbox.relay")

_Write = Callable[[RelayUnit], Awaitable[bool]]  # True: the write applied
_EarlyFailureHook = Callable[[ClaimedDelivery, FailedDelivery], Awaitable[None]]
_GATHER_S = 0.005
_UNCERTAIN = "uncertain"  # delivery_attempts.outcome: failed after the request left us
# A claim is used only while we have held it for less than this share of its lease: the
# database started the lease a round trip before our clock did, and the call needs time.
_LEASE_USABLE = 0.9
_EVENT_TRIES = 3
_SESSION_WAIT_S = 0.05  # how often a relay looks whether its claims' session is up


def _possible_duplicate(claim: ClaimedDelivery) -> bool:
    """The previous attempt may have reached the provider without our knowing."""
    return claim.attempt > 1 and claim.previous_outcome in (None, _UNCERTAIN)


class OutboxRelay:
    def __init__(
        self,
        db: Database,
        deliverers: Mapping[str, Deliverer] | None = None,
        *,
        concurrency: int = 32,
        lease_s: float = 60.0,
        max_attempts: int = 8,
        backoff: Backoff = Backoff(),
        poll_interval_s: float = 1.0,
        observer: Observer | None = None,
        crash_points: CrashPoints | None = None,
        monotonic: Callable[[], float] = time.monotonic,
        channels: Sequence[str] | None = None,
        excluding: Sequence[str] = (),
        claimer: ClaimerSession | None = None,
    ) -> None:
        """
        Args:
            lease_s: how long a claim reserves its row; a claim held longer than
                `lease_s` less a tenth is not used.
            channels, excluding: which rows this relay claims: only `channels` (None:
                any channel) less `excluding`. A slow channel (Sheets) gets a relay and
                a concurrency of its own, so its calls never hold WhatsApp replies back.
            crash_points: where to die on purpose (tests only, `actors.runtime.faults`).
            monotonic: the clock that times how long a claim has been held.
            claimer: this process's session that vouches for its claims (None: every
                claim holds by its lease alone).
        """
        self._db = db
        self._deliverers = dict(deliverers or {})
        self._concurrency = concurrency
        self._lease_s = lease_s
        self._max_attempts = max_attempts
        self._backoff = backoff
        self._observer: Observer = observer or NullObserver()
        self._crash = crash_points or CrashPoints()
        self._monotonic = monotonic
        # Wake-ups come once per turn and once per finished delivery: gathered for a few
        # milliseconds, a burst costs one claim of many rows rather than many claims.
        self._poller = Poller(poll_interval_s, gather_s=_GATHER_S)
        self._sent = SentRecords(db)
        self._in_flight = 0
        self._channels = None if channels is None else list(channels)
        self._excluding = list(excluding)
        self._on_early_failure: _EarlyFailureHook | None = None
        self._claimer = claimer

    def add_channel(self, channel: str, deliverer: Deliverer) -> None:
        """Deliver `channel`'s rows with `deliverer` (wired after the runtime exists)."""
        self._deliverers[channel] = deliverer

    def on_early_failure(self, hook: _EarlyFailureHook) -> None:
        """Call `hook` for a send recorded after Meta had already reported it failed
        (wired after the runtime exists)."""
        self._on_early_failure = hook

    def wake(self) -> None:
        self._poller.wake()

    def stop(self) -> None:
        """Stop claiming; `run` returns once the deliveries under way have finished."""
        self._poller.stop()

    async def run(self) -> None:
        # Claim in batches: each claim scans the pending rows, so claiming one row per
        # finished delivery would make a backlog cost the database once per send.
        batch = max(1, self._concurrency // 4)
        crashed: Exception | None = None
        async with asyncio.TaskGroup() as deliveries:
            try:
                while not self._poller.stopping:
                    if self._claimer is not None and not self._claimer.ready:
                        # Claims made now would hold by their lease alone: a moment more.
                        await asyncio.sleep(_SESSION_WAIT_S)
                        continue
                    free = self._concurrency - self._in_flight
                    enough_room = free >= batch or self._in_flight == 0
                    claimed = await self._claim(free) if free > 0 and enough_room else []
                    if claimed:
                        claimed_at = self._monotonic()  # the leases are timed from here
                        self._crash.reached(CrashPoint.RELAY_CLAIMED)
                        for claim in claimed:
                            if self._claimer is not None:
                                self._claimer.track(claim)
                            self._in_flight += 1
                            deliveries.create_task(self._deliver(claim, claimed_at))
                    if not claimed or free <= len(claimed):
                        await self._poller.pause()
            except Exception as error:
                # Raised here, the group would cancel the calls under way (a provider may
                # have them): they finish and settle first, then the supervisor hears.
                crashed = error
        if crashed is not None:
            raise crashed

    async def _claim(self, limit: int) -> list[ClaimedDelivery]:
        try:
            async with self._db.relay() as unit:
                claimed = await unit.outbox.claim(
                    limit,
                    self._lease_s,
                    channels=self._channels,
                    excluding=self._excluding,
                    claimer=None if self._claimer is None else self._claimer.identity,
                )
                await unit.commit()
                return claimed
        except DatabaseUnavailable:
            log.warning("relay.claim_failed", exc_info=True)
            return []

    async def _deliver(self, claim: ClaimedDelivery, claimed_at: float) -> None:
        try:
            with structlog.contextvars.bound_contextvars(
                lead=mask_phone(claim.lead_key),
                correlation_id=claim.correlation_id,
                outbox_id=claim.id,
                attempt=claim.attempt,
            ):
                await self._attempt(claim, claimed_at)
        finally:
            if self._claimer is not None:
                self._claimer.untrack(claim)
            self._in_flight -= 1
            self._poller.wake()  # the lead's next row may be claimable now

    async def _attempt(self, claim: ClaimedDelivery, claimed_at: float) -> None:
        claimer = self._claimer
        deadline = Deadline(
            claimed_at + self._lease_s * _LEASE_USABLE,
            self._monotonic,
            (lambda: True) if claimer is None else (lambda: claimer.holds(claim)),
        )
        if deadline.remaining() <= 0:
            # Paused or starved since the claim: the row may be someone else's by now.
            self._lease_lapsed(claim, deadline)
            return
        if claimer is not None and not await claimer.vouches(claim):
            # Our session ended since the claim: another replica may have the row.
            self._lease_lapsed(claim, deadline, why="claim_unvouched")
            await self._give_back(claim)
            return
        try:
            delivery = Delivery(effect_from_json(claim.channel, claim.payload), claim)
        except UndecodableEffect as error:
            await self._dead_letter(claim, "undecodable", str(error), reason="permanent")
            return
        if reaches_opted_out_lead(delivery):
            settled = await self._settle(
                claim,
                "suppressed",
                lambda unit: unit.outbox.suppress(claim, reason="opted_out"),
            )
            if settled is not Settled.FENCED:
                self._observer.delivery_finished(claim.channel, "suppressed", "opted_out")
                log.info("relay.suppressed_opted_out", channel=claim.channel)
            return
        if _possible_duplicate(claim):
            log.warning(
                "relay.possible_duplicate",
                outbox_id=claim.id,  # also bound; named here so the line stands alone
                channel=claim.channel,
                previous_outcome=claim.previous_outcome or "unrecorded",
            )
        deliverer = self._deliverers.get(claim.channel)
        try:
            if deliverer is None:
                raise PermanentDeliveryError("no_channel", claim.channel)
            provider_id = await deliverer.deliver(delivery, deadline)
        except LeaseLapsed as error:
            self._lease_lapsed(claim, deadline, why=error.code)
            if error.code == "claim_unvouched":
                await self._give_back(claim)
        except RetryableDeliveryError as error:
            await self._retry_or_give_up(claim, error)
        except PermanentDeliveryError as error:
            await self._dead_letter(claim, error.code, error.detail, reason="permanent")
        except DeliverySuppressed as error:
            await self._suppress(claim, error)
        except DeliveryDeferred as error:
            delay = error.delay_s
            settled = await self._settle(
                claim, "deferred", lambda unit: unit.outbox.defer(claim, delay_s=delay)
            )
            if settled is not Settled.FENCED:
                self._observer.delivery_finished(claim.channel, "deferred", error.code)
                log.debug("relay.deferred", reason=error.code, delay_s=round(delay, 2))
        except Exception as error:
            log.error("relay.deliverer_crashed", exc_info=True)
            crash = RetryableDeliveryError("crash", type(error).__name__, uncertain=True)
            await self._retry_or_give_up(claim, crash)
        else:
            self._crash.reached(CrashPoint.RELAY_PROVIDER_ACCEPTED)
            self._observer.delivery_finished(claim.channel, "sent", None)
            sent = await self._sent.record(claim, provider_id)
            settled = self._reported(claim, "sent", sent.settled)
            if settled is Settled.RECORDED:
                log.info("relay.delivered", channel=claim.channel)
                if sent.early_failure is not None and self._on_early_failure is not None:
                    await self._on_early_failure(claim, sent.early_failure)
            else:
                # The provider accepted it and we could not record that: the one window
                # in which a reply can go out twice (the lease lapses, or lapsed, and
                # the row is claimed again).
                log.warning("relay.sent_unrecorded", provider_message_id=provider_id)
                await self._record_possible_duplicate(claim, settled)

    async def _record_possible_duplicate(self, claim: ClaimedDelivery, settled: Settled) -> None:
        """The provider has (or may have) the message and the row does not say so:
        another claim took it over while our request was already past its lease check
        (FENCED), or the database went away before we could record it (FAILED), and the
        row will be sent again. Kept as a warning event beside the row, so the admin view
        shows it; the database may just be coming back, so a few tries."""
        why = (
            "sent after the claim was taken over"
            if settled is Settled.FENCED
            else "sent, then the database was unreachable"
        )
        for attempt in range(1, _EVENT_TRIES + 1):
            try:
                async with self._db.relay() as unit:
                    await unit.events.add(
                        "warn",
                        "possible_duplicate",
                        lead_key=claim.lead_key,
                        correlation_id=claim.correlation_id,
                        detail={
                            "outbox_id": claim.id,
                            "channel": claim.channel,
                            "attempt": claim.attempt,
                            "why": why,
                        },
                    )
                    await unit.commit()
                return
            except DatabaseUnavailable:
                if attempt == _EVENT_TRIES:
                    log.warning("relay.record_failed", outcome="possible_duplicate")
                    return
                await asyncio.sleep(0.2 * attempt)

    def _lease_lapsed(
        self, claim: ClaimedDelivery, deadline: Deadline, *, why: str = "lease_lapsed"
    ) -> None:
        """Send nothing and write nothing: the lease lapses (or the claimer's session
        has ended) and another claim retries."""
        log.warning(
            "relay.lease_lapsed",
            outbox_id=claim.id,  # also bound; named here so the line stands alone
            why=why,
            attempt=claim.attempt,
            past_s=round(-deadline.remaining(), 3),
            lease_s=self._lease_s,
        )

    async def _give_back(self, claim: ClaimedDelivery) -> None:
        """Nothing was sent: put the row back at once, unless another claim has it (the
        write is fenced), rather than leave it tied to a session that may live on."""
        await self._settle(claim, "given_back", lambda unit: unit.outbox.defer(claim, delay_s=0.0))

    async def _retry_or_give_up(
        self, claim: ClaimedDelivery, error: RetryableDeliveryError
    ) -> None:
        if claim.attempt >= self._max_attempts:
            await self._dead_letter(claim, error.code, error.detail, reason="max_attempts")
            return
        delay = self._backoff.delay(claim.attempt)
        outcome = _UNCERTAIN if error.uncertain else "retry"
        detail = mask_phones_in(error.detail)
        settled = await self._settle(
            claim,
            outcome,
            lambda unit: unit.outbox.retry_later(
                claim,
                delay_s=delay,
                error_code=error.code,
                detail=detail,
                outcome=outcome,
            ),
        )
        if error.uncertain and settled is not Settled.RECORDED:
            # The request may have reached the provider, and no record says it might.
            await self._record_possible_duplicate(claim, settled)
        if settled is Settled.FENCED:
            return
        self._observer.delivery_finished(claim.channel, "retry", error.code)
        log.warning(
            "relay.retry_scheduled",
            channel=claim.channel,
            error_code=error.code,
            reason=detail[:200],
            outcome=outcome,
            delay_s=round(delay, 3),
        )

    async def _dead_letter(
        self, claim: ClaimedDelivery, code: str, detail: str, *, reason: str
    ) -> None:
        """Give up on the row, with an error event the admin view shows beside it."""
        detail = mask_phones_in(detail)

        async def write(unit: RelayUnit) -> bool:
            if not await unit.outbox.dead_letter(claim, error_code=code, detail=detail):
                return False
            await unit.events.add(
                "error",
                "dead_letter",
                lead_key=claim.lead_key,
                correlation_id=claim.correlation_id,
                detail={
                    "outbox_id": claim.id,
                    "channel": claim.channel,
                    "error_code": code,
                    "error": detail,
                    "reason": reason,
                    "attempts": claim.attempt,
                },
            )
            return True

        if await self._settle(claim, "dead", write) is Settled.FENCED:
            return
        self._observer.delivery_finished(claim.channel, "dead", code)
        log.error(
            "relay.dead_lettered",
            outbox_id=claim.id,
            channel=claim.channel,
            error_code=code,
            reason=reason,
            detail=detail,
        )

    async def _suppress(self, claim: ClaimedDelivery, error: DeliverySuppressed) -> None:
        detail = mask_phones_in(error.detail)

        async def write(unit: RelayUnit) -> bool:
            if not await unit.outbox.suppress(claim, reason=error.code):
                return False
            await unit.events.add(
                "warn",
                error.code,
                lead_key=claim.lead_key,
                correlation_id=claim.correlation_id,
                detail={"outbox_id": claim.id, "channel": claim.channel, "why": detail},
            )
            return True

        if await self._settle(claim, "suppressed", write) is Settled.FENCED:
            return
        self._observer.delivery_finished(claim.channel, "suppressed", error.code)
        log.warning("relay.suppressed", channel=claim.channel, reason=error.code, why=detail)

    async def _settle(self, claim: ClaimedDelivery, outcome: str, write: _Write) -> Settled:
        """
        Record `outcome` in one transaction. If the database is gone, the lease lapses
        and the row is claimed again; if our claim no longer holds the row (it lapsed
        and another claim took it over), the write is fenced off and changes nothing.
        """
        try:
            async with self._db.relay() as unit:
                applied = await write(unit)
                await unit.commit()
        except DatabaseUnavailable:
            log.warning("relay.record_failed", outcome=outcome, exc_info=True)
            return Settled.FAILED
        return self._reported(claim, outcome, Settled.RECORDED if applied else Settled.FENCED)

    def _reported(self, claim: ClaimedDelivery, outcome: str, settled: Settled) -> Settled:
        if settled is Settled.FAILED:
            log.warning("relay.record_failed", outcome=outcome)
        elif settled is Settled.FENCED:
            # Also bound; named here so the line stands alone.
            log.warning(
                "relay.settle_fenced",
                outbox_id=claim.id,
                attempt=claim.attempt,
                outcome=outcome,
            )
        return settled
