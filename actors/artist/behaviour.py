"""
The artist's behaviour: `decide(state, event) -> ArtistDecision`. Pure: no I/O, no clock.

A message from the artist's own number never makes the artist a lead:

    a tap on a packet's button (`approve:<wa_id>`)   forwarded to that lead, as the action
                                                     (Decline, Cancel + refund, No-show:
                                                     as a first tap, that asks first)
    a tap on "Keep" (`keep:<wa_id>`)                 nothing changes: the artist is told so
    a pick from the which-lead list (`to:<wa_id>:<message id>`)
                                                     forwarded to that lead as the words
                                                     kept when the artist was asked
    a swipe-reply to a message we sent about a lead  forwarded to that lead, as the words
    a deletion, an edit, Meta's system notice         nothing: never relayed, never asked
    one of the copy's `words.sign_in` ("link"), alone, a fresh sign-in link to the studio
    typed, not a swipe-reply                          page at once, whatever the page's
                                                     limits (links off: a line saying so)
    anything else                                    nothing is guessed: the message is
                                                     kept (pending) and the artist is asked
                                                     which lead it is for (a list of the
                                                     leads with them)

A forward is the lead's turn, not the artist's: its inbox row is written by that lead's
actor. The studio's own requests are the artist's too: a sign-in link (the page counts
its requests, per address and in all, before it asks: `actors.page.access`) and a
payment event that belongs to no lead (kept, with a warning), and the time off the page
blocks or unblocks (written by the turn: `actors.schedule.time_off`). A link is named by an id;
its token's hash is kept and its URL made when it is sent (`actors.artist.links`).
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

from actors.artist.links import SignInLinks
from actors.artist.model import (
    ArtistDecision,
    ArtistEvent,
    ArtistState,
    ArtistWrote,
    ForwardToLead,
    IssueSignInLink,
    KeptMessage,
    LeadWaiting,
    PaymentUnrouted,
    SignInRequested,
)
from actors.copy.limits import WhatsAppLimits
from actors.lead.button_ids import artist_command, kept_as_is, relay_pick, relay_row_id
from actors.lead.messages import AskWhichLead, SendSignInLink
from actors.lead.model import (
    ArtistActed,
    ArtistReplied,
    MessageReceived,
    Outcome,
    RecordEvent,
    SendMessage,
    media_kind,
)
from actors.lead.script import Words
from actors.schedule.time_off import (
    MAX_NOTE,
    BlockTime,
    TimeOffBlocked,
    TimeOffUnblocked,
    UnblockTime,
)

__all__ = ["LINK_TTL_S", "LIST_ROWS", "ArtistBehaviour"]

LIST_ROWS = WhatsAppLimits.LIST_ROWS  # the which-lead list's rows: WhatsApp's most
PENDING_KEPT = 10  # the artist's messages kept for a pick: as many as a list may offer
LINK_TTL_S = 10 * 60  # a sign-in link's life

ASKED = "asked_which_lead"  # the inbox outcome of a kept message
UNROUTED = "unrouted"  # the inbox outcome of a payment event no lead claims
SIGN_IN = "sign_in_link"  # the inbox outcome of the artist's "link"
TIME_OFF = "time_off"  # the inbox outcome of a block or an unblock from the page
KEPT = "kept_as_is"  # the inbox outcome of a "Keep" tap
_NOT_WORDS = frozenset({"revoke", "edit", "system"})  # the artist's, never relayed or asked about


class ArtistBehaviour:
    """The artist's actor's rules, for the artist's number (None: no artist configured)."""

    def __init__(
        self,
        artist_number: str | None,
        *,
        words: Words | None = None,
        links: SignInLinks | None = None,
    ) -> None:
        self._artist = artist_number
        self._words = words  # the copy's: `sign_in` asks for a link
        self._links = links  # None: PUBLIC_BASE_URL unset, links are off

    def is_artist(self, sender: str) -> bool:
        return self._artist is not None and sender == self._artist

    @property
    def artist_number(self) -> str | None:
        return self._artist

    def decide(self, state: ArtistState, event: ArtistEvent) -> ArtistDecision:
        match event:
            case ArtistWrote():
                return self._wrote(state, event)
            case SignInRequested():
                return self._sign_in(state, event)
            case PaymentUnrouted():
                detail = {"message_id": event.message_id, "type": event.event_type}
                unrouted = RecordEvent("warn", "stripe_unrouted", detail)
                return ArtistDecision(state, (unrouted,), inbox_outcome=UNROUTED)
            case TimeOffBlocked():
                span = {"from": event.starts_at.isoformat(), "until": event.ends_at.isoformat()}
                blocked = BlockTime(event.starts_at, event.ends_at, event.note[:MAX_NOTE])
                noted = RecordEvent("info", "time_off_blocked", span)
                return ArtistDecision(state, (blocked, noted), inbox_outcome=TIME_OFF)
            case TimeOffUnblocked():
                unblocked = UnblockTime(event.time_off_id)
                noted = RecordEvent("info", "time_off_unblocked", {"id": event.time_off_id})
                return ArtistDecision(state, (unblocked, noted), inbox_outcome=TIME_OFF)

    # -- the artist's own messages ------------------------------------------------------

    def _wrote(self, state: ArtistState, wrote: ArtistWrote) -> ArtistDecision:
        message = wrote.message
        reply_id = message.reply_id or ""
        command = artist_command(reply_id)
        if command is not None:
            acted = ArtistActed(
                message.message_id,
                command.wa_id,
                command.action,
                message.received_at,
                confirmed=command.confirmed,
            )
            return ArtistDecision(state, forward=ForwardToLead(acted))
        if kept_as_is(reply_id) is not None:  # the question's "Keep": nothing happens
            unchanged = SendMessage(self._artist or "", "artist_kept")
            return ArtistDecision(state, (unchanged,), inbox_outcome=KEPT)
        pick = relay_pick(reply_id)
        kept = _kept(state, pick.message_id) if pick is not None else None
        if pick is not None and kept is not None:
            return ArtistDecision(state, forward=_forward(message, pick.wa_id, kept))
        if self._asks_for_link(message):
            return self._link_for_artist(state, message)
        if message.kind in _NOT_WORDS:
            # Deleting or editing their own message, or Meta's notice about the number:
            # nothing to relay and nothing to ask about.
            return ArtistDecision(state, outcome=Outcome.NOT_APPLICABLE)
        if wrote.about_lead is not None:
            return ArtistDecision(
                state, forward=_forward(message, wrote.about_lead, _keep(message))
            )
        return self._ask(state, message, wrote.waiting)

    def _ask(
        self, state: ArtistState, message: MessageReceived, waiting: tuple[LeadWaiting, ...]
    ) -> ArtistDecision:
        kept = _keep(message)
        pending = (*(k for k in state.pending if k.message_id != kept.message_id), kept)
        return ArtistDecision(
            replace(state, pending=pending[-PENDING_KEPT:]),
            (self._question(message.message_id, waiting[:LIST_ROWS]),),
            inbox_outcome=ASKED,
            said=kept.said(),
        )

    def _question(
        self, message_id: str, waiting: tuple[LeadWaiting, ...]
    ) -> SendMessage | AskWhichLead:
        artist = self._artist or ""
        if not waiting:
            return SendMessage(to=artist, key="artist_no_leads")
        rows = tuple(
            (relay_row_id(lead.wa_id, message_id), lead.name or handle, handle)
            for lead in waiting
            for handle in (lead.handle or f"+{lead.wa_id}",)
        )
        return AskWhichLead(artist, choices=rows)

    # -- the studio page's sign-in links --------------------------------------------------

    def _sign_in(self, state: ArtistState, asked: SignInRequested) -> ArtistDecision:
        """The page's request, already within its limits (counted where it asked)."""
        if self._artist is None or self._links is None:
            return ArtistDecision(state, outcome=Outcome.NOT_APPLICABLE)
        return ArtistDecision(state, self._link(self._artist, asked.link_id))

    def _asks_for_link(self, message: MessageReceived) -> bool:
        """The artist's own words alone, typed (not a tap, not a swipe-reply)."""
        return (
            self._words is not None
            and message.kind == "text"
            and not message.reply_id
            and not message.context_id
            and self._words.is_sign_in(message.text or "")
        )

    def _link_for_artist(self, state: ArtistState, message: MessageReceived) -> ArtistDecision:
        """The artist can always get in: a fresh link at once, counted nowhere."""
        artist = self._artist or ""
        if self._links is None:
            off = SendMessage(artist, "studio_links_off")
            return ArtistDecision(state, (off,), inbox_outcome=SIGN_IN)
        link_id = hashlib.sha256(b"artist-sign-in:" + message.message_id.encode()).hexdigest()
        return ArtistDecision(state, self._link(artist, link_id[:32]), inbox_outcome=SIGN_IN)

    def _link(self, artist: str, link_id: str) -> tuple[IssueSignInLink, SendSignInLink]:
        assert self._links is not None
        issued = IssueSignInLink(self._links.token_hash(link_id), LINK_TTL_S)
        return issued, SendSignInLink(artist, link_id)


def _keep(message: MessageReceived) -> KeptMessage:
    if not message.media_id:
        return KeptMessage(message.message_id, message.text)
    return KeptMessage(
        message.message_id, message.text, message.media_id, message.kind, message.filename
    )


def _kept(state: ArtistState, message_id: str) -> KeptMessage | None:
    return next((k for k in state.pending if k.message_id == message_id), None)


def _forward(message: MessageReceived, lead: str, kept: KeptMessage) -> ForwardToLead:
    """The artist's words (kept, or this message's own) to `lead`, under this message's id."""
    replied = ArtistReplied(
        message.message_id,
        lead,
        message.received_at,
        text=kept.text,
        media_id=kept.media_id,
        media_kind=media_kind(kept.kind),
        filename=kept.filename,
    )
    return ForwardToLead(replied, kept.said())
