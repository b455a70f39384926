"""
Meta's delivery reports (`statuses[]`), kept and applied to the outbox rows they name.

Every report is kept once in `message_statuses` (a redelivered webhook inserts nothing),
then the outbox row with that provider message id moves to the highest state reported
so far, never back (`delivery_rank` in migration 0007: sent < delivered < read <
failed). A report that arrives before our record of the send is kept all the same; the
trigger on `outbox.provider_message_id` applies it when the send is recorded. A report's
`pricing` is kept once per message (`message_pricing`, migration 0020): the first report
that carries it wins, and only the statement that inserted it hands it back, so a message
is counted once however many reports and replicas carry its price. Both
sides take a transaction-level lock on the message's id first, so a report and its send
committing at the same moment cannot miss each other. The statements run in the
caller's unit, so the webhook is answered after one commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import asyncpg

__all__ = [
    "DeliveryStatuses",
    "FailedDelivery",
    "KeptStatuses",
    "Pricing",
    "SentMessageRef",
    "StatusReport",
]

# In a stable order, so two batches never wait on each other's locks in a cycle.
_LOCK = """
SELECT lock_provider_message(id)
FROM (SELECT DISTINCT id FROM unnest($1::text[]) AS id ORDER BY id) AS ids
"""

_KEEP = """
INSERT INTO message_statuses (provider_message_id, state, error_code, recipient, reported_at)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::timestamptz[])
ON CONFLICT DO NOTHING
"""

_APPLY = """
UPDATE outbox AS o
SET delivery_state = s.state, delivery_error = COALESCE(s.error_code, o.delivery_error)
FROM (
    SELECT DISTINCT ON (provider_message_id) provider_message_id, state, error_code
    FROM message_statuses
    WHERE provider_message_id = ANY($1::text[])
    ORDER BY provider_message_id, delivery_rank(state) DESC
) AS s
WHERE o.provider_message_id = s.provider_message_id
  AND delivery_rank(s.state) > delivery_rank(o.delivery_state)
"""

_PRICE = """
INSERT INTO message_pricing (provider_message_id, category, pricing_type, pricing_model, billable)
SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::boolean[])
ON CONFLICT DO NOTHING
RETURNING category, pricing_type, pricing_model, billable
"""

_FAILED = """
SELECT id AS outbox_id, lead_key, payload, provider_message_id, delivery_error AS error_code
FROM outbox
WHERE provider_message_id = ANY($1::text[]) AND delivery_state = 'failed'
ORDER BY id
"""

_SENT = """
SELECT provider_message_id, id, lead_key, copy_key AS key
FROM outbox_copy_keys
WHERE provider_message_id = ANY($1::text[])
"""


@dataclass(frozen=True)
class SentMessageRef:
    """One of our messages, found by Meta's id: its row, its lead, its copy key."""

    outbox_id: int
    lead_key: str
    key: str | None


@dataclass(frozen=True)
class Pricing:
    """What Meta says a message costs: its category (marketing, utility, authentication,
    service...), its type (regular, free_customer_service, free_entry_point), the pricing
    model (PMP, CBP) and whether it is billable."""

    category: str
    type: str | None = None
    pricing_model: str | None = None
    billable: bool | None = None


@dataclass(frozen=True)
class StatusReport:
    provider_message_id: str
    state: str  # sent | delivered | read | failed
    error_code: str | None
    recipient: str | None
    reported_at: datetime | None
    pricing: Pricing | None = None


@dataclass(frozen=True)
class KeptStatuses:
    """What keeping a webhook's reports did: the rows that failed, and the prices kept
    for the first time (each message's once, ever)."""

    failed: list[FailedDelivery]
    priced: list[Pricing]


@dataclass(frozen=True)
class FailedDelivery:
    """An outbox row Meta reported as failed: what it carried and why it failed."""

    outbox_id: int
    lead_key: str
    payload: dict[str, Any]
    provider_message_id: str
    error_code: str | None


class DeliveryStatuses:
    def __init__(self, con: asyncpg.Connection) -> None:
        self._con = con

    async def record(self, reports: Sequence[StatusReport]) -> KeptStatuses:
        """Keep and apply `reports`: the known rows among them that failed, and the
        prices kept for the first time."""
        ids = [r.provider_message_id for r in reports]
        await self._con.execute(_LOCK, ids)
        await self._con.execute(
            _KEEP,
            ids,
            [r.state for r in reports],
            [r.error_code for r in reports],
            [r.recipient for r in reports],
            [r.reported_at for r in reports],
        )
        await self._con.execute(_APPLY, ids)
        priced = await self._priced(reports)
        return KeptStatuses(await self.failed(ids), priced)

    async def _priced(self, reports: Sequence[StatusReport]) -> list[Pricing]:
        first: dict[str, Pricing] = {}
        for report in reports:
            if report.pricing is not None:
                first.setdefault(report.provider_message_id, report.pricing)
        if not first:
            return []
        rows = await self._con.fetch(
            _PRICE,
            list(first),
            [p.category for p in first.values()],
            [p.type for p in first.values()],
            [p.pricing_model for p in first.values()],
            [p.billable for p in first.values()],
        )
        return [
            Pricing(r["category"], r["pricing_type"], r["pricing_model"], r["billable"])
            for r in rows
        ]

    async def sent(self, provider_message_ids: Sequence[str]) -> dict[str, SentMessageRef]:
        """Our messages among `provider_message_ids` (a reply's context, a reaction's)."""
        rows = await self._con.fetch(_SENT, list(provider_message_ids))
        return {
            r["provider_message_id"]: SentMessageRef(r["id"], r["lead_key"], r["key"]) for r in rows
        }

    async def failed(self, provider_message_ids: Sequence[str]) -> list[FailedDelivery]:
        """The rows among `provider_message_ids` whose delivery failed."""
        rows = await self._con.fetch(_FAILED, list(provider_message_ids))
        return [FailedDelivery(**dict(r)) for r in rows]
