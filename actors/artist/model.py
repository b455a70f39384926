"""
What the artist's actor reads and returns: its state, events in, its decision out.

The artist is one actor (`ARTIST_KEY`), like a lead: its messages and the studio's own
requests are turns of it, under its lock, with its snapshot, inbox rows and outbox rows.
All frozen dataclasses; time and ids come in on the event. Pure.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from actors.lead.messages import AskWhichLead, SendSignInLink
from actors.lead.model import (
    ArtistActed,
    ArtistReplied,
    MessageReceived,
    Outcome,
    RecordEvent,
    SendMessage,
)
from actors.schedule.time_off import BlockTime, TimeOffBlocked, TimeOffUnblocked, UnblockTime

__all__ = [
    "ARTIST_KEY",
    "ArtistDecision",
    "ArtistEffect",
    "ArtistEvent",
    "ArtistState",
    "ArtistWrote",
    "ForwardToLead",
    "IssueSignInLink",
    "KeptMessage",
    "LeadWaiting",
    "PaymentUnrouted",
    "SignInRequested",
]

# The artist's actor key: its lock, its snapshot, its inbox rows and the outbox lane of
# every message to the artist that is about no one lead (never a lead's number).
ARTIST_KEY = "artist"


@dataclass(frozen=True)
class KeptMessage:
    """The artist's message kept while asking which lead it is for."""

    message_id: str  # its inbox id: the which-lead list's rows name it
    text: str | None = None
    media_id: str | None = None
    kind: str | None = None  # Meta's type of the media item
    filename: str | None = None  # a document's

    def said(self) -> dict[str, Any]:
        """What the inbox keeps as relayed: the words, and the media item when there is one."""
        if not self.media_id:
            return {"text": self.text, "media_id": None}
        said = {"text": self.text, "media_id": self.media_id, "kind": self.kind}
        return {**said, "filename": self.filename} if self.filename else said


@dataclass(frozen=True)
class ArtistState:
    # Messages awaiting a pick from the which-lead list, oldest first (the newest kept).
    pending: tuple[KeptMessage, ...] = ()


@dataclass(frozen=True)
class LeadWaiting:
    """A lead with the artist, as the which-lead list shows it."""

    wa_id: str
    name: str | None
    handle: str = ""  # +phone, else @username, else the BSUID ("": +wa_id)


# -- events ------------------------------------------------------------------------


@dataclass(frozen=True)
class ArtistWrote:
    """A message from the artist's own number.

    `about_lead` is the lead our message it replies to was about (resolved at the edge
    from Meta's id); `waiting` the leads with the artist, read by the turn."""

    message: MessageReceived
    about_lead: str | None = None
    waiting: tuple[LeadWaiting, ...] = ()

    @property
    def message_id(self) -> str:
        return self.message.message_id


@dataclass(frozen=True)
class SignInRequested:
    """The studio page asked for a sign-in link (within its limits, counted at the page),
    named `link_id`: its token and URL are made from the id, never carried or kept."""

    message_id: str
    link_id: str
    received_at: datetime


@dataclass(frozen=True)
class PaymentUnrouted:
    """A verified Stripe event that no lead claims: kept, with a warning beside it."""

    message_id: str
    event_type: str | None
    received_at: datetime


ArtistEvent = ArtistWrote | SignInRequested | PaymentUnrouted | TimeOffBlocked | TimeOffUnblocked


# -- effects -----------------------------------------------------------------------


@dataclass(frozen=True)
class IssueSignInLink:
    """Keep the link's hash, live for `ttl_s`, in the turn that sends it."""

    token_hash: str
    ttl_s: int


ArtistEffect = (
    SendMessage
    | AskWhichLead
    | SendSignInLink
    | RecordEvent
    | IssueSignInLink
    | BlockTime
    | UnblockTime
)


@dataclass(frozen=True)
class ForwardToLead:
    """The message is the lead's business: a turn of that lead's actor takes it whole
    (its inbox row too), so the artist's actor writes nothing for it."""

    event: ArtistActed | ArtistReplied
    said: Mapping[str, Any] | None = None  # the words relayed, kept with the lead's inbox row


@dataclass(frozen=True)
class ArtistDecision:
    state: ArtistState
    effects: tuple[ArtistEffect, ...] = ()
    outcome: Outcome = Outcome.PROCESSED
    forward: ForwardToLead | None = None
    # What the inbox keeps beside the message: its outcome, and the words kept.
    inbox_outcome: str | None = None
    said: Mapping[str, Any] | None = field(default=None)

    @property
    def writes(self) -> bool:
        """Whether the turn has anything to write (a forward or a refusal has not)."""
        return self.forward is None and self.outcome is Outcome.PROCESSED
