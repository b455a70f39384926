"""
The actors: one door for every command (`Actors.handle`), the reads the web shows
(`Queries`), and the engine behind them.

    actors.commands    the commands and their handlers (the one door)
    actors.queries     the reads: the studio page, the admin API, feeds, metrics
    actors.lead        the lead's behaviour: pure (state, event) -> (state, effects)
    actors.artist      the artist's behaviour, pure too
    actors.runtime     the actor engine: a task per actor, a turn per message, timers
    actors.outbox      delivery after commit, with retry
    actors.providers   WhatsApp, Stripe, Google Sheets, calendars
    actors.copy        the copy file: every word a lead or the artist reads
    actors.schedule    the studio file's hours, and the free slots they leave
    actors.page        who may open the studio page
"""

from __future__ import annotations

from actors.commands import Actors
from actors.copy import Composer, CopyError, load_copy, script_from
from actors.errors import (
    ActorError,
    DatabaseUnavailable,
    DeliveryError,
    MailboxFull,
    PermanentDeliveryError,
    RetryableDeliveryError,
    RuntimeClosed,
    TurnFailed,
)
from actors.outbox import Backoff, Deliverer, Delivery, OutboxRelay
from actors.providers.whatsapp.sender import WhatsAppSender
from actors.queries import Queries
from actors.runtime import ActorInfo, ActorRuntime, Inbound, TurnOutcome

__all__ = [
    "ActorError",
    "ActorInfo",
    "ActorRuntime",
    "Actors",
    "Backoff",
    "Composer",
    "CopyError",
    "DatabaseUnavailable",
    "Deliverer",
    "Delivery",
    "DeliveryError",
    "Inbound",
    "MailboxFull",
    "OutboxRelay",
    "PermanentDeliveryError",
    "Queries",
    "RetryableDeliveryError",
    "RuntimeClosed",
    "TurnFailed",
    "TurnOutcome",
    "WhatsAppSender",
    "load_copy",
    "script_from",
]
