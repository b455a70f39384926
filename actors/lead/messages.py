"""
The messages the lead's behaviour sends on WhatsApp: one frozen class per kind, with
exactly its fields. Pure data.

    SendMessage          a copy message as written: its key, its placeholders' values
    AskQuestion          a question of the script, or its option's follow-up
    ReaskQuestion        the same question again, after an answer it could not take
    SendSummary          the lead's answers, with Yes / Edit
    AskWhatToEdit        the list of questions, to pick the answer to change
    ConfirmOptOut        the one message that reaches a number that opted out
    SendPacket           the lead's answers to the artist, with buttons acting on the lead
    SendBookingNotice    to the artist: a time is booked, with Cancel for that lead
    AskVisitOutcome      to the artist at an appointment's end: Came / No-show for that lead
    AskArtistToConfirm   to the artist, after a tap on Decline, Cancel + refund or No-show:
                         what will happen (money included), "Yes, ..." / "Keep"
    OfferSlots           free times as a list to pick from (none: the lead waits)
    SendDepositLink      the Checkout link, with the deposit policy after it
    ConfirmBooking       the deposit is paid: booked (at a time, with appointments)
    ConfirmCancellation  the appointment is cancelled: refunded, or forfeit
    ConfirmSession       a later session of a piece is booked (the last: the balance)
    AskWhichLead         to the artist: which of their leads a message is for
    RelayReply           the artist's words, to the lead from the business number
    SendMedia            a media item forwarded as what it is
    SendSignInLink       to the artist: a studio page sign-in link, named by its id
    OfferDesign          the artist's design, a picture with Approve / Ask for changes

What every kind carries to be delivered (the recipient, the read receipt it goes with,
whether it goes as its template) is `WhatsAppMessage`'s. Each kind's `key` is the copy
message it renders, made from its type and fields: the composer dispatches on the
type and never parses a key back; storage and the studio page index messages by it.
A new kind is a class here (with its `tag`) and a member of `Message`: the codec
(`actors.lead.message_codec`) writes and reads it from its fields' types.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import KW_ONLY, dataclass, field
from enum import StrEnum
from typing import ClassVar

__all__ = [
    "Answers",
    "AskArtistToConfirm",
    "AskQuestion",
    "AskVisitOutcome",
    "AskWhatToEdit",
    "AskWhichLead",
    "ConfirmBooking",
    "ConfirmCancellation",
    "ConfirmOptOut",
    "ConfirmSession",
    "MediaKind",
    "Message",
    "OfferDesign",
    "OfferSlots",
    "ReaskQuestion",
    "RelayReply",
    "SendBookingNotice",
    "SendDepositLink",
    "SendMedia",
    "SendMessage",
    "SendPacket",
    "SendSignInLink",
    "SendSummary",
    "WhatsAppMessage",
    "media_kind",
]

Answers = tuple[tuple[str, str], ...]  # (question key, value), latest per question


class MediaKind(StrEnum):
    """Meta's media message types: a media item is sent under its own type's key."""

    IMAGE = "image"
    VIDEO = "video"
    AUDIO = "audio"
    DOCUMENT = "document"
    STICKER = "sticker"

    @property
    def takes_caption(self) -> bool:
        """Meta refuses a caption on audio and stickers: their words go as a text."""
        return self not in (MediaKind.AUDIO, MediaKind.STICKER)


def media_kind(kind: str | None) -> MediaKind:
    """Meta's message type as a media kind; anything else is sent as an image, as every
    media item was before the kind was carried."""
    try:
        return MediaKind(kind or MediaKind.IMAGE)
    except ValueError:
        return MediaKind.IMAGE


@dataclass(frozen=True)
class WhatsAppMessage:
    """What every message to a WhatsApp number carries, whatever its kind. Each kind
    names its outbox rows' type in `tag`; the codec writes and reads its fields alone."""

    to: str
    _: KW_ONLY
    # Meta's id of the lead's message this answers: marked read, with the typing
    # indicator, just before this goes (one outbox row for both calls).
    mark_read: str | None = None
    as_template: bool = False  # send its approved template, not free-form (Meta said 131047)


@dataclass(frozen=True)
class SendMessage(WhatsAppMessage):
    """Send copy message `key`, its placeholders filled from `params`, with the buttons
    the copy gives it."""

    tag: ClassVar[str] = "message"  # its outbox rows' type

    key: str
    params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class AskQuestion(WhatsAppMessage):
    """Ask the script's `question`, or, with `follow_up`, that option's own question
    ("Other": where?); `intro` is said first, in the same message."""

    tag: ClassVar[str] = "ask_question"  # its outbox rows' type

    question: str
    follow_up: str | None = None  # the option picked whose follow-up is asked
    intro: str | None = None  # a copy key
    name: str | None = None  # the lead's, for an intro that greets them by it

    @property
    def key(self) -> str:
        return _question_key("questions", self.question, self.follow_up)


