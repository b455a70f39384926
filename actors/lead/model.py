"""
What a lead's behaviour reads and returns: state, events in, effects out.

All frozen dataclasses. Events are past tense, effects imperative. Time and ids come
in on the event: the behaviour never asks a clock or a random source.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from actors.lead.consent_state import Consent
from actors.lead.designs_record import Designs
from actors.lead.messages import (
    AskQuestion,
    AskWhatToEdit,
    AskWhichLead,
    ConfirmBooking,
    ConfirmCancellation,
    ConfirmOptOut,
    MediaKind,
    Message,
    OfferSlots,
    ReaskQuestion,
    RelayReply,
    SendBookingNotice,
    SendDepositLink,
    SendMedia,
    SendMessage,
    SendPacket,
    SendSummary,
    WhatsAppMessage,
    media_kind,
)
from actors.lead.status import Status

__all__ = [
    "Answer",
    "ArmedTimer",
    "ArtistActed",
    "ArtistAction",
    "ArtistEchoed",
    "ArtistReplied",
    "AskQuestion",
    "AskWhatToEdit",
    "AskWhichLead",
    "Calendar",
    "CancelTimer",
    "ClaimSlot",
    "ConfirmBooking",
    "ConfirmCancellation",
    "ConfirmOptOut",
    "ContactSynced",
    "Decision",
    "DeliveryFailed",
    "Deposit",
    "DepositLinkCreated",
    "DepositSession",
    "Effect",
    "Event",
    "ExtendHold",
    "FetchMedia",
    "KeepConsent",
    "LeadState",
    "MarkRead",
    "MediaKind",
    "Message",
    "MessageReceived",
    "OfferSlots",
    "OrderLine",
    "Outcome",
    "PaymentEventReceived",
    "PreferenceChanged",
    "ReaskQuestion",
    "RecordDepositSession",
    "RecordEvent",
    "RecordPaymentIntent",
    "RefundDeposit",
    "RelayReply",
    "ReleaseSlot",
    "RequestDepositLink",
    "ScheduleTimer",
    "SendBookingNotice",
    "SendDepositLink",
    "SendMedia",
    "SendMessage",
    "SendPacket",
    "SendSummary",
    "SystemNotice",
    "TimerFired",
    "TimerKind",
    "Visit",
    "WhatsAppMessage",
    "media_kind",
]

MEDIA_ANSWER = "media"
SKIPPED_ANSWER = "skip"


@dataclass(frozen=True)
class Answer:
    """One answer as given; several per question are normal (edits, resumes)."""

    question: str
    value: str  # text, an option id, MEDIA_ANSWER or SKIPPED_ANSWER
    message_id: str
    seq: int  # the lead's own answer counter: the one deterministic order of answers
    media_id: str | None = None
    media_kind: MediaKind = MediaKind.IMAGE  # with media_id: a picture, or a document


class Deposit(StrEnum):
    """Where the lead's deposit stands, as the artist and the Sheet see it."""

    NONE = "none"
    REQUESTED = "requested"  # approved; the Checkout link is being made
    LINK_SENT = "link_sent"
    PAID = "paid"
    EXPIRED = "expired"  # every link lapsed
    REFUND_REQUESTED = "refund_requested"  # we asked Stripe to refund it
    REFUNDED = "refunded"
    DISPUTED = "disputed"


@dataclass(frozen=True)
class DepositSession:
    """A Checkout Session we issued to this lead."""

    attempt: int
    session_id: str
    url: str
    expires_at: int  # seconds since the epoch


class TimerKind(StrEnum):
    STALE = "stale"  # silence while qualifying or confirming
    ABANDON = "abandon"  # silence after going stale
    DEPOSIT_REMINDER = "deposit_reminder"  # the Checkout link is about to expire
    VISIT_REMINDER = "visit_reminder"  # the next reminder of a booked appointment
    VISIT_DONE = "visit_done"  # the appointment is over: aftercare
    VISIT_ENDED = "visit_ended"  # at its end: the artist is asked Came / No-show
    HEALED_PHOTO = "healed_photo"  # weeks later: a photo of the healed tattoo, please
    CONSENT_ASK = "consent_ask"  # STUDIO_FILE's consent_ask_minutes_before the start
    CONSENT_REMINDER = "consent_reminder"  # consent still missing, shortly before the start


@dataclass(frozen=True)
class ArmedTimer:
    kind: TimerKind
    due_at: int  # seconds since the epoch


