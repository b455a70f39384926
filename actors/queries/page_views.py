"""
What the studio page shows, as plain frozen records, and how a stored WhatsApp message
reads as text (Meta's inbound JSON, and the Graph API bodies the composer renders).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, tzinfo
from typing import Any, Literal
from uuid import UUID

from actors.lead import ArtistAction, MediaKind
from actors.queries.design_view import DesignShown
from storage.studio_board import BoardRow

__all__ = [
    "GROUPS",
    "INLINE_IMAGES",
    "LAST_LINE_CHARS",
    "AnswerShown",
    "Author",
    "Board",
    "EventShown",
    "Group",
    "LastLine",
    "LeadView",
    "MediaShown",
    "Spend",
    "TranscriptEntry",
    "VisitShown",
    "WallClock",
    "detail_line",
    "message_text",
    "said",
]

# The board's groups, in the order they are shown.
Group = Literal["needs_you", "in_progress", "booked", "closed"]
GROUPS: tuple[Group, ...] = ("needs_you", "in_progress", "booked", "closed")
Author = Literal["lead", "bot", "artist", "to_artist"]
# Pictures a browser shows in an <img> and the page serves inline; any other kept file
# (an SVG, a PDF, a voice note) is offered as a download, never rendered by the page.
INLINE_IMAGES = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
_MEDIA_KINDS = frozenset(MediaKind)  # the Graph API body of a media item is under its type


LAST_LINE_CHARS = 80  # a board row's last message: one line, like WhatsApp's chat list


@dataclass(frozen=True)
class LastLine:
    """A board row's newest message (one line, clipped; `kind` names a media item with no
    words, e.g. "image") and how many of the lead's messages the artist has not seen."""

    author: Author | None  # None: no message yet
    text: str
    kind: str | None = None
    unread: int = 0


@dataclass(frozen=True)
class Board:
    """
    Every group in order (empty ones too) with its leads, most recently active first;
    each status the leads are in, as the artist reads it; the search that chose them;
    when each lead with an appointment has it.
    """

    groups: tuple[tuple[Group, tuple[BoardRow, ...]], ...]
    status_names: Mapping[str, str]
    search: str | None
    visits: Mapping[UUID, datetime]  # lead id -> its appointment's start, on the studio's clock
    # With STUDIO_FILE's `message_prices:`: what each lead's messages cost, and the cost
    # per booking of the leads that came in lately (None without the table).
    costs: Mapping[UUID, str] = field(default_factory=dict)
    spend: Spend | None = None
    lines: Mapping[UUID, LastLine] = field(default_factory=dict)  # lead id -> its last line


@dataclass(frozen=True)
class Spend:
    """What the messages to the leads of the last `days` days cost, written in the
    studio's currency and locale, and per booking among them (None: no booking yet)."""

    days: int
    total: str
    bookings: int
    per_booking: str | None


@dataclass(frozen=True)
class WallClock:
    """
    The studio's clock and the words it is read in: every time on the studio page is
    shown in `timezone` (STUDIO_FILE's, UTC without one) as `locale` (LOCALE) writes it,
    so the artist reads the hour on their own wall, in their own language.
    """

    timezone: tzinfo
    locale: str

    @property
    def zone(self) -> str:
        """The timezone's IANA name (Europe/Madrid), as the page states it."""
        return getattr(self.timezone, "key", None) or str(self.timezone)


@dataclass(frozen=True)
class MediaShown:
    """
    A media item the lead sent, as the page shows it: the picture (or a download) when
    its bytes were kept whole, otherwise why not. `status` is the kept row's (stored,
    bad_checksum, too_large, failed) or "pending" while it is still being fetched.
    """

    media_id: str  # Meta's
    row: int | None  # the kept row, served at /studio/media/<row>; None: not fetched yet
    mime_type: str | None
    caption: str | None
    status: str

    @property
    def kept(self) -> bool:
        """Only a `stored` row has bytes: a bad checksum is never the lead's image."""
        return self.status == "stored" and self.row is not None

    @property
    def picture(self) -> bool:
        return self.kept and self.mime_type in INLINE_IMAGES


@dataclass(frozen=True)
class VisitShown:
    """The lead's appointment, on the studio's clock."""

    starts_at: datetime
    ends_at: datetime
    zone: str  # the studio's timezone, as its key (Europe/London)


@dataclass(frozen=True)
class AnswerShown:
    """A latest answer as a person reads it: the question's label and the value."""

    label: str
    value: str
    media: MediaShown | None


@dataclass(frozen=True)
class TranscriptEntry:
    """One message to or from the lead, or to the artist about them, with its state."""

    at: datetime
    author: Author
    text: str
    media: MediaShown | None
    # An outbound message's state: Meta's latest report (sent, delivered, read, failed)
    # once one came, else the outbox's own (pending, sent, dead, suppressed).
    delivery: str | None
    error: str | None  # why it was not delivered, when it was not
    deleted: bool = False  # the lead deleted it on WhatsApp: kept, and shown as deleted
    edited: bool = False  # the lead's edit of an earlier message: its new text
    sent_file: str | None = None  # a file the artist sent from the page: "image", "document"


