"""
The artist's behaviour: `decide(state, event) -> ArtistDecision`. Pure: no I/O, no clock.

A message from the artist's own number never makes the artist a lead:

    a tap on a packet's button (`approve:<wa_id>`)   forwarded to that lead, as the action
    a pick from the which-lead list (`to:<wa_id>:<message id>`)
                                                     forwarded to that lead as the words
                                                     kept when the artist was asked
    a swipe-reply to a message we sent about a lead  forwarded to that lead, as the words
    a deletion, an edit, Meta's system notice         nothing: never relayed, never asked
    anything else                                    nothing is guessed: the message is
                                                     kept (pending) and the artist is asked
                                                     which lead it is for (a list of the
                                                     leads with them)

A forward is the lead's turn, not the artist's: its inbox row is written by that lead's
actor. The studio's own requests are the artist's too: a sign-in link (at most
`LINKS_ALLOWED` per `LINK_TTL_S`, whoever asks, so nobody can flood the artist's phone)
and a payment event that belongs to no lead (kept, with a warning).
"""

from __future__ import annotations

from dataclasses import replace

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
from actors.lead.button_ids import artist_command, relay_pick, relay_row_id
from actors.lead.messages import AskWhichLead
from actors.lead.model import (
    ArtistActed,
    ArtistReplied,
    MessageReceived,
    Outcome,
    RecordEvent,
    SendMessage,
    media_kind,
)

__all__ = ["LINKS_ALLOWED", "LINK_TTL_S", "LIST_ROWS", "ArtistBehaviour"]

LIST_ROWS = WhatsAppLimits.LIST_ROWS  # the which-lead list's rows: WhatsApp's most
PENDING_KEPT = 10  # the artist's messages kept for a pick: as many as a list may offer
LINK_TTL_S = 10 * 60
LINKS_ALLOWED = 5  # sign-in links sent per LINK_TTL_S, whoever asks

ASKED = "asked_which_lead"  # the inbox outcome of a kept message
UNROUTED = "unrouted"  # the inbox outcome of a payment event no lead claims
_NOT_WORDS = frozenset({"revoke", "edit", "system"})  # the artist's, never relayed or asked about


class ArtistBehaviour:
    """The artist's actor's rules, for the artist's number (None: no artist configured)."""

    def __init__(self, artist_number: str | None) -> None:
        self._artist = artist_number

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

    # -- the artist's own messages ------------------------------------------------------

    def _wrote(self, state: ArtistState, wrote: ArtistWrote) -> ArtistDecision:
        message = wrote.message
        reply_id = message.reply_id or ""
        command = artist_command(reply_id)
        if command is not None:
            acted = ArtistActed(
                message.message_id, command.wa_id, command.action, message.received_at
            )
            return ArtistDecision(state, forward=ForwardToLead(acted))
        pick = relay_pick(reply_id)
        kept = _kept(state, pick.message_id) if pick is not None else None
        if pick is not None and kept is not None:
            return ArtistDecision(state, forward=_forward(message, pick.wa_id, kept))
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
        now = int(asked.received_at.timestamp())
        recent = tuple(at for at in state.links_sent if at > now - LINK_TTL_S)
        if self._artist is None or len(recent) >= LINKS_ALLOWED:
            return ArtistDecision(state, outcome=Outcome.NOT_APPLICABLE)
        link = SendMessage(self._artist, "studio_sign_in", {"url": asked.url})
        return ArtistDecision(
            replace(state, links_sent=(*recent, now)),
            (IssueSignInLink(asked.token_hash, LINK_TTL_S), link),
        )


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