@dataclass(frozen=True)
class Visit:
    """The lead's time: held while the deposit link lives, then booked."""

    starts_at: int  # seconds since the epoch
    ends_at: int


@dataclass(frozen=True)
class LeadState:
    wa_id: str
    status: Status = Status.NEW
    name: str | None = None
    current_question: str | None = None  # the question awaiting an answer
    answers: tuple[Answer, ...] = ()
    failed_attempts: int = 0  # failed validations of the current question
    editing: bool = False  # answering one question again from the summary
    follow_up: str | None = None  # the option of current_question whose follow-up is asked
    resume_status: Status | None = None  # where a handover or silence left the lead
    pilot_notified: bool = False
    deposit_attempt: int = 0
    deposit: Deposit = Deposit.NONE
    deposit_sessions: tuple[DepositSession, ...] = ()
    payment_intent: str | None = None
    deposit_reminded: bool = False  # the reminder for the latest link went out
    deposit_amount: int | None = None  # set by the approval (minor units); None: the policy's
    # What Stripe took and what we asked it to give back (the studio currency's minor units):
    paid_amount: int | None = None
    refunded_amount: int = 0  # every refund asked for, partial ones added up
    refunds_asked: int = 0  # numbers each refund: its idempotency key is the lead's and this
    timers: tuple[ArmedTimer, ...] = ()  # armed and not yet fired
    last_message_ts: int = 0  # provider timestamp (s) of the newest message applied
    marketing: str | None = None  # Meta's user_preferences: "stop" or "resume"; None: never said
    # Appointments (STUDIO_FILE):
    session_minutes: int = 0  # the session's length, set when the artist approves
    visit: Visit | None = None  # held (BOOKING_PENDING) or booked (BOOKED, DONE)
    rescheduling: bool = False  # booked, and picking a new time
    passed_on: bool = False  # picking a time, words went to the artist: the holding line said
    range_asked: bool = False  # "None of these": the next words may be the waitlist's days
    waitlist: tuple[str, str, int] | None = None  # WAITLISTED: first, last day (ISO), joined (s)
    offered_freed: tuple[int, ...] = ()  # freed times offered (starts) and not yet gone
    artist_move: bool = False  # that pick was offered by the artist: no reschedule counted
    reschedules: int = 0
    reminded: tuple[int, ...] = ()  # reminder offsets (minutes) already sent for `visit`
    healed_asked: bool = False
    # A piece (the approval's): its price, and the sessions it takes (STUDIO_FILE's
    # `policy:`): the deposit is paid once and comes off the final price.
    quote: int | None = None  # minor units; None: no quote given
    sessions: int = 1
    session_number: int = 0  # the session booked (or last done): 1..sessions; 0: none yet
    kept_amount: int = 0  # a no-show's deposit the studio keeps (minor units)
    drawing_fee: int | None = None  # the policy's, at approval: charged with the deposit
    # `deposit_each_session`: what the piece's earlier sessions' deposits left paid (their
    # payments', less refunds; `paid_amount` is then the latest session's), and the link
    # attempts before this session's (its own two links count from there).
    earlier_paid: int = 0
    links_before: int = 0
    next_paid: bool = False  # ... a later session's deposit paid after its held time went
    outcome_asked: int = 0  # the visit (its start) the artist was asked Came / No-show about
    # When the copy's `unsupported` line was last said (seconds since the epoch, the
    # event's own time): at most once a day, whatever the lead keeps sending.
    unsupported_said_at: int = 0
    # Who the lead is, as WhatsApp last named them (`actors.lead.identity`); a lead from
    # before these were kept has its phone as its key (`wa_id`) and None here.
    phone: str | None = None
    user_id: str | None = None
    parent_user_id: str | None = None
    username: str | None = None
    consent: Consent | None = None  # STUDIO_FILE's `consent: true`: before the appointment
    designs: Designs = field(default_factory=Designs)  # the artist's designs, the answers


@dataclass(frozen=True)
class OrderLine:
    """One product of a lead's WhatsApp order, as Meta wrote it."""

    product_retailer_id: str
    quantity: str
    item_price: str
    currency: str


@dataclass(frozen=True)
class SystemNotice:
    """Meta's `type: system` message: a number or a BSUID changed (or some other notice)."""

    type: str  # user_changed_number, user_changed_user_id, ...
    new_wa_id: str | None = None
    new_user_id: str | None = None
    previous_user_id: str | None = None
    new_parent_user_id: str | None = None
    previous_parent_user_id: str | None = None