@dataclass(frozen=True)
class EventShown:
    """A system event, or an action, payment or timer the lead's inbox recorded."""

    at: datetime
    level: str
    kind: str
    detail: str


@dataclass(frozen=True)
class MoneyShown:
    """The lead's deposit in money words ("£80.00", "80,00 €"), each None when there is none."""

    currency: str  # ISO 4217, upper case: the studio's one currency
    usual: str  # the deposit an approval asks when the artist types none
    usual_plain: str  # the same as a form field shows it: "50.00", "5000"
    asked: str | None
    paid: str | None
    refunded: str | None
    refundable: str | None  # what can still be given back
    refundable_minor: int  # the same in minor units (0: nothing)
    refundable_plain: str | None
    next_refund: int  # the number the refund form asks for: it acts once, however posted
    kept: str | None = None  # a no-show's deposit the studio keeps
    quote: str | None = None  # the piece's price, as the approval gave it
    balance: str | None = None  # the price less the deposit: paid on the final day
    sessions: int = 1  # the sessions the piece takes
    sessions_booked: int = 0  # booked so far (the one booked now included)


@dataclass(frozen=True)
class LeadView:
    """One lead's file, as the studio page shows it."""

    lead_id: UUID
    name: str
    number: str | None  # the phone; None for a lead known only by BSUID (no wa.me link)
    status: str
    status_name: str
    answers: tuple[AnswerShown, ...]
    transcript: tuple[TranscriptEntry, ...]
    events: tuple[EventShown, ...]
    deposit: str  # where it stands (actors.lead.Deposit)
    deposit_links: tuple[tuple[str, datetime], ...]  # (url, expires at), oldest first
    money: MoneyShown
    visit: VisitShown | None  # held, booked, done or cancelled: the time it was for
    actions: tuple[ArtistAction, ...]
    last_message_at: datetime | None
    # WhatsApp's 24 hours since the lead's last message: a reply goes free-form until
    # then; after it only as the template, when one is configured (`reply_by_template`).
    window_closes_at: datetime | None
    window_open: bool
    reply_by_template: bool
    can_reply: bool
    username: str | None = None  # WhatsApp's, without "@"
    handle: str = ""  # how the lead is named without a name: +phone, @username or BSUID
    # Our messages to the lead that Meta priced, by category and type, with how many.
    priced: tuple[tuple[str, str, int], ...] = ()
    message_cost: str | None = None  # what they cost, with STUDIO_FILE's price table
    saved_replies: tuple[tuple[str, str], ...] = ()  # the copy's (title, text), filled in
    design: DesignShown | None = None  # the artist's designs and the lead's answers
    waitlist: tuple[str, str] | None = None  # WAITLISTED: the first and last day, in words


def said(payload: Mapping[str, Any]) -> tuple[str | None, str | None]:
    """The text (or tapped title) and media id of a WhatsApp message as Meta sent it."""
    kind = payload.get("type")
    if not isinstance(kind, str) or ("from" not in payload and "from_user_id" not in payload):
        return None, None
    body = payload.get(kind)
    if not isinstance(body, Mapping):
        return f"[{kind}]", None
    if kind == "text":
        return str(body.get("body", "")), None
    if kind == "interactive" and "nfm_reply" in body:
        return "[form]", None  # its fields reach the artist as a forward
    if kind == "interactive":
        picked = body.get("button_reply") or body.get("list_reply") or {}
        return str(picked.get("title") or picked.get("id") or ""), None
    if kind == "button":
        return str(body.get("text") or body.get("payload") or ""), None
    if kind == "edit":  # the new text, or a media item's new caption
        return _edited_text(body.get("message")), None
    if kind == "order":
        return str(body.get("text") or "[order]"), None
    if kind in ("location", "unsupported"):  # the lead wrote: what, the page cannot show
        return f"[{kind}]", None
    media_id = body.get("id")
    caption = body.get("caption")
    return (str(caption) if caption else None), (str(media_id) if media_id else None)


def message_text(message: Mapping[str, Any]) -> str:
    """What a person reads in a Graph API message body: its text and its choices."""
    if "text" in message:
        return str(message["text"].get("body", ""))
    kind = message.get("type")
    if kind in _MEDIA_KINDS:  # a media item: its caption, if Meta takes one there
        return str(message[kind].get("caption", ""))
    interactive = message.get("interactive", {})
    text = str(interactive.get("body", {}).get("text", ""))
    action = interactive.get("action", {})
    titles = [b["reply"]["title"] for b in action.get("buttons", [])]
    for section in action.get("sections", []):
        titles.extend(row["title"] for row in section.get("rows", []))
    return text + ("\n[" + "] [".join(titles) + "]" if titles else "")


def detail_line(detail: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in detail.items() if v not in (None, ""))


def _edited_text(message: Any) -> str:
    if not isinstance(message, Mapping):
        return ""
    text = message.get("text")
    if isinstance(text, Mapping):
        return str(text.get("body", ""))
    for kind in _MEDIA_KINDS:
        media = message.get(kind)
        if isinstance(media, Mapping) and media.get("caption"):
            return str(media["caption"])
    return ""
