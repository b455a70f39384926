"""Adapters to the world outside: WhatsApp (Graph API), Stripe, Google Sheets, calendars."""

from __future__ import annotations

__all__: list[str] = []
