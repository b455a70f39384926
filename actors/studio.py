"""
What the studio page shows and does: the board of leads grouped by what they need from
the artist, one lead's file as a person reads it, and the artist's actions.

Reads come from one read unit each (through `actors.admin.Admin` for a lead's file, so
the page and the admin API show the same lead). Actions go through `Admin.act`: a turn of
the lead's actor, exactly like the artist's WhatsApp buttons and the admin API. A lead is
named by its opaque `lead_id` here; its number never appears in a URL.

Delivery state is the outbox row's own status (pending, sent, dead, suppressed); the
transcript keeps it in one field (`TranscriptEntry.delivery`) so a finer state (delivered,
read) can replace it without touching the templates.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Literal
from uuid import UUID

from actors.admin import ActionTaken, Admin
from actors.copy import Composer, CopyError
from actors.lead import (
    MEDIA_ANSWER,
    ArtistAction,
    SendMedia,
    SendMessage,
    Status,
    UndecodableEffect,
    effect_from_json,
    state_from_json,
)
from storage import Database, LeadFile
from storage.studio_board import BoardRow

__all__ = [
    "BOARD_LIMIT",
    "GROUPS",
    "Board",
    "EventShown",
    "Group",
    "LeadView",
    "Studio",
    "TranscriptEntry",
]

BOARD_LIMIT = 300  # the most recently active leads; search finds the others


# The board's groups, in the order they are shown.
Group = Literal["needs_you", "in_progress", "booked", "closed"]
GROUPS: tuple[Group, ...] = ("needs_you", "in_progress", "booked", "closed")
# Where a status goes on the board; any other status is in progress.
_GROUP_OF: Mapping[Status, Group] = {
    Status.PENDING_APPROVAL: "needs_you",
    Status.NEEDS_ARTIST_REPLY: "needs_you",
    Status.BOOKED: "booked",
    Status.REJECTED: "closed",
    Status.OPTOUT: "closed",
    Status.ABANDONED: "closed",
}

# The actions offered on a lead's page, by its status; the actor still has the last word
# (an action that no longer applies comes back NOT_APPLICABLE and changes nothing).
_A = ArtistAction
_OFFERED: Mapping[Status, tuple[ArtistAction, ...]] = {
    Status.PENDING_APPROVAL: (_A.APPROVE, _A.DECLINE, _A.TAKE_OVER),
    Status.NEEDS_ARTIST_REPLY: (_A.APPROVE, _A.DECLINE, _A.HAND_BACK),
    Status.OPTOUT: (),
}
_DEFAULT_OFFER = (_A.TAKE_OVER,)

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


@dataclass(frozen=True)
class Studio:
    """The studio page's reads and the artist's actions."""

    _db: Database
    _admin: Admin
    _composer: Composer
    artist_number: str | None

    async def board(self, search: str | None = None) -> Board:
        wanted = search.strip() if search else None
        async with self._db.reads() as unit:
            rows = await unit.board.leads(wanted or None, BOARD_LIMIT)
        grouped: dict[Group, list[BoardRow]] = {group: [] for group in GROUPS}
        for row in rows:
            if row.lead_key != self.artist_number:  # the artist's own number is no lead
                grouped[_GROUP_OF.get(_status(row.status), "in_progress")].append(row)
        names = {row.status: self._composer.status_name(row.status) for row in rows}
        groups = tuple((group, tuple(leads)) for group, leads in grouped.items())
        return Board(groups, names, wanted or None)

    async def lead(self, lead_id: UUID) -> LeadView | None:
        lead_key = await self._lead_key(lead_id)
        if lead_key is None:
            return None
        found = await self._admin.lead_file(lead_key)
        if found is None:
            return None
        lead_file, latest = found
        state = state_from_json(lead_file.lead.state)
        labels = self._composer.question_labels()
        answers = tuple(
            AnswerShown(
                labels.get(a.question, a.question),
                self._composer.answer_value(a.question, a.value),
                a.media_id,
            )
            for a in latest
        )
        status = _status(lead_file.lead.status)
        return LeadView(
            lead_id=lead_file.lead.lead_id,
            name=state.name or "",
            number=lead_key,
            status=lead_file.lead.status,
            status_name=self._composer.status_name(lead_file.lead.status),
            answers=answers,
            references=tuple(a.media_id for a in latest if a.value == MEDIA_ANSWER and a.media_id),
            transcript=tuple(self._transcript(lead_file)),
            events=tuple(_events(lead_file)),
            deposit=state.deposit.value,
            deposit_links=tuple(
                (d.url, datetime.fromtimestamp(d.expires_at, tz=UTC))
                for d in state.deposit_sessions
            ),
            actions=(*_OFFERED.get(status, _DEFAULT_OFFER), *_opt_out(status)),
            last_message_at=lead_file.lead.last_inbound_at,
        )

    async def act(
        self, lead_id: UUID, action: ArtistAction, correlation_id: str
    ) -> ActionTaken | None:
        """The artist's action as a turn of the lead's actor; None: no such lead."""
        lead_key = await self._lead_key(lead_id)
        if lead_key is None:
            return None
        return await self._admin.act(lead_key, action, correlation_id)

    async def _lead_key(self, lead_id: UUID) -> str | None:
        async with self._db.reads() as unit:
            lead = await unit.leads.by_lead_id(lead_id)
        return None if lead is None else lead.lead_key

    def _transcript(self, lead_file: LeadFile) -> list[TranscriptEntry]:
        """Every message to and from the lead, and each one to the artist about them."""
        lead_key = lead_file.lead.lead_key
        entries = []
        for received in lead_file.inbox:
            text, media_id = _said(received.payload)
            if text is None and media_id is None:
                continue  # not a message: an action, a payment, a timer (see events)
            sender = received.payload.get("from")
            author: Author = "artist" if sender == self.artist_number else "lead"
            entries.append(
                TranscriptEntry(received.received_at, author, text or "", media_id, None, None)
            )
        for row in lead_file.outbox:
            if row.channel != "whatsapp":
                continue
            try:
                effect = effect_from_json(row.channel, row.payload)
            except UndecodableEffect:
                continue
            if not isinstance(effect, SendMessage | SendMedia):
                continue
            author = "bot" if effect.to == lead_key else "to_artist"
            media_id = effect.media_id if isinstance(effect, SendMedia) else None
            entries.append(
                TranscriptEntry(
                    row.created_at,
                    author,
                    self._rendered(effect),
                    media_id,
                    delivery=row.status,
                    error=row.last_error if row.status in ("dead", "suppressed") else None,
                )
            )
        return sorted(entries, key=lambda entry: entry.at)

    def _rendered(self, effect: SendMessage | SendMedia) -> str:
        try:
            return _message_text(self._composer.render(effect))
        except CopyError:
            return effect.caption_key if isinstance(effect, SendMedia) else effect.key


def _status(code: str) -> Status:
    try:
        return Status(code)
    except ValueError:
        return Status.NEW


def _opt_out(status: Status) -> tuple[ArtistAction, ...]:
    return () if status is Status.OPTOUT else (ArtistAction.OPT_OUT,)


def _said(payload: Mapping[str, Any]) -> tuple[str | None, str | None]:
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


def _message_text(message: Mapping[str, Any]) -> str:
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


def _events(lead_file: LeadFile) -> Iterable[EventShown]:
    """The lead's system events and the non-message entries of its inbox, in time order."""
    shown = [EventShown(e.at, e.level, e.kind, _detail(e.detail)) for e in lead_file.events]
    for received in lead_file.inbox:
        if _said(received.payload) != (None, None):
            continue
        payload = received.payload
        kind = str(payload.get("action") or payload.get("kind") or payload.get("type") or "")
        via = payload.get("via")
        shown.append(
            EventShown(
                received.received_at,
                "info",
                f"{via}: {kind}" if via else kind or received.outcome,
                _detail({k: v for k, v in payload.items() if k not in ("wa_id", "at")}),
            )
        )
    return sorted(shown, key=lambda e: e.at)


def _detail(detail: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in detail.items() if v not in (None, ""))
