"""
The studio's policy (STUDIO_FILE's `policy:`), as data: what the behaviour acts on and
what the copy's sentences about the rules are made from. One value, read in both places,
so the words and the behaviour cannot disagree.

The defaults are today's behaviour without STUDIO_FILE: the usual deposit
(DEPOSIT_AMOUNT_MINOR), never refunded when the lead cancels (in full when the artist
does), no moves, a no-show keeps it, one deposit for a piece, no drawing fee.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

__all__ = ["DepositRule", "NoShowRule", "RescheduleRule", "StudioPolicy"]


@dataclass(frozen=True)
class DepositRule:
    """`policy.deposit`: amounts in the studio's currency's minor units."""

    amount: int | None = None  # None: DEPOSIT_AMOUNT_MINOR
    percent_of_quote: int | None = None  # 1-100: with a quote, the deposit is this share
    minimum: int | None = None  # a percent deposit is at least this

    def of_quote(self, quote: int) -> int | None:
        """The deposit a quote sets (half up to the minor unit); None: no percent rule."""
        if self.percent_of_quote is None:
            return None
        share = (Decimal(quote) * self.percent_of_quote / 100).quantize(
            Decimal(1), rounding=ROUND_HALF_UP
        )
        return max(int(share), self.minimum or 0, 1)


@dataclass(frozen=True)
class RescheduleRule:
    """`policy.reschedule`: how many moves, until how long before the start."""

    max: int = 0
    notice_hours: int = 0


@dataclass(frozen=True)
class NoShowRule:
    """`policy.no_show`: whether a no-show keeps the deposit, and how late counts as one."""

    keeps_deposit: bool = True
    late_minutes: int | None = None  # None: not said


@dataclass(frozen=True)
class StudioPolicy:
    """The studio's rules about money and moves (see the module's docstring)."""

    deposit: DepositRule = field(default_factory=DepositRule)
    refundable_until_hours: int | None = None  # None: a lead's cancellation never refunds
    reschedule: RescheduleRule = field(default_factory=RescheduleRule)
    no_show: NoShowRule = field(default_factory=NoShowRule)
    deposit_each_session: bool = False  # False: one deposit held across a piece's sessions
    drawing_fee: int | None = None  # minor units; its own Checkout line, never refunded

    def refunds_cancellation(self, notice_s: float) -> bool:
        """Whether a lead's cancellation `notice_s` seconds before the start is refunded."""
        hours = self.refundable_until_hours
        return hours is not None and notice_s >= hours * 3600

    def allows_move(self, moves_made: int, notice_s: float) -> bool:
        """Whether the lead may move their appointment once more, `notice_s` before it."""
        rule = self.reschedule
        return moves_made < rule.max and notice_s >= rule.notice_hours * 3600
