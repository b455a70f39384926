"""
What the studio page shows: the board of leads grouped by what they need from the
artist (each row with its newest message, one clipped line, and how many of the lead's
messages came since the artist last opened it), and one lead's file as a person reads
it, its conversation each message once (what went to the artist about the lead is not
repeated) and the copy's saved replies filled in for the lead.

Reads come from one read unit each (through `actors.queries.admin.AdminReads` for a lead's
file, so the page and the admin API show the same lead). The artist's actions on the page
are commands (`actors.commands`), exactly like the WhatsApp buttons and the admin API. A
lead is named by its opaque `lead_id` here; its number never appears in a URL.

A message's delivery state is Meta's latest report on it (sent, delivered, read, failed)
once one came, else the outbox row's own status (pending, sent, dead, suppressed), in one
field (`TranscriptEntry.delivery`). Media the lead sent is shown from its kept row: the
picture only when its bytes were stored whole, otherwise why it was not kept.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from uuid import UUID

from actors.copy import Composer, CopyError
from actors.lead import (
    MEDIA_ANSWER,
    Message,
    SendMedia,
    Status,
    UndecodableEffect,
    effect_from_json,
    identity,
    no_show_open,
    offered_actions,
    state_from_json,
)
from actors.lead.artist_side import REPLY_KEY, STUDIO_FILE_PREFIX, WINDOW_S
from actors.lead.business_app import BUSINESS_APP
from actors.lead.model import LeadState
from actors.lead.refunds import asked, kept, left_to_pay, paid, refundable
from actors.money import Money
from actors.queries.admin import AdminReads
from actors.queries.board_search import board_search, studio_region
from actors.queries.design_view import design_shown
from actors.queries.message_costs import MessageCosts
from actors.queries.page_views import (
    GROUPS,
    LAST_LINE_CHARS,
    AnswerShown,
    Author,
    Board,
    EventShown,
    Group,
    LastLine,
    LeadView,
    MediaShown,
    MoneyShown,
    TranscriptEntry,
    VisitShown,
    WallClock,
    detail_line,
    message_text,
    said,
)
from actors.queries.waitlist_view import waitlist_shown
from actors.schedule import MessagePrices
from storage import Database, LeadFile, MediaContent, OutboxRow
from storage.studio_board import BoardRow, BoardSearch, LastLines

__all__ = [
    "BOARD_LIMIT",
    "GROUPS",
    "Board",
    "EventShown",
    "Group",
    "LeadView",
    "MediaContent",
    "MediaShown",
    "StudioPage",
    "TranscriptEntry",
    "WallClock",
]

BOARD_LIMIT = 300  # the most recently active leads; search finds the others
_BIGINT = 2**63  # a kept media row's id is a Postgres bigint


# Where a status goes on the board; any other status is in progress.
_GROUP_OF: Mapping[Status, Group] = {
    Status.PENDING_APPROVAL: "needs_you",
    Status.NEEDS_ARTIST_REPLY: "needs_you",
    Status.BOOKED: "booked",
    Status.REJECTED: "closed",
    Status.OPTOUT: "closed",
    Status.ABANDONED: "closed",
    Status.DONE: "closed",
    Status.CANCELLED: "closed",
    Status.NO_SHOW: "closed",
}

_NOT_SENT_REASONS = frozenset({"reason_window", "reason_opted_out", "reason_unreadable"})
# The copy keys of a lead's messages forwarded to the artist: unseen ones need the artist.
_FORWARDS = (
    "artist_forward",
    "artist_forward_media",
    "artist_forward_unreadable",
    "artist_forward_edited",
    "artist_forward_form",
    "artist_forward_order",
)
# A lead's WhatsApp messages whose recorded event stands for them: not shown twice.
_RECORDED_KINDS = frozenset({"revoke", "system"})
_ARTIST_WORDS = frozenset({REPLY_KEY, "artist_reply_media"})  # copy keys of relayed replies
# A lead's WhatsApp entries that are no message of the conversation: not a last line,
# never unread (a reaction, a deletion, an edit of one already counted, Meta's notices).
_NOT_MESSAGES = ("reaction", "revoke", "system", "edit", "unsupported")


_USUAL = Money(5000, "GBP")  # the settings' default deposit


@dataclass(frozen=True)
class StudioPage:
    """What the studio page shows."""

    _db: Database
    _admin: AdminReads
    _composer: Composer
    _now: Callable[[], datetime]  # the service's clock
    artist_number: str | None
    templated: frozenset[str]  # message keys with a WhatsApp template
    timezone: tzinfo = UTC  # the studio's (STUDIO_FILE): every time is shown on its clock
    locale: str = "en_GB"  # LOCALE: the words dates, times and money are written in
    deposit: Money = _USUAL  # the usual deposit: DEPOSIT_AMOUNT_MINOR, its currency
    prices: MessagePrices | None = None  # STUDIO_FILE's `message_prices:`, if given

    @property
    def _costs(self) -> MessageCosts:
        return MessageCosts(self.prices, self.locale, self._now)

    @property
    def wall_clock(self) -> WallClock:
        """How the page writes a moment: in the studio's timezone, as the locale does."""
        return WallClock(self.timezone, self.locale)

    async def board(self, search: str | None = None) -> Board:
        wanted = search.strip() if search else None
        async with self._db.reads() as unit:
            rows = await unit.board.leads(self._search(wanted), BOARD_LIMIT, _FORWARDS)
            costs, spend = await self._costs.board(unit, rows)
            last = await unit.board.last_lines(
                [row.lead_key for row in rows], self.artist_number, _NOT_MESSAGES, BUSINESS_APP
            )
        grouped: dict[Group, list[BoardRow]] = {group: [] for group in GROUPS}
        for row in rows:
            if row.lead_key == self.artist_number:
                continue  # the artist's own number is no lead
            group = _GROUP_OF.get(_status(row.status), "in_progress")
            grouped["needs_you" if row.unseen_forwards else group].append(row)
        names = {row.status: self._composer.status_name(row.status) for row in rows}
        groups = tuple((group, tuple(leads)) for group, leads in grouped.items())
        visits = {
            row.lead_id: self._clock(row.visit_starts_at)
            for row in rows
            if row.visit_starts_at is not None
        }
        lines = {
            row.lead_id: self._last_line(last[row.lead_key]) for row in rows if row.lead_key in last
        }
        return Board(groups, names, wanted or None, visits, costs, spend, lines)

    def _last_line(self, found: LastLines) -> LastLine:
        """The newest message either way, one clipped line, and the unread count."""
        inbound = _inbound_line(found.inbound)
        outbound = self._outbound_line(found.outbound)
        newer_out = found.outbound_at is not None and (
            found.inbound_at is None or found.outbound_at >= found.inbound_at
        )
        line = outbound if newer_out and outbound is not None else inbound or outbound
        if line is None:
            return LastLine(None, "", unread=found.unread)
        return LastLine(line.author, _clipped(line.text), line.kind, found.unread)

    def _outbound_line(self, payload: Mapping[str, Any] | None) -> LastLine | None:
        """The business's newest message to the lead: the bot's, or the artist's relayed."""
        if payload is None:
            return None
        try:
            effect = effect_from_json("whatsapp", dict(payload))
        except UndecodableEffect:
            return None
        if not isinstance(effect, Message):
            return None
        author: Author = "artist" if effect.key in _ARTIST_WORDS else "bot"
        kind = effect.kind.value if isinstance(effect, SendMedia) else None
        return LastLine(author, self._rendered(effect), kind)

    def _search(self, wanted: str | None) -> BoardSearch | None:
        """What the artist typed, read in the studio's country (None: the whole board)."""
        if not wanted:
            return None
        return board_search(wanted, studio_region(self.artist_number, self.locale))

    async def lead(self, lead_id: UUID) -> LeadView | None:
        """The lead's file; reading it marks what was forwarded about them as seen."""
        lead_key = await self._lead_key(lead_id)
        if lead_key is None:
            return None
        found = await self._admin.lead_file(lead_key)
        if found is None:
            return None
        async with self._db.records() as unit:
            await unit.board.seen(lead_key)
            await unit.commit()
        lead_file, latest = found
        priced, message_cost = self._costs.of_lead(lead_file)
        state = state_from_json(lead_file.lead.state)
        labels = self._composer.question_labels()
        media = _media_of(lead_file)
        answers = tuple(
            AnswerShown(
                labels.get(a.question) or a.question.replace("_", " ").capitalize(),
                self._composer.answer_value(a.question, a.value),
                _shown(media, a.media_id) if a.value == MEDIA_ANSWER else None,
            )
            for a in latest
        )
        status = _status(lead_file.lead.status)
        visit = state.visit
        last = lead_file.lead.last_inbound_at
        closes = None if last is None else last + timedelta(seconds=WINDOW_S)
        window_open = closes is None or self._now() < closes  # unknown: Meta judges
        by_template = REPLY_KEY in self.templated
        who = identity.who(state)
        return LeadView(
            lead_id=lead_file.lead.lead_id,
            name=state.name or "",
            number=identity.phone_of(state),
            status=lead_file.lead.status,
            status_name=self._composer.status_name(lead_file.lead.status),
            answers=answers,
            transcript=tuple(self._transcript(lead_file, media)),
            events=tuple(self._events(lead_file)),
            deposit=state.deposit.value,
            deposit_links=tuple(
                (d.url, datetime.fromtimestamp(d.expires_at, tz=UTC))
                for d in state.deposit_sessions
            ),
            money=self._money(state),
            visit=None if visit is None else self._visit(visit.starts_at, visit.ends_at),
            actions=offered_actions(
                status, booked=visit is not None, no_show=no_show_open(state, self._now())
            ),
            last_message_at=last,
            window_closes_at=closes,
            window_open=window_open,
            reply_by_template=by_template,
            can_reply=status is not Status.OPTOUT and (window_open or by_template),
            username=state.username,
            handle=who["number"],
            priced=priced,
            message_cost=message_cost,
            saved_replies=self._composer.saved_replies(state.name or ""),
            design=design_shown(state.designs, self.deposit.currency, self.locale, self._clock),
            waitlist=waitlist_shown(state, self.locale),
        )

    async def saved_reply(self, lead_id: UUID, number: int) -> str | None:
        """Saved reply `number` (from 0) as it goes to this lead; None: no such reply or lead."""
        async with self._db.reads() as unit:
            lead = await unit.leads.by_lead_id(lead_id)
        if lead is None:
            return None
        saved = self._composer.saved_replies(state_from_json(lead.state).name or "")
        return saved[number][1] if 0 <= number < len(saved) else None

    async def media(self, media_row: int) -> MediaContent | None:
        """A kept media item with its bytes, when it belongs to a lead and was stored
        whole; None otherwise (unknown, a bad checksum, too large, not fetched)."""
        if not 0 < media_row < _BIGINT:
            return None
        async with self._db.reads() as unit:
            found = await unit.media.content(media_row)
            if found is None or found.content is None:
                return None
            if await unit.leads.get(found.item.lead_key) is None:
                return None
        return found

    def why_not_sent(self, reason: str) -> str | None:
        """Why a reply could not go, in the copy's words; None for an unknown reason."""
        if reason not in _NOT_SENT_REASONS:
            return None
        return self._composer.plain(reason)

    def _money(self, state: LeadState) -> MoneyShown:
        """Asked, paid, refunded and what is left to refund, as the locale writes money."""
        usual = self.deposit

        def words(money: Money | None) -> str | None:
            return None if money is None else money.format(self.locale)

        left = refundable(state, usual)
        given_back = Money(state.refunded_amount, usual.currency) if state.refunded_amount else None
        return MoneyShown(
            currency=usual.currency,
            usual=usual.format(self.locale),
            usual_plain=usual.plain(),
            asked=words(asked(state, usual)),
            paid=words(paid(state, usual)),
            refunded=words(given_back),
            refundable=words(left),
            refundable_minor=0 if left is None else left.minor,
            refundable_plain=None if left is None else left.plain(),
            next_refund=state.refunds_asked + 1,
            kept=words(kept(state, usual)),
            quote=None if state.quote is None else words(Money(state.quote, usual.currency)),
            balance=words(left_to_pay(state, usual)),
            sessions=state.sessions,
            sessions_booked=state.session_number,
        )

    async def _lead_key(self, lead_id: UUID) -> str | None:
        async with self._db.reads() as unit:
            lead = await unit.leads.by_lead_id(lead_id)
        return None if lead is None else lead.lead_key

    def _clock(self, seconds: int) -> datetime:
        return datetime.fromtimestamp(seconds, UTC).astimezone(self.timezone)

    def _visit(self, starts_at: int, ends_at: int) -> VisitShown:
        return VisitShown(self._clock(starts_at), self._clock(ends_at), self.wall_clock.zone)

    def _transcript(
        self, lead_file: LeadFile, media: Mapping[str, MediaShown]
    ) -> list[TranscriptEntry]:
        """Every message between the lead and the business number, each once: what went
        to the artist about them (packets, forwards of the lead's own words) is not
        repeated here (the lead's message already is)."""
        lead_key = lead_file.lead.lead_key
        entries = []
        for received in lead_file.inbox:
            if _in_business_app(received.payload):
                words, media_id = said(received.payload)
                if words is None and media_id is not None:  # a picture with no caption
                    words = f"[{received.payload.get('type')}]"
                if words is not None:  # the artist's own, sent by WhatsApp itself
                    entries.append(
                        TranscriptEntry(
                            received.received_at,
                            "artist",
                            words,
                            None,  # the artist's media is not kept
                            None,
                            None,
                            edited=received.payload.get("type") == "edit",
                        )
                    )
                continue
            if not self._from_lead(received.payload):
                continue  # an action, a payment, a timer, the artist's own (see events)
            text, media_id = said(received.payload)
            entries.append(
                TranscriptEntry(
                    received.received_at,
                    "lead",
                    text or "",
                    _shown(media, media_id),
                    None,
                    None,
                    deleted=received.deleted_by_lead,
                    edited=received.payload.get("type") == "edit",
                )
            )
        for row in lead_file.outbox:
            if row.channel != "whatsapp":
                continue
            try:
                effect = effect_from_json(row.channel, row.payload)
            except UndecodableEffect:
                continue
            if not isinstance(effect, Message):
                continue
            if effect.to != lead_key:
                continue  # to the artist about the lead: a copy of what is shown already
            author: Author = "bot"
            if effect.key in _ARTIST_WORDS:
                author = "artist"  # the artist's reply, relayed from the business number
            media_id = effect.media_id if isinstance(effect, SendMedia) else None
            from_page = media_id is not None and media_id.startswith(STUDIO_FILE_PREFIX)
            entries.append(
                TranscriptEntry(
                    row.created_at,
                    author,
                    self._rendered(effect),
                    media.get(media_id) if media_id else None,  # the artist's are not kept
                    delivery=row.delivery_state or row.status,
                    error=_why_undelivered(row),
                    sent_file=effect.kind.value
                    if from_page and isinstance(effect, SendMedia)
                    else None,
                )
            )
        return sorted(entries, key=lambda entry: entry.at)

    def _events(self, lead_file: LeadFile) -> list[EventShown]:
        """The lead's system events and its inbox's entries other than the lead's messages."""
        shown = [EventShown(e.at, e.level, e.kind, detail_line(e.detail)) for e in lead_file.events]
        for received in lead_file.inbox:
            payload = received.payload
            if self._from_lead(payload) or _in_business_app(payload):
                continue  # in the transcript, or said by its own event (a deletion)
            if "from" in payload and payload.get("type") in _RECORDED_KINDS:
                continue  # its own event says what it was (message_revoked, ...)
            words, _ = said(payload)
            if words is not None:  # the artist on WhatsApp: a button, or words to this lead
                shown.append(EventShown(received.received_at, "info", "artist_whatsapp", words))
                continue
            kind = str(payload.get("action") or payload.get("kind") or payload.get("type") or "")
            via = payload.get("via")
            detail = {k: v for k, v in payload.items() if k not in ("wa_id", "at", "via")}
            shown.append(
                EventShown(
                    received.received_at,
                    "info",
                    f"{via}: {kind}" if via else kind or received.outcome,
                    detail_line(detail),
                )
            )
        return sorted(shown, key=lambda e: e.at)

    def _from_lead(self, payload: Mapping[str, Any]) -> bool:
        """A WhatsApp message the lead sent (the artist's taps and words are events)."""
        return (
            said(payload) != (None, None)
            and payload.get("from") != self.artist_number
            and not _in_business_app(payload)
        )

    def _rendered(self, effect: Message) -> str:
        try:
            return message_text(self._composer.render(effect))
        except CopyError:
            return effect.key