@dataclass(frozen=True)
class MessageReceived:
    """A WhatsApp message from the lead's number."""

    message_id: str
    wa_id: str
    sent_at: int  # Meta's timestamp, seconds since the epoch
    received_at: datetime
    # Meta's message type: text, interactive, button, image, sticker, reaction, revoke,
    # edit, order, system, ...; a Flow's reply (an interactive nfm_reply) is `nfm_reply`.
    kind: str
    text: str | None = None  # the text, a media item's caption, or a reaction's emoji
    reply_id: str | None = None  # id of the button or list row picked
    media_id: str | None = None
    profile_name: str | None = None
    context_id: str | None = None  # Meta's id of the message this one replies or reacts to
    # The copy key of our message that `context_id` names, when it is ours (resolved at
    # the edge from the outbox): what a reaction or a reply is about.
    about_key: str | None = None
    mime_type: str | None = None  # of the media item, as Meta described it
    sha256: str | None = None  # of the media item's bytes, as Meta described it
    filename: str | None = None  # of a document, as the sender named it
    # A revoke's or an edit's: Meta's id of the lead's message it deletes or changes.
    original_id: str | None = None
    form: tuple[tuple[str, str], ...] = ()  # a Flow reply's fields (kind nfm_reply)
    order: tuple[OrderLine, ...] = ()  # an order's products (kind order; text: its note)
    system: SystemNotice | None = None  # kind system
    # Who wrote, as this message named them (`wa_id` above is the lead's key, which the
    # door found from these): phone, BSUID, parent BSUID, WhatsApp username.
    phone: str | None = None
    user_id: str | None = None
    parent_user_id: str | None = None
    username: str | None = None


class ArtistAction(StrEnum):
    APPROVE = "approve"
    DECLINE = "decline"
    TAKE_OVER = "take_over"
    HAND_BACK = "hand_back"
    RESUME = "resume"
    OPT_OUT = "opt_out"
    CANCEL = "cancel"  # the booked appointment, refunding the deposit
    REFUND = "refund"  # some or all of a paid deposit back, whatever the status
    NO_SHOW = "no_show"  # the lead did not come: the policy keeps (or refunds) the deposit
    CAME = "came"  # the lead came: the artist's answer at the appointment's end, recorded
    OFFER_TIMES = "offer_times"  # free times again (a booked lead: to move it), the page's
    SET_TIME = "set_time"  # the artist sets the time (`starts_at`): moved, or held to pay


@dataclass(frozen=True)
class ArtistActed:
    """The artist (a button on their WhatsApp, or the admin API) acted on this lead."""

    message_id: str
    wa_id: str  # the lead acted on
    action: ArtistAction
    received_at: datetime
    via: str = "whatsapp"  # whatsapp | admin
    deposit_amount: int | None = None  # an approval's own deposit (minor units); None: policy's
    session_minutes: int | None = None  # with APPROVE: other than the studio's default
    quote: int | None = None  # with APPROVE: the piece's price (minor units), kept as the final
    sessions: int | None = None  # with APPROVE: the sessions the piece takes (1-10)
    refund_amount: int | None = None  # with REFUND (minor units); None: all that is left
    # With REFUND from a form: the refund it was shown as (refunds_asked + 1 then); a form
    # posted again, or after another refund, names a number already used and does nothing.
    refund_number: int | None = None
    starts_at: int | None = None  # with SET_TIME: the new start, epoch seconds
    # A WhatsApp tap on Decline, Cancel + refund or No-show asks first (False); its
    # "Yes, ..." button, the page's confirmed form and the admin API act (True).
    confirmed: bool = True


@dataclass(frozen=True)
class DepositLinkCreated:
    """Stripe made the Checkout Session we asked for (attempt `attempt`)."""

    message_id: str
    wa_id: str
    attempt: int
    session_id: str
    url: str
    expires_at: int  # seconds since the epoch
    received_at: datetime


@dataclass(frozen=True)
class PaymentEventReceived:
    """A verified Stripe event about this lead's deposit, as Stripe described it."""

    message_id: str
    wa_id: str
    event_id: str
    event_type: str
    received_at: datetime
    livemode: bool
    session_id: str | None = None
    payment_status: str | None = None
    amount: int | None = None  # minor units; charge.refunded: the amount refunded so far
    currency: str | None = None
    payment_intent: str | None = None
    metadata_lead_matches: bool = True  # the cross-check of metadata.lead_id


