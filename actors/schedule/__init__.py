"""Appointments: the studio's hours and policies, and the free slots they leave. Pure."""

from __future__ import annotations

from actors.schedule.message_prices import MessagePrices, PricedCount
from actors.schedule.policy import DepositRule, NoShowRule, RescheduleRule, StudioPolicy
from actors.schedule.slots import Interval, Offer, is_free, offer
from actors.schedule.studio_file import WEEKDAYS, Opening, SessionPreset, StudioFile

__all__ = [
    "WEEKDAYS",
    "DepositRule",
    "Interval",
    "MessagePrices",
    "NoShowRule",
    "Offer",
    "Opening",
    "PricedCount",
    "RescheduleRule",
    "SessionPreset",
    "StudioFile",
    "StudioPolicy",
    "is_free",
    "offer",
]
