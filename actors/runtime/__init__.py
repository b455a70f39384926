"""The actor engine: a task per actor, a turn per message, timers, the loops' supervision."""

from __future__ import annotations

from actors.runtime.clock import Clock, SystemClock
from actors.runtime.database_setup import (
    DEFAULT_DATA_DIR,
    DatabaseNotReady,
    check_database,
    usable_database,
    where,
)
from actors.runtime.faults import CRASH_EXIT_CODE, CrashPoint, CrashPoints
from actors.runtime.inbound import Inbound
from actors.runtime.masking import mask_phone, mask_phones_in
from actors.runtime.message_ids import (
    contact_message_id,
    echo_message_id,
    preference_message_id,
    stripe_event_message_id,
    whatsapp_message_id,
)
from actors.runtime.observe import DeliveryOutcome, NullObserver, Observer
from actors.runtime.registry import ActorInfo, ActorRuntime
from actors.runtime.rejections import Rejections
from actors.runtime.supervisor import Supervisor
from actors.runtime.timers import TimerScheduler
from actors.runtime.turn import TurnOutcome
from actors.runtime.waitlist_offers import WaitlistOffers

__all__ = [
    "CRASH_EXIT_CODE",
    "DEFAULT_DATA_DIR",
    "ActorInfo",
    "ActorRuntime",
    "Clock",
    "CrashPoint",
    "CrashPoints",
    "DatabaseNotReady",
    "DeliveryOutcome",
    "Inbound",
    "NullObserver",
    "Observer",
    "Rejections",
    "Supervisor",
    "SystemClock",
    "TimerScheduler",
    "TurnOutcome",
    "WaitlistOffers",
    "check_database",
    "contact_message_id",
    "echo_message_id",
    "mask_phone",
    "mask_phones_in",
    "preference_message_id",
    "stripe_event_message_id",
    "usable_database",
    "whatsapp_message_id",
    "where",
]