@dataclass(frozen=True)
class TimerFired:
    """A durable timer came due; it only acts if it is still the one armed."""

    message_id: str
    wa_id: str
    timer_id: int
    kind: TimerKind
    due_at: int
    received_at: datetime


@dataclass(frozen=True)
class ArtistReplied:
    """The artist wrote to this lead through the business number: a swipe-reply to a
    packet or forward, a pick from the list of leads, or the admin API."""

    message_id: str
    wa_id: str  # the lead written to
    received_at: datetime
    text: str | None = None
    media_id: str | None = None
    media_kind: MediaKind = MediaKind.IMAGE  # with media_id: what Meta said it is
    filename: str | None = None  # of a document
    via: str = "whatsapp"  # whatsapp | admin
    design: bool = False  # the studio page's "Send as design for approval"


@dataclass(frozen=True)
class DeliveryFailed:
    """Meta reported that one of our messages to (or about) this lead failed."""

    message_id: str
    wa_id: str
    outbox_id: int
    error_code: str | None
    effect: Message | None  # what the failed row carried
    received_at: datetime


@dataclass(frozen=True)
class PreferenceChanged:
    """Meta's user_preferences webhook: the lead stopped or resumed marketing messages."""

    message_id: str
    wa_id: str
    category: str  # marketing_messages
    value: str  # stop | resume
    received_at: datetime


@dataclass(frozen=True)
class ArtistEchoed:
    """The artist wrote to this lead from the WhatsApp Business app on the business
    number (Meta's coexistence, `smb_message_echoes`): already sent by WhatsApp, so only
    recorded, and the bot stops talking over the artist."""

    message_id: str
    wa_id: str  # the lead written to
    sent_at: int  # Meta's timestamp, seconds since the epoch
    received_at: datetime
    kind: str  # Meta's type: text, image, ..., edit, revoke
    text: str | None = None  # the text or a media item's caption
    media_id: str | None = None
    original_id: str | None = None  # an edit's or a revoke's: the echoed message it changes


@dataclass(frozen=True)
class ContactSynced:
    """The Business app's address book named this lead's number (`smb_app_state_sync`)."""

    message_id: str
    wa_id: str  # the contact's phone number
    action: str  # add | edit | remove
    name: str | None  # full_name, else first_name
    received_at: datetime


@dataclass(frozen=True)
class SlotFreed:
    """A time another lead held or booked is free again (the waitlist's deliverer)."""

    message_id: str
    wa_id: str  # the waitlisted lead told
    starts_at: int  # epoch seconds
    ends_at: int
    received_at: datetime
    taken: bool = False  # gone again: a lead offered it is told, once


@dataclass(frozen=True)
class ConsentDeleted:
    """A consent record was deleted after its retention (the daily job): the lead's own
    state forgets its answers too."""

    message_id: str
    wa_id: str
    appointment_start: int  # epoch seconds: the record's appointment
    received_at: datetime


Event = (
    MessageReceived
    | ArtistActed
    | ArtistReplied
    | ArtistEchoed
    | ContactSynced
    | DepositLinkCreated
    | PaymentEventReceived
    | TimerFired
    | DeliveryFailed
    | PreferenceChanged
    | SlotFreed
    | ConsentDeleted
)


@dataclass(frozen=True)
class MarkRead:
    """Mark the lead's message read, with the typing indicator, before the reply goes.

    The behaviour now asks for it on the reply itself (`WhatsAppMessage.mark_read`); rows of
    this kind queued before that change are still delivered."""

    to: str
    wamid: str  # Meta's id of the lead's message


@dataclass(frozen=True)
class FetchMedia:
    """Fetch a media item the lead sent from Meta and keep it (with its caption)."""

    wa_id: str
    media_id: str
    message_id: str  # the inbox id of the message that carried it
    mime_type: str | None = None
    caption: str | None = None
    sha256: str | None = None  # what Meta says the bytes hash to


@dataclass(frozen=True)
class RequestDepositLink:
    """Ask the deposit capability for a Checkout link for this lead's `attempt`."""

    wa_id: str
    attempt: int
    amount: int | None = None  # minor units; None: the configured deposit
    drawing_fee: int | None = None  # minor units: its own line, never refunded; None: none