@dataclass(frozen=True)
class ReaskQuestion(WhatsAppMessage):
    """Ask `question` (or its option's follow-up) again, in the words for a retry."""

    tag: ClassVar[str] = "reask_question"  # its outbox rows' type

    question: str
    follow_up: str | None = None

    @property
    def key(self) -> str:
        return _question_key("reask", self.question, self.follow_up)


@dataclass(frozen=True)
class SendSummary(WhatsAppMessage):
    """The lead's answers, to confirm (Yes) or change (Edit); `again` after a reply that
    was neither."""

    tag: ClassVar[str] = "send_summary"  # its outbox rows' type

    answers: Answers
    intro: str | None = None  # a copy key said first, in the same message
    again: bool = False

    @property
    def key(self) -> str:
        return "summary_reask" if self.again else "summary"


@dataclass(frozen=True)
class AskWhatToEdit(WhatsAppMessage):
    """The list of the questions, to pick the answer to change."""

    tag: ClassVar[str] = "ask_what_to_edit"  # its outbox rows' type

    @property
    def key(self) -> str:
        return "edit_pick"


@dataclass(frozen=True)
class ConfirmOptOut(WhatsAppMessage):
    """That the number opted out: the one message allowed to reach it after that."""

    tag: ClassVar[str] = "confirm_opt_out"  # its outbox rows' type

    @property
    def key(self) -> str:
        return "opted_out"


@dataclass(frozen=True)
class SendPacket(WhatsAppMessage):
    """The lead's answers, to the artist, with buttons that act on that lead: on
    submitting (approve, decline, take over), or on a handover, with its reason."""

    tag: ClassVar[str] = "send_packet"  # its outbox rows' type

    lead: str  # the lead's number: the buttons' ids carry it
    who: Mapping[str, str]  # the lead as the artist sees them (`artist_side.who`)
    answers: Answers
    reason: str | None = None  # a handover's: the copy key that says why

    @property
    def key(self) -> str:
        return "artist_packet" if self.reason is None else "artist_handover"


@dataclass(frozen=True)
class SendBookingNotice(WhatsAppMessage):
    """To the artist: the lead booked the time starting at `when`; its Cancel button acts
    on that lead."""

    tag: ClassVar[str] = "send_booking_notice"  # its outbox rows' type

    lead: str  # the lead's number: the button's id carries it
    who: Mapping[str, str]
    when: int  # epoch seconds

    @property
    def key(self) -> str:
        return "artist_booked_at"


@dataclass(frozen=True)
class AskVisitOutcome(WhatsAppMessage):
    """To the artist: the lead's appointment at `when` has ended; its Came / No-show
    buttons act on that lead."""

    tag: ClassVar[str] = "ask_visit_outcome"  # its outbox rows' type

    lead: str  # the lead's number: the buttons' ids carry it
    who: Mapping[str, str]
    when: int  # epoch seconds

    @property
    def key(self) -> str:
        return "artist_visit_ended"


@dataclass(frozen=True)
class AskArtistToConfirm(WhatsAppMessage):
    """To the artist, after a first tap on a button that asks first: what `action` will
    do to the lead (`money`: the copy key of what happens to the deposit, `amount` it),
    with "Yes, ..." (acts, once) and "Keep" (nothing changes) for that lead."""

    tag: ClassVar[str] = "ask_artist_to_confirm"  # its outbox rows' type

    lead: str  # the lead's number: the buttons' ids carry it
    who: Mapping[str, str]
    action: str  # the ArtistAction's value
    money: str  # artist_sure_refunds | artist_sure_keeps | artist_sure_nothing_paid
    amount: str = ""  # written in the copy's locale
    when: int | None = None  # the appointment's start (cancel, no-show)

    @property
    def key(self) -> str:
        return f"artist_confirm_{self.action}"


@dataclass(frozen=True)
class OfferSlots(WhatsAppMessage):
    """Free times as a list to pick from, with a "Later dates" row when more follow;
    no times at all: the lead is told to wait."""

    tag: ClassVar[str] = "offer_slots"  # its outbox rows' type

    minutes: int  # the session's length
    slots: tuple[int, ...] = ()  # starts, epoch seconds
    later: str | None = None  # "Later dates" goes on from: the first time not shown (epoch s)
    intro: str | None = None  # a copy key said first, in the same message

    @property
    def key(self) -> str:
        return "slots_offer" if self.slots else "slots_none"


@dataclass(frozen=True)
class SendDepositLink(WhatsAppMessage):
    """The Checkout link of deposit attempt `attempt`, with the deposit policy after it."""

    tag: ClassVar[str] = "send_deposit_link"  # its outbox rows' type

    url: str
    amount: str  # as the copy's locale writes it
    attempt: int = 1
    # `deposit_each_session`: the piece's session this deposit books (0: the first, or
    # no piece), and the first attempt of its links (a later one is "again").
    session: int = 0
    first: int = 1

    @property
    def key(self) -> str:
        if self.attempt > self.first:
            return "deposit_link_again"
        return "deposit_link_session" if self.session > 1 else "deposit_link"


