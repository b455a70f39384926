"""
What the studio page shows, as plain frozen records, and how a stored WhatsApp message
reads as text (Meta's inbound JSON, and the Graph API bodies the composer renders).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from actors.lead import ArtistAction
from storage.studio_board import BoardRow

__all__ = [
    "GROUPS",
    "AnswerShown",
    "Author",
    "Board",
    "EventShown",
    "Group",
    "LeadView",
    "TranscriptEntry",
    "detail_line",
    "message_text",
    "said",
]

# The board's groups, in the order they are shown.
Group = Literal["needs_you", "in_progress", "booked", "closed"]
GROUPS: tuple[Group, ...] = ("needs_you", "in_progress", "booked", "closed")
Author = Literal["lead", "bot", "artist", "to_artist"]


@dataclass(frozen=True)
class Board:
    """
    Every group in order (empty ones too) with its leads, most recently active first;
    each status the leads are in, as the artist reads it; the search that chose them.
    """

    groups: tuple[tuple[Group, tuple[BoardRow, ...]], ...]
    status_names: Mapping[str, str]
    search: str | None


@dataclass(frozen=True)
class AnswerShown:
    """A latest answer as a person reads it: the question's label and the value."""

    label: str
    value: str
    media_id: str | None


@dataclass(frozen=True)
class TranscriptEntry:
    """One message to or from the lead, or to the artist about them, with its state."""

    at: datetime
    author: Author
    text: str
    media_id: str | None
    delivery: str | None  # an outbound message's state: pending, sent, dead, ...
    error: str | None  # why it was not delivered, when it was not


@dataclass(frozen=True)
class EventShown:
    """A system event, or an action, payment or timer the lead's inbox recorded."""

    at: datetime
    level: str
    kind: str
    detail: str


@dataclass(frozen=True)
class LeadView:
    """One lead's file, as the studio page shows it."""

    lead_id: UUID
    name: str
    number: str
    status: str
    status_name: str
    answers: tuple[AnswerShown, ...]
    references: tuple[str, ...]  # media ids of the reference images, latest answers first
    transcript: tuple[TranscriptEntry, ...]
    events: tuple[EventShown, ...]
    deposit: str  # where it stands (actors.lead.Deposit)
    deposit_links: tuple[tuple[str, datetime], ...]  # (url, expires at), oldest first
    actions: tuple[ArtistAction, ...]
    last_message_at: datetime | None
    # WhatsApp's 24 hours since the lead's last message: a reply goes free-form until
    # then; after it only as the template, when one is configured (`reply_by_template`).
    window_closes_at: datetime | None
    window_open: bool
    reply_by_template: bool
    can_reply: bool


def said(payload: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The text (or tapped title) and media id of a WhatsApp message as Meta sent it."""
    kind = payload.get("type")
    if not isinstance(kind, str) or "from" not in payload:
        return None, None
    body = payload.get(kind)
    if not isinstance(body, Mapping):
        return f"[{kind}]", None
    if kind == "text":
        return str(body.get("body", "")), None
    if kind == "interactive":
        picked = body.get("button_reply") or body.get("list_reply") or {}
        return str(picked.get("title") or picked.get("id") or ""), None
    if kind == "button":
        return str(body.get("text") or body.get("payload") or ""), None
    media_id = body.get("id")
    caption = body.get("caption")
    return (str(caption) if caption else None), (str(media_id) if media_id else None)


def message_text(message: Mapping[str, Any]) -> str:
    """What a person reads in a Graph API message body: its text and its choices."""
    if "text" in message:
        return str(message["text"].get("body", ""))
    if "image" in message:
        return str(message["image"].get("caption", ""))
    interactive = message.get("interactive", {})
    text = str(interactive.get("body", {}).get("text", ""))
    action = interactive.get("action", {})
    titles = [b["reply"]["title"] for b in action.get("buttons", [])]
    for section in action.get("sections", []):
        titles.extend(row["title"] for row in section.get("rows", []))
    return text + ("\n[" + "] [".join(titles) + "]" if titles else "")


def detail_line(detail: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in detail.items() if v not in (None, ""))
