"""
Postgres persistence behind one door: `Database` and its units of work.

Everything else here is what the units' repositories take and return (plain frozen
records), the errors (`storage.errors`), and the embedded-Postgres default.
"""

from __future__ import annotations

from storage.admin import LeadFile, OutboxRow, RedriveOutcome
from storage.appointments import SlotClaim
from storage.artist_messages import WaitingLead
from storage.artist_turns import ArtistSnapshot, ArtistTurnWrite, SignInLinkInsert
from storage.busy_calendar import BusyCalendarStatus
from storage.calendar_feed import BookedRow, FeedKey
from storage.claimer import ClaimerSession
from storage.consent import ConsentState, DeletedConsent, KeptConsent
from storage.database import (
    Database,
    ReadUnit,
    RecordUnit,
    RelayUnit,
    StudiosUnit,
    TurnAtOnceUnit,
    TurnUnit,
)
from storage.due_timers import DueTimer
from storage.embedded import DEFAULT_DATA_DIR, embedded_postgres
from storage.errors import (
    DatabaseError,
    DatabaseUnavailable,
    MigrationError,
    StaleSnapshot,
    StorageError,
    TransactionConflict,
)
from storage.identities import LeadIdentity, PreviousIdentifier, SeenIdentifiers
from storage.leads import LeadRecord
from storage.media import MediaContent, MediaItem, MediaWrite
from storage.metrics_queries import ChannelBacklog
from storage.outbox import ClaimedDelivery, ClaimerIdentity
from storage.preflight import DatabaseNotReady, check_database
from storage.refused_items import RefusedItemInsert, RefusedItemRow
from storage.statuses import FailedDelivery, KeptStatuses, Pricing, SentMessageRef, StatusReport
from storage.studios import DEFAULT_SLUG, DEFAULT_STUDIO_ID, StudioRow, StudioTaken
from storage.time_off import AgendaRow, TimeOffRow
from storage.turns import (
    AnswerInsert,
    DepositSessionInsert,
    OutboxInsert,
    PaymentIntentLink,
    SnapshotRead,
    SystemEventInsert,
    TimerChange,
    TurnStart,
    TurnTaken,
    TurnWrite,
)
from storage.wakeups import WakeUpListener

__all__ = [
    "DEFAULT_DATA_DIR",
    "DEFAULT_SLUG",
    "DEFAULT_STUDIO_ID",
    "AgendaRow",
    "AnswerInsert",
    "ArtistSnapshot",
    "ArtistTurnWrite",
    "BookedRow",
    "BusyCalendarStatus",
    "ChannelBacklog",
    "ClaimedDelivery",
    "ClaimerIdentity",
    "ClaimerSession",
    "ConsentState",
    "Database",
    "DatabaseError",
    "DatabaseNotReady",
    "DatabaseUnavailable",
    "DeletedConsent",
    "DepositSessionInsert",
    "DueTimer",
    "FailedDelivery",
    "FeedKey",
    "KeptConsent",
    "KeptStatuses",
    "LeadFile",
    "LeadIdentity",
    "LeadRecord",
    "MediaContent",
    "MediaItem",
    "MediaWrite",
    "MigrationError",
    "OutboxInsert",
    "OutboxRow",
    "PaymentIntentLink",
    "PreviousIdentifier",
    "Pricing",
    "ReadUnit",
    "RecordUnit",
    "RedriveOutcome",
    "RefusedItemInsert",
    "RefusedItemRow",
    "RelayUnit",
    "SeenIdentifiers",
    "SentMessageRef",
    "SignInLinkInsert",
    "SlotClaim",
    "SnapshotRead",
    "StaleSnapshot",
    "StatusReport",
    "StorageError",
    "StudioRow",
    "StudioTaken",
    "StudiosUnit",
    "SystemEventInsert",
    "TimeOffRow",
    "TimerChange",
    "TransactionConflict",
    "TurnAtOnceUnit",
    "TurnStart",
    "TurnTaken",
    "TurnUnit",
    "TurnWrite",
    "WaitingLead",
    "WakeUpListener",
    "check_database",
    "embedded_postgres",
]