@dataclass(frozen=True)
class ConfirmBooking(WhatsAppMessage):
    """The deposit is paid: the lead is booked (at `when`, with appointments), with the
    deposit policy after it."""

    tag: ClassVar[str] = "confirm_booking"  # its outbox rows' type

    amount: str  # as the copy's locale writes it
    when: int | None = None  # the booked time's start, epoch seconds
    address: str | None = None  # STUDIO_FILE's `address`: said last ("Where: ...")
    sessions: int = 1  # a piece of several: this is its first ("session 1 of 3")

    @property
    def key(self) -> str:
        if self.when is None:
            return "booked"
        return "booked_at_session" if self.sessions > 1 else "booked_at"


@dataclass(frozen=True)
class ConfirmCancellation(WhatsAppMessage):
    """The lead's appointment at `when` is cancelled: the deposit comes back, or, too
    late to cancel, it is kept."""

    tag: ClassVar[str] = "confirm_cancellation"  # its outbox rows' type

    when: int  # epoch seconds
    forfeit: bool
    amount: str = ""  # the deposit, as the copy's locale writes it ("": the usual one)

    @property
    def key(self) -> str:
        return "cancelled"


@dataclass(frozen=True)
class AskWhichLead(WhatsAppMessage):
    """To the artist: which lead their message is for, as a list of the leads with them,
    each row (id, title, description)."""

    tag: ClassVar[str] = "ask_which_lead"  # its outbox rows' type

    choices: tuple[tuple[str, str, str], ...]

    @property
    def key(self) -> str:
        return "artist_which_lead"


@dataclass(frozen=True)
class RelayReply(WhatsAppMessage):
    """The artist's words, to the lead from the business number (a template may stand
    for them outside WhatsApp's 24 hours)."""

    tag: ClassVar[str] = "relay_reply"  # its outbox rows' type

    text: str

    @property
    def key(self) -> str:
        return "artist_reply"


@dataclass(frozen=True)
class SendMedia(WhatsAppMessage):
    """Forward a media item (by its WhatsApp media id) as what it is: an image, a video,
    a voice note, a document or a sticker.

    `caption_key` names it for templates and the transcript; it is sent as the caption
    only where Meta takes one (`MediaKind.takes_caption`)."""

    tag: ClassVar[str] = "send_media"  # its outbox rows' type

    media_id: str
    caption_key: str
    params: Mapping[str, str] = field(default_factory=dict)
    kind: MediaKind = MediaKind.IMAGE  # rows queued before the kind was carried: images
    filename: str | None = None  # a document's name, as its sender gave it

    @property
    def key(self) -> str:
        return self.caption_key


@dataclass(frozen=True)
class SendSignInLink(WhatsAppMessage):
    """To the artist: the studio page's sign-in link `link` (its id, never its token).
    Its URL is made when it is sent (`actors.artist.SignInLinks`), so no row holds it."""

    tag: ClassVar[str] = "send_sign_in_link"  # its outbox rows' type

    link: str

    @property
    def key(self) -> str:
        return "studio_sign_in"


@dataclass(frozen=True)
class ConfirmSession(WhatsAppMessage):
    """Session `number` of `of` is booked at `when` (no deposit link: the piece's one
    deposit holds it); on the last, the balance (the copy's policy words) after it."""

    tag: ClassVar[str] = "confirm_session"  # its outbox rows' type

    when: int  # epoch seconds
    number: int
    of: int
    amount: str  # the deposit paid, as the copy's locale writes it
    quote: str = ""  # the piece's price, written; "": none given
    balance: str = ""  # the quote less the deposit, written; "": no quote
    address: str | None = None  # STUDIO_FILE's `address`: said last ("Where: ...")

    @property
    def key(self) -> str:
        return "session_booked"


@dataclass(frozen=True)
class OfferDesign(WhatsAppMessage):
    """The artist's design `number` for the lead to approve: the picture (a WhatsApp
    media id, or a file kept from the studio page) as the image header of a message
    whose buttons carry the design's number, so only the latest one's act."""

    tag: ClassVar[str] = "offer_design"  # its outbox rows' type

    media_id: str
    number: int
    note: str = ""

    @property
    def key(self) -> str:
        return "design_offer"


Message = (
    SendMessage
    | AskQuestion
    | ReaskQuestion
    | SendSummary
    | AskWhatToEdit
    | ConfirmOptOut
    | SendPacket
    | SendBookingNotice
    | AskVisitOutcome
    | AskArtistToConfirm
    | OfferSlots
    | SendDepositLink
    | ConfirmBooking
    | ConfirmCancellation
    | ConfirmSession
    | AskWhichLead
    | RelayReply
    | SendMedia
    | SendSignInLink
    | OfferDesign
)


def _question_key(prefix: str, question: str, follow_up: str | None) -> str:
    """The copy key of a question ("questions.placement") or of its option's follow-up
    ("questions.placement.other")."""
    return f"{prefix}.{question}" + (f".{follow_up}" if follow_up else "")