def _in_business_app(payload: Mapping[str, Any]) -> bool:
    """An echo of what the artist wrote in the WhatsApp Business app (coexistence)."""
    return payload.get("via") == BUSINESS_APP and payload.get("author") == "artist"


def _inbound_line(payload: Mapping[str, Any] | None) -> LastLine | None:
    """The newest message in the lead's inbox: the lead's, or the artist's own from the
    Business app."""
    if payload is None:
        return None
    words, media_id = said(payload)
    if words is None and media_id is None:
        return None
    author: Author = "artist" if _in_business_app(payload) else "lead"
    kind = str(payload.get("type")) if media_id is not None and not words else None
    return LastLine(author, words or "", kind)


def _clipped(text: str) -> str:
    """One line of at most LAST_LINE_CHARS characters, an ellipsis where it was cut."""
    line = " ".join(text.split())
    if len(line) <= LAST_LINE_CHARS:
        return line
    return line[: LAST_LINE_CHARS - 1].rstrip() + "…"


def _media_of(lead_file: LeadFile) -> dict[str, MediaShown]:
    """Meta's media id -> the item as kept (a retried fetch replaced its own row)."""
    return {
        m.media_id: MediaShown(m.media_id, m.id, m.mime_type, m.caption, m.status)
        for m in lead_file.media
    }


def _shown(media: Mapping[str, MediaShown], media_id: str | None) -> MediaShown | None:
    """The item named by a message or an answer; one not fetched yet is pending."""
    if media_id is None:
        return None
    return media.get(media_id) or MediaShown(media_id, None, None, None, "pending")


def _why_undelivered(row: OutboxRow) -> str | None:
    """Meta's error code when it reported a failure, else ours when we gave up."""
    if row.delivery_state == "failed":
        return row.delivery_error
    return row.last_error if row.status in ("dead", "suppressed") else None


def _status(code: str) -> Status:
    try:
        return Status(code)
    except ValueError:
        return Status.NEW
