"""Stripe: Checkout links, refunds, and which lead an event belongs to."""

from __future__ import annotations

__all__: list[str] = []
