"""
What Meta charges the studio per message (STUDIO_FILE's optional `message_prices:`), and
what a lead's messages cost by it. Pure.

Meta prices each delivered message by its category (marketing, utility, authentication,
...) and says so on its statuses (`pricing`); the table gives the price of one billable
message of each category in the currency's major unit. A free type (free_customer_service,
free_entry_point) or a message Meta marks `billable: false` costs nothing, and so does a
category the table does not name.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal

__all__ = ["MessagePrices", "PricedCount"]


@dataclass(frozen=True)
class PricedCount:
    """How many messages Meta priced alike: category, type, and billable or not."""

    category: str
    type: str | None
    billable: bool | None
    count: int

    @property
    def free(self) -> bool:
        return self.billable is False or (self.type or "").startswith("free")


@dataclass(frozen=True)
class MessagePrices:
    currency: str  # ISO 4217, upper case
    by_category: Mapping[str, Decimal] = field(hash=False)

    def cost(self, counts: Iterable[PricedCount]) -> Decimal:
        """What these messages cost, in the currency's major unit."""
        total = Decimal(0)
        for priced in counts:
            if not priced.free:
                total += self.by_category.get(priced.category, Decimal(0)) * priced.count
        return total
