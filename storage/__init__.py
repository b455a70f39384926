"""Postgres persistence: pool, migrations, the unit of work and its repositories."""

from __future__ import annotations

from storage.embedded import DEFAULT_DATA_DIR, embedded_postgres
from storage.errors import DatabaseUnavailable, MigrationError, StaleSnapshot, StorageError
from storage.leads import LeadRecord, Leads
from storage.locks import lock_key
from storage.migrate import migrate, pending_count
from storage.outbox import ClaimedDelivery, Outbox
from storage.pool import Pool, open_pool
from storage.preflight import DatabaseNotReady, check_database
from storage.timers import DueTimer, Timers
from storage.turns import (
    AnswerInsert,
    DepositSessionInsert,
    OutboxInsert,
    PaymentIntentLink,
    SnapshotRead,
    SystemEventInsert,
    TimerChange,
    TurnStart,
    TurnWrite,
)
from storage.uow import CONNECTION_ERRORS, UnitOfWork

__all__ = [
    "CONNECTION_ERRORS",
    "DEFAULT_DATA_DIR",
    "AnswerInsert",
    "ClaimedDelivery",
    "DatabaseNotReady",
    "DatabaseUnavailable",
    "DepositSessionInsert",
    "DueTimer",
    "LeadRecord",
    "Leads",
    "MigrationError",
    "Outbox",
    "OutboxInsert",
    "PaymentIntentLink",
    "Pool",
    "SnapshotRead",
    "StaleSnapshot",
    "StorageError",
    "SystemEventInsert",
    "TimerChange",
    "Timers",
    "TurnStart",
    "TurnWrite",
    "UnitOfWork",
    "check_database",
    "embedded_postgres",
    "lock_key",
    "migrate",
    "open_pool",
    "pending_count",
]