@dataclass(frozen=True)
class RefundDeposit:
    """Give the lead's deposit back through Stripe's Refund API.

    `idempotency_key` is Stripe's: every delivery of this refund (retries, a second
    outbox row for the same cancellation) sends it, so Stripe makes one refund at most.
    """

    lead_key: str
    payment_intent: str
    amount: int  # minor units
    currency: str
    idempotency_key: str


@dataclass(frozen=True)
class MirrorLead:
    """Bring the lead's row in the Sheet up to date (the runtime adds it, not `decide`:
    the row is read from the lead as it is when delivered, so it is never stale)."""

    wa_id: str


@dataclass(frozen=True)
class RecordEvent:
    """Write a system event (info / warn / error) in the turn's transaction."""

    level: str
    kind: str
    detail: Mapping[str, str | int | bool | None] = field(default_factory=dict)


@dataclass(frozen=True)
class RecordDepositSession:
    """Remember a Checkout Session we issued, so Stripe's events can be routed to us."""

    session_id: str
    attempt: int
    url: str
    expires_at: int


@dataclass(frozen=True)
class RecordPaymentIntent:
    """Link the session to its payment intent, so refunds and disputes find the lead."""

    session_id: str
    payment_intent: str


@dataclass(frozen=True)
class ScheduleTimer:
    """Arm (or re-arm) this lead's timer of `kind`, replacing any pending one."""

    kind: TimerKind
    due_at: int


@dataclass(frozen=True)
class CancelTimer:
    kind: TimerKind


@dataclass(frozen=True)
class ClaimSlot:
    """Take this time for the lead in the turn (a hold, or the appointment), releasing
    its own earlier one; the database refuses it if another lead's overlaps."""

    kind: str  # 'hold' | 'appointment'
    starts_at: int  # seconds since the epoch
    ends_at: int
    blocked_until: int  # ends_at plus the studio's buffer
    expires_at: int | None = None  # a hold's


@dataclass(frozen=True)
class ExtendHold:
    """The lead's live hold now lapses at `expires_at` (its deposit link's life, and a
    grace); a hold already lapsed and taken by another lead stays theirs."""

    expires_at: int  # seconds since the epoch


@dataclass(frozen=True)
class ReleaseSlot:
    """The lead's hold or appointment stops blocking its time."""

    cancelled: bool = False


@dataclass(frozen=True)
class KeepConsent:
    """Keep the lead's consent record (complete, or refused for a minor) in the turn:
    storage adds our questions' WhatsApp ids and seals it with its SHA-256."""

    status: str  # complete | refused_minor
    record: Mapping[str, object]  # PRODUCT.md's record, but our messages' ids
    appointment_start: int  # seconds since the epoch
    retain_until: str  # YYYY-MM-DD


@dataclass(frozen=True)
class NotifyWaitlist:
    """A held or booked time stopped being taken: waitlisted leads whose days cover it are
    told, each by a turn of their own (the outbox's "waitlist" channel)."""

    starts_at: int  # epoch seconds
    ends_at: int
    taken: bool = False  # a waitlisted lead took it: the others offered it are told


@dataclass(frozen=True)
class Calendar:
    """What the turn read for the behaviour: other leads' live holds and appointments
    (start, blocked until) and the artist's busy times, as aware datetimes."""

    taken: tuple[tuple[datetime, datetime], ...] = ()
    busy: tuple[tuple[datetime, datetime], ...] = ()


Effect = (
    Message
    | MarkRead
    | FetchMedia
    | ScheduleTimer
    | CancelTimer
    | RequestDepositLink
    | RecordEvent
    | RecordDepositSession
    | RecordPaymentIntent
    | ClaimSlot
    | ReleaseSlot
    | ExtendHold
    | RefundDeposit
    | KeepConsent
    | NotifyWaitlist
)


# What leaves through the outbox, delivered after commit (the rest is written in the turn).
OutboxEffect = (
    Message
    | MarkRead
    | FetchMedia
    | RequestDepositLink
    | RefundDeposit
    | MirrorLead
    | NotifyWaitlist
)


class Outcome(StrEnum):
    PROCESSED = "processed"
    OUT_OF_ORDER = "out_of_order"
    NOT_APPLICABLE = "not_applicable"  # e.g. an approval for a lead already handled


@dataclass(frozen=True)
class Decision:
    state: LeadState
    effects: tuple[Effect, ...] = ()
    outcome: Outcome = Outcome.PROCESSED
