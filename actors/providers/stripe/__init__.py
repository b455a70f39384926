"""Stripe: Checkout links, refunds, and which lead an event belongs to."""

from __future__ import annotations

from actors.providers.stripe.payments import PaymentRef, PaymentRouting, RoutedLead

__all__ = ["PaymentRef", "PaymentRouting", "RoutedLead"]
