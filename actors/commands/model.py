"""
The commands: everything that reaches the actors from outside, one frozen class each.

Web verifies and parses, builds one of these and hands it to `Actors.handle`; what the
command returns is typed by its class (`Command[R]`). Events of the lead and the artist
are what actors decide on; commands are what the world asks of the service.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar
from uuid import UUID

from actors.commands.results import ActionTaken, ReplyTaken, WhatsAppTaken
from actors.lead import (
    ArtistAction,
    ArtistEchoed,
    ContactSynced,
    MediaKind,
    MessageReceived,
    PreferenceChanged,
)
from actors.page import AdminAnswer, LinkAsked, PasswordAnswer
from actors.providers.stripe.payments import PaymentRef
from actors.queries.calendar_feed import FeedAddress
from actors.runtime.message_ids import echo_message_id
from actors.runtime.turn import TurnOutcome
from storage import RedriveOutcome, StatusReport

__all__ = [
    "ActOnLead",
    "BlockTimeOff",
    "CheckAdminToken",
    "Command",
    "IncomingContact",
    "IncomingEcho",
    "IncomingMessage",
    "IncomingPreference",
    "LeadRef",
    "RecordRefusedItems",
    "RecordRejectedWebhook",
    "RecordUnroutedChange",
    "RedriveDeadLetter",
    "RefusedItem",
    "ReplyToLead",
    "RequestSignInLink",
    "RotateFeedKey",
    "SendFileToLead",
    "SignInWithLink",
    "SignInWithPassword",
    "SignOut",
    "SignOutEverywhere",
    "StripePayment",
    "TakeStripeEvent",
    "TakeWhatsApp",
    "UnblockTimeOff",
]

R = TypeVar("R", covariant=True)

# A lead, as the caller names it: its wa_id (the admin API) or its opaque id (the page).
LeadRef = str | UUID


class Command(Generic[R]):
    """A request to the actors; `R` is what handling it returns."""


# -- from WhatsApp -------------------------------------------------------------------


@dataclass(frozen=True)
class IncomingMessage:
    """One message of a delivery: its event (from a lead or the artist) and what the
    inbox keeps of it (Meta's JSON, as received). `about_id`: Meta's id of the message
    it replies or reacts to, looked up among ours when the message is handled."""

    event: MessageReceived
    record: dict[str, Any]


@dataclass(frozen=True)
class IncomingPreference:
    event: PreferenceChanged
    record: dict[str, Any]


@dataclass(frozen=True)
class IncomingEcho:
    """The artist's message from the WhatsApp Business app (`smb_message_echoes`), as
    Meta echoed it: whom it went to (`to`, the phone, or `to_user_id`, the BSUID; the
    intake finds the lead by them) and what it said."""

    wamid: str
    to: str | None
    to_user_id: str | None
    sent_at: int  # Meta's timestamp, seconds since the epoch
    received_at: datetime
    kind: str
    text: str | None
    media_id: str | None
    original_id: str | None  # an echoed edit's or deletion's
    record: dict[str, Any]

    def event(self, lead_key: str) -> ArtistEchoed:
        return ArtistEchoed(
            echo_message_id(self.wamid),
            lead_key,
            self.sent_at,
            self.received_at,
            self.kind,
            text=self.text,
            media_id=self.media_id,
            original_id=self.original_id,
        )


@dataclass(frozen=True)
class IncomingContact:
    """A contact of the Business app's address book (`smb_app_state_sync`): taken only
    for a lead that exists (a contact never makes a lead)."""

    event: ContactSynced
    record: dict[str, Any]


@dataclass(frozen=True)
class TakeWhatsApp(Command[WhatsAppTaken]):
    """One signed delivery from Meta (the items that parse). Returns what it held, by
    outcome, and the items whose turn failed on a bug, to be refused."""

    messages: tuple[IncomingMessage, ...]
    preferences: tuple[IncomingPreference, ...]
    statuses: tuple[StatusReport, ...]
    correlation_id: str
    echoes: tuple[IncomingEcho, ...] = ()
    contacts: tuple[IncomingContact, ...] = ()


# -- from Stripe ---------------------------------------------------------------------


@dataclass(frozen=True)
class StripePayment:
    """What a verified Stripe event says about a payment."""

    event_id: str
    event_type: str
    livemode: bool
    session_id: str | None
    payment_status: str | None
    amount: int | None
    currency: str | None
    payment_intent: str | None
    claimed_lead_id: str | None  # the lead id our session's metadata carries


@dataclass(frozen=True)
class TakeStripeEvent(Command[str]):
    """One verified Stripe event. Returns its outcome, or "unrouted" (no lead's)."""

    payment: StripePayment
    ref: PaymentRef
    record: dict[str, Any]
    correlation_id: str


# -- the artist's actions (the studio page, the admin API) ----------------------------


@dataclass(frozen=True)
class ActOnLead(Command[ActionTaken | None]):
    """The artist's action on a lead: a turn of its actor (None: no such lead)."""

    lead: LeadRef
    action: ArtistAction
    correlation_id: str
    deposit_amount: int | None = None  # an approval's own deposit, in minor units
    session_minutes: int | None = None  # an approval's session length (appointments on)
    refund_amount: int | None = None  # a refund's amount, in minor units; None: all that is left
    refund_number: int | None = None  # the page's form: which refund it is (once, however posted)
    quote: int | None = None  # an approval's price of the piece, in minor units
    sessions: int | None = None  # an approval's sessions of the piece (1-10)
    starts_at: int | None = None  # a Set time's new start, epoch seconds


@dataclass(frozen=True)
class BlockTimeOff(Command[TurnOutcome]):
    """Time off from the page: a turn of the artist's actor; no slot is offered in it."""

    starts_at: datetime
    ends_at: datetime
    note: str
    correlation_id: str


@dataclass(frozen=True)
class UnblockTimeOff(Command[TurnOutcome]):
    """The page's Unblock of a time off: a turn of the artist's actor."""

    time_off_id: int
    correlation_id: str


@dataclass(frozen=True)
class ReplyToLead(Command[ReplyTaken | None]):
    """The artist's words to a lead: a turn of its actor (None: no such lead)."""

    lead: LeadRef
    text: str
    correlation_id: str | None = None


@dataclass(frozen=True)
class SendFileToLead(Command[ReplyTaken | None]):
    """A file the artist sends a lead from the page (a design picture, a PDF): kept in
    Postgres, then a reply of the lead's actor carrying it, uploaded to Graph as it goes
    (None: no such lead). The web checked its type and size against Meta's limits."""

    lead: LeadRef
    content: bytes
    mime_type: str
    kind: MediaKind  # image or document
    filename: str | None = None  # a document's name, as the lead will see it
    caption: str = ""
    correlation_id: str | None = None
    design: bool = False  # a picture sent as a design for approval (the caption: its note)


@dataclass(frozen=True)
class RedriveDeadLetter(Command[RedriveOutcome]):
    """Put a dead letter back in the outbox."""

    outbox_id: int
    correlation_id: str | None


@dataclass(frozen=True)
class RotateFeedKey(Command[FeedAddress]):
    """A new key for the artist's calendar feed (`KeyFromSettings` when it is fixed)."""


# -- the studio page's door ----------------------------------------------------------


@dataclass(frozen=True)
class RequestSignInLink(Command[LinkAsked]):
    """A one-time sign-in link to the artist's WhatsApp: a turn of the artist's actor,
    within the page's limit for the client address."""

    correlation_id: str
    address: str


@dataclass(frozen=True)
class SignInWithLink(Command[str | None]):
    """Spend a link, start a session: its id, or None (unknown, spent or expired)."""

    token: str = field(repr=False)  # a secret: never in a log line or a traceback


@dataclass(frozen=True)
class SignInWithPassword(Command[PasswordAnswer]):
    """The password, from a client address: how it went, and the session id if accepted."""

    presented: str = field(repr=False)
    address: str


@dataclass(frozen=True)
class SignOut(Command[None]):
    session_id: str = field(repr=False)


@dataclass(frozen=True)
class SignOutEverywhere(Command[int]):
    """End every session of the studio page (how many ended)."""


@dataclass(frozen=True)
class CheckAdminToken(Command[AdminAnswer]):
    """A bearer token presented to the admin API (or /metrics, /openapi.json), from a
    client address: checked within the limit."""

    presented: str = field(repr=False)
    address: str


# -- refusals ------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordUnroutedChange(Command[None]):
    """A WhatsApp change for a number that is no enabled studio's: acknowledged (Meta's
    webhook is every studio's, and its retries would slow them all), kept as a
    (throttled) system event, never a lead. `kind`: unknown_phone_number_id or
    studio_disabled."""

    kind: str
    phone_number_id: str
    correlation_id: str | None


@dataclass(frozen=True)
class RecordRejectedWebhook(Command[None]):
    """A webhook refused for its signature, kept as a (throttled) system event."""

    route: str
    reason: str
    correlation_id: str | None


@dataclass(frozen=True)
class RefusedItem:
    """One item of a webhook that cannot be taken: its list (`messages`, ...), the fields
    at fault (or the error's class), and its JSON text exactly as it came."""

    field: str
    reason: str
    raw: str


@dataclass(frozen=True)
class RecordRefusedItems(Command[None]):
    """Keep a delivery's refused items (`GET /admin/refused`), so the rest is answered."""

    route: str
    items: tuple[RefusedItem, ...]
    correlation_id: str | None
