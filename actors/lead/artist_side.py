"""
The artist's side of a lead's conversation: who the lead is, what reaches the artist
while the bot is silent, and what the artist writes to the lead. Pure.

    who            the lead as the artist sees it: name, full number, wa.me link
                   (masking is for logs, never for the artist)
    tell           an edit, a Flow's reply or an order, in the copy's words for it
    forward        a lead's message while the bot stays silent goes to the artist once,
                   as "<name>: <text>" (media as media of its own kind: a voice note or
                   a sticker takes no caption, so who sent it goes just before), from
                   the business number, so the artist can swipe-reply to it
    reply          the artist's text goes to the lead from the business number: free
                   text inside WhatsApp's 24 hours since the lead's last message,
                   outside them the configured template, or nothing (the artist is told
                   why); a bot still asking questions falls silent first

The 24 hours are judged on the event's time against the lead's last message; the relay
judges them again at delivery, so a reply that crosses the line goes as the template
(or is withheld), never free-form outside the window.
"""

from __future__ import annotations

from dataclasses import replace

from actors.lead.identity import who as _who_of
from actors.lead.messages import RelayReply
from actors.lead.model import (
    ArtistReplied,
    Decision,
    Effect,
    LeadState,
    MessageReceived,
    RecordEvent,
    SendMedia,
    SendMessage,
    media_kind,
)
from actors.lead.script import Policy
from actors.lead.status import Status
from actors.lead.transitions import move

__all__ = [
    "REPLY_KEY",
    "WINDOW_S",
    "ArtistSide",
    "inside_window",
    "reply_not_sent",
    "reply_recorded",
    "tell_artist",
    "who",
]

S = Status
WINDOW_S = 24 * 3600  # WhatsApp's customer service window
REPLY_KEY = "artist_reply"  # the artist's words to a lead; a template may stand for it
_REPLY_MEDIA_KEY = "artist_reply_media"
# A media id naming a file the artist sent from the studio page, kept in Postgres
# (`studio_files` row): the WhatsApp sender uploads it to Graph at send time.
STUDIO_FILE_PREFIX = "studio-file:"
_FORWARD_MEDIA_KEY = "artist_forward_media"
_FORWARD_FROM_KEY = "artist_forward_media_from"  # who sent the voice note or sticker after it

# Where the lead's messages reach no one but the artist: the bot is not talking.
SILENT = frozenset({S.PENDING_APPROVAL, S.NEEDS_ARTIST_REPLY, S.BOOKING_PENDING})
SILENT |= {S.BOOKED, S.REJECTED, S.DONE, S.NO_SHOW, S.WAITLISTED}
# Where the bot is still asking: the artist writing in takes the conversation over.
_BOT_TALKING = frozenset({S.NEW, S.QUALIFYING, S.CONFIRMING, S.STALE})


def who(state: LeadState) -> dict[str, str]:
    """The lead as every message to the artist names them (`actors.lead.identity`)."""
    return _who_of(state)


class ArtistSide:
    """Forwards to the artist and the artist's replies, for one configuration."""

    def __init__(self, policy: Policy) -> None:
        self._policy = policy

    def forward(self, state: LeadState, message: MessageReceived) -> tuple[Effect, ...]:
        """The lead's message, to the artist (nothing when there is no artist number)."""
        artist = self._policy.artist_number
        if artist is None or artist == state.wa_id:
            return ()
        params = {**who(state), "text": message.text or ""}
        if message.media_id:
            kind = media_kind(message.kind)
            forward = SendMedia(
                artist,
                message.media_id,
                _FORWARD_MEDIA_KEY,
                params,
                kind=kind,
                filename=message.filename,
            )
            if kind.takes_caption:
                return (forward,)
            # A voice note or a sticker takes no caption: who sent it goes just before.
            return (SendMessage(to=artist, key=_FORWARD_FROM_KEY, params=who(state)), forward)
        if not message.text:  # a location, a contact card, a tap on an old button...
            params["kind"] = message.kind
            return (SendMessage(to=artist, key="artist_forward_unreadable", params=params),)
        return (SendMessage(to=artist, key="artist_forward", params=params),)

    def tell(self, state: LeadState, key: str, **params: str) -> tuple[Effect, ...]:
        """A forward of the copy's `key` about the lead (an edit, a form, an order)."""
        return tell_artist(self._policy.artist_number, state, key, **params)

    def reply(self, state: LeadState, replied: ArtistReplied) -> Decision:
        """The artist's words, to the lead, if WhatsApp lets them go."""
        text = (replied.text or "").strip()
        if not text and not replied.media_id:
            return reply_not_sent(state, replied, self._policy.artist_number, "reason_unreadable")
        if state.status is S.OPTOUT:
            return reply_not_sent(state, replied, self._policy.artist_number, "reason_opted_out")
        inside = inside_window(state, replied)
        if not inside and REPLY_KEY not in self._policy.templated:
            return reply_not_sent(state, replied, self._policy.artist_number, "reason_window")
        if state.status in _BOT_TALKING:
            resume = S.QUALIFYING if state.status in (S.NEW, S.STALE) else state.status
            state = replace(move(state, S.NEEDS_ARTIST_REPLY, replied), resume_status=resume)
        words = RelayReply(state.wa_id, text)
        messages: tuple[Effect, ...] = (words,)
        if replied.media_id:
            kind = replied.media_kind
            media = SendMedia(
                state.wa_id,
                replied.media_id,
                _REPLY_MEDIA_KEY,
                {"text": text},
                kind=kind,
                filename=replied.filename,
            )
            # Words on a voice note or a sticker cannot ride as its caption: said first.
            messages = (words, media) if text and not kind.takes_caption else (media,)
        delivery = "free_text" if inside else "template"
        return Decision(state, (*messages, reply_recorded(replied, delivery)))


def tell_artist(
    artist_number: str | None, state: LeadState, key: str, **params: str
) -> tuple[Effect, ...]:
    """The copy's `key` about the lead, to the artist (none without one, or when the
    lead is the artist's own number)."""
    if artist_number is None or artist_number == state.wa_id:
        return ()
    return (SendMessage(to=artist_number, key=key, params={**who(state), **params}),)


def inside_window(state: LeadState, replied: ArtistReplied) -> bool:
    """Whether the artist's reply falls inside WhatsApp's 24-hour window."""
    if state.last_message_ts == 0:
        return True  # never heard from them here: Meta judges, as the relay does
    return int(replied.received_at.timestamp()) - state.last_message_ts < WINDOW_S


def reply_not_sent(
    state: LeadState,
    replied: ArtistReplied,
    artist_number: str | None,
    reason: str,
    *,
    design: bool = False,
) -> Decision:
    """Not sent (the page says why; the artist on WhatsApp is told)."""
    effects: list[Effect] = []
    if artist_number is not None and replied.via == "whatsapp":
        params = {**who(state), "reason": reason}
        effects.append(SendMessage(to=artist_number, key="artist_reply_not_sent", params=params))
    effects.append(reply_recorded(replied, "not_sent", reason, design=design))
    return Decision(state, tuple(effects))


def reply_recorded(
    replied: ArtistReplied, delivery: str, reason: str | None = None, *, design: bool = False
) -> RecordEvent:
    """The event the admin API and the studio page read the reply's fate from (a design
    offered from a reply says so)."""
    level = "warn" if delivery == "not_sent" else "info"
    detail = {"message_id": replied.message_id, "via": replied.via, "delivery": delivery}
    if design:
        return RecordEvent(level, "artist_replied", {**detail, "reason": reason, "design": True})
    return RecordEvent(level, "artist_replied", {**detail, "reason": reason})
