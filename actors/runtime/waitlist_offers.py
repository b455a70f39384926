"""
The outbox's "waitlist" channel: a time a lead held or booked is free again
(`NotifyWaitlist`), and each WAITLISTED lead whose days cover it gets a turn of its own
(`SlotFreed`), where its actor decides whether to offer it (its session fits there now,
its 24 hours are open). Leads inside their 24 hours go first, each group in the order
they joined; the first tap holds the time (the appointments' exclusion constraint
decides, across replicas) and a later tap is told it has gone.

A retried row asks again: each lead's turn has the row's id in its inbox id, so a lead
is offered one freed time once.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, tzinfo

from actors.errors import ActorError, PermanentDeliveryError, RetryableDeliveryError
from actors.lead import NotifyWaitlist, state_from_json
from actors.outbox.deadline import Deadline
from actors.outbox.delivery import WINDOW, Delivery
from actors.runtime.inbound import Inbound
from actors.runtime.registry import ActorRuntime
from storage import Database, DatabaseUnavailable

__all__ = ["WaitlistOffers"]


class WaitlistOffers:
    """Tells the waitlisted leads of a freed time, each through its own actor."""

    def __init__(
        self,
        db: Database,
        runtime: ActorRuntime,
        zone: tzinfo,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        """`zone`: the studio's, whose days the leads' ranges name."""
        self._db = db
        self._runtime = runtime
        self._zone = zone
        self._now = now

    async def deliver(self, delivery: Delivery, deadline: Deadline) -> str | None:
        effect = delivery.effect
        if not isinstance(effect, NotifyWaitlist):
            raise PermanentDeliveryError("wrong_channel", type(effect).__name__)
        try:
            async with self._db.reads() as unit:
                waiting = await unit.waitlist.waiting()
        except DatabaseUnavailable as error:
            raise RetryableDeliveryError("database", str(error)) from error
        now = self._now()
        day = datetime.fromtimestamp(effect.starts_at, self._zone).date()
        ranked: list[tuple[bool, int, str]] = []
        for lead in waiting:
            state = state_from_json(lead.state)
            if state.waitlist is None or state.wa_id == delivery.claim.lead_key:
                continue
            first, last, joined = state.waitlist
            if not date.fromisoformat(first) <= day <= date.fromisoformat(last):
                continue
            outside = lead.last_inbound_at is None or now - lead.last_inbound_at >= WINDOW
            ranked.append((outside, joined, lead.lead_key))
        for _, _, key in sorted(ranked):
            deadline.check()
            inbound = Inbound.from_slot_freed(
                wa_id=key,
                starts_at=effect.starts_at,
                ends_at=effect.ends_at,
                outbox_id=delivery.claim.id,
                now=now,
                taken=effect.taken,
            )
            try:
                await self._runtime.ask(inbound)
            except ActorError as error:  # a retry asks again; done turns are not redone
                raise RetryableDeliveryError("turn_failed", type(error).__name__) from error
        return f"waitlist:{len(ranked)}"
