"""
What the messages to leads cost, for the studio page: Meta's pricing of each message by
category and type on a lead's page, and, with STUDIO_FILE's price table, each lead's
cost on the board and the cost per booking of the leads that came in lately, written in
the table's currency as the studio's locale writes money (Babel).

Only messages to the lead count (not the forwards to the artist about it).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from uuid import UUID

from babel.numbers import format_currency

from actors.lead import Message, Status, UndecodableEffect, effect_from_json
from actors.queries.page_views import Spend
from actors.schedule import MessagePrices, PricedCount
from storage import LeadFile, ReadUnit
from storage.studio_board import BoardRow

__all__ = ["SPEND_DAYS", "MessageCosts"]

SPEND_DAYS = 30  # the cost per booking counts the leads that came in this many days ago
# The statuses that count as a booking for the cost per booking.
_BOOKINGS = (Status.BOOKED.value, Status.DONE.value, Status.NO_SHOW.value)


@dataclass(frozen=True)
class MessageCosts:
    prices: MessagePrices | None  # STUDIO_FILE's `message_prices:`; None: counts only
    locale: str
    now: Callable[[], datetime]  # the service's clock

    async def board(
        self, unit: ReadUnit, rows: list[BoardRow]
    ) -> tuple[dict[UUID, str], Spend | None]:
        """With the price table: what each lead's messages cost, and the cost per
        booking of the leads of the last SPEND_DAYS days; without it, nothing."""
        prices = self.prices
        if prices is None:
            return {}, None
        by_lead: dict[str, list[PricedCount]] = {}
        for found in await unit.costs.of_leads([row.lead_key for row in rows]):
            counted = PricedCount(found.category, found.type, found.billable, found.count)
            by_lead.setdefault(found.lead_key, []).append(counted)
        costs = {
            row.lead_id: self._money(prices, prices.cost(by_lead.get(row.lead_key, ())))
            for row in rows
        }
        recent = await unit.costs.since(self.now() - timedelta(days=SPEND_DAYS), _BOOKINGS)
        total = prices.cost(PricedCount(*counted) for counted in recent.counts)
        per_booking = self._money(prices, total / recent.bookings) if recent.bookings else None
        return costs, Spend(SPEND_DAYS, self._money(prices, total), recent.bookings, per_booking)

    def of_lead(self, lead_file: LeadFile) -> tuple[tuple[tuple[str, str, int], ...], str | None]:
        """The lead's priced messages as (category, type, how many), and, with the price
        table, what they cost."""
        priced = _priced(lead_file)
        grouped: dict[tuple[str, str], int] = {}
        for counted in priced:
            key = (counted.category, counted.type or "-")
            grouped[key] = grouped.get(key, 0) + counted.count
        shown = tuple((category, kind, n) for (category, kind), n in sorted(grouped.items()))
        prices = self.prices
        return shown, None if prices is None else self._money(prices, prices.cost(priced))

    def _money(self, prices: MessagePrices, amount: Decimal) -> str:
        return str(format_currency(amount, prices.currency, locale=self.locale))


def _priced(lead_file: LeadFile) -> list[PricedCount]:
    """Each of our messages to the lead that Meta priced, one count each."""
    lead_key = lead_file.lead.lead_key
    priced = []
    for row in lead_file.outbox:
        if row.pricing_category is None:
            continue
        try:
            effect = effect_from_json(row.channel, row.payload)
        except UndecodableEffect:
            continue
        if isinstance(effect, Message) and effect.to == lead_key:
            priced.append(
                PricedCount(row.pricing_category, row.pricing_type, row.pricing_billable, 1)
            )
    return priced
