"""Reads for the web: the studio page, the admin API, the calendar feed, metrics, readiness."""

from __future__ import annotations

from actors.queries.admin import (
    AdminReads,
    DesignSummary,
    LeadFile,
    LeadMoney,
    LeadSummaryRow,
    MediaContent,
    OutboxRow,
    RefusedItemRow,
)
from actors.queries.agenda import Agenda, AgendaDay, AgendaItem, AgendaView
from actors.queries.backlog import Backlog, BacklogReading, ChannelBacklog, PoolUse
from actors.queries.calendar_feed import (
    BusyCalendarShown,
    CalendarFeed,
    FeedAddress,
    KeyFromSettings,
    KeySource,
)
from actors.queries.calendar_invites import CalendarInvites
from actors.queries.page_views import (
    GROUPS,
    INLINE_IMAGES,
    AnswerShown,
    Board,
    EventShown,
    LeadView,
    MediaShown,
    TranscriptEntry,
    VisitShown,
    WallClock,
)
from actors.queries.readiness import Readiness, ReadinessReport
from actors.queries.reads import Queries
from actors.queries.studio_page import BOARD_LIMIT, StudioPage

__all__ = [
    "BOARD_LIMIT",
    "GROUPS",
    "INLINE_IMAGES",
    "AdminReads",
    "Agenda",
    "AgendaDay",
    "AgendaItem",
    "AgendaView",
    "AnswerShown",
    "Backlog",
    "BacklogReading",
    "Board",
    "BusyCalendarShown",
    "CalendarFeed",
    "CalendarInvites",
    "ChannelBacklog",
    "DesignSummary",
    "EventShown",
    "FeedAddress",
    "KeyFromSettings",
    "KeySource",
    "LeadFile",
    "LeadMoney",
    "LeadSummaryRow",
    "LeadView",
    "MediaContent",
    "MediaShown",
    "OutboxRow",
    "PoolUse",
    "Queries",
    "Readiness",
    "ReadinessReport",
    "RefusedItemRow",
    "StudioPage",
    "TranscriptEntry",
    "VisitShown",
    "WallClock",
]
