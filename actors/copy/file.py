"""
The copy file: its shape, read and checked once, before the service starts.

`load_copy` names the studio and the artist (STUDIO_NAME and ARTIST_NAME, or the copy's
`labels.studio` / `labels.artist` when unset), then refuses, naming the key, a copy
file that lacks a key the code uses, asks for a placeholder the code does not supply,
or breaks WhatsApp's limits for interactive messages with the names filled in. What it
returns is only read: by `actors.copy.script` for the behaviour's questions and words,
and by `actors.copy.composer` for the messages.
"""

from __future__ import annotations

import string
from collections.abc import Mapping, Sequence
from pathlib import Path

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from actors.copy.consent_copy import CONSENT_MESSAGES, ConsentCopy, check_consent
from actors.copy.limits import WhatsAppLimits
from actors.lead.button_ids import (
    KEEP,
    NEXT_SESSION,
    SUMMARY_BUTTONS,
    VISIT_BUTTONS,
    WAITLIST_DAYS,
    WAITLIST_TAKE,
    sure_id,
)
from actors.lead.designs import DESIGN_BUTTONS
from actors.lead.model import ArtistAction
from actors.lead.script import Kind
from actors.lead.status import Status
from actors.lead.time_wishes import WHEN_WORDS, WHEN_WORDS_OPTIONAL
from actors.lead.validation import CM_PER_UNIT

__all__ = [
    "NAMES",
    "REQUIRED_MESSAGES",
    "CopyError",
    "CopyFile",
    "MessageCopy",
    "PolicyCopy",
    "QuestionCopy",
    "SavedReply",
    "WhatsAppLimits",
    "load_copy",
    "placeholders",
]


_A = ArtistAction  # the artist's buttons are actions (read by actors.lead.button_ids)

_WHO = frozenset({"name", "number", "link"})  # the lead, in every message to the artist

# Every message key the code sends -> (placeholders it always supplies, button keys).
_CONVERSATION_MESSAGES: Mapping[str, tuple[frozenset[str], frozenset[str]]] = {
    "greeting": (frozenset({"name"}), frozenset()),
    "greeting_anonymous": (frozenset(), frozenset()),
    "unsupported": (frozenset(), frozenset()),
    "summary": (frozenset({"answers"}), SUMMARY_BUTTONS),
    "summary_reask": (frozenset({"answers"}), SUMMARY_BUTTONS),
    "edit_pick": (frozenset(), frozenset()),
    "sent_to_artist": (frozenset(), frozenset()),
    "holding": (frozenset(), frozenset()),
    "declined": (frozenset(), frozenset()),
    "opted_out": (frozenset(), frozenset()),
    "opted_in": (frozenset(), frozenset()),
    "pilot": (frozenset(), frozenset()),
    "resumed": (frozenset(), frozenset()),
    "artist_packet": (
        frozenset({"name", "number", "link", "answers"}),
        frozenset({_A.APPROVE.value, _A.DECLINE.value, _A.TAKE_OVER.value}),
    ),
    "artist_handover": (
        frozenset({"name", "number", "link", "reason", "answers"}),
        frozenset({_A.HAND_BACK.value, _A.APPROVE.value, _A.DECLINE.value}),
    ),
    "artist_reference": (frozenset({"name", "number", "link"}), frozenset()),
    "artist_already_handled": (frozenset({"name", "number", "link", "status"}), frozenset()),
    "deposit_link": (frozenset({"url", "amount"}), frozenset()),
    "deposit_link_again": (frozenset({"url", "amount"}), frozenset()),
    # `deposit_each_session`: a later session's own deposit link.
    "deposit_link_session": (frozenset({"url", "amount", "session"}), frozenset()),
    "deposit_expired": (frozenset(), frozenset()),
    "booked": (frozenset({"amount"}), frozenset()),
    "artist_booked": (frozenset({"name", "number", "link"}), frozenset()),
    "artist_deposit_expired": (frozenset({"name", "number", "link"}), frozenset()),
    "artist_payment_notice": (frozenset({"name", "number", "link", "reason"}), frozenset()),
    "artist_delivery_failed": (frozenset({"name", "number", "link", "error"}), frozenset()),
    "payment_failed": (frozenset(), frozenset()),
    "payment_refunded": (frozenset(), frozenset()),
    "artist_refund_done": (_WHO, frozenset()),  # a cancellation's refund went through
    "artist_refund_part_done": (_WHO | {"amount", "left"}, frozenset()),  # part of it did
    "payment_disputed": (frozenset(), frozenset()),
    "payment_rejected": (frozenset(), frozenset()),
    "payment_twice": (frozenset(), frozenset()),
    "payment_not_bookable": (frozenset(), frozenset()),
    "deposit_product": (frozenset(), frozenset()),
    "drawing_fee_product": (frozenset(), frozenset()),  # its line in the Checkout Session
    "calendar_name": (frozenset(), frozenset()),  # the artist's subscribed calendar
    "calendar_appointment": (frozenset({"name"}), frozenset()),  # an event in it
    "calendar_deposit_paid": (frozenset({"amount"}), frozenset()),  # its description
    "calendar_session": (frozenset({"session", "sessions"}), frozenset()),  # a piece's
    "calendar_balance": (frozenset({"balance"}), frozenset()),  # ... on its last session
    "calendar_invite": (frozenset(), frozenset()),  # the lead's add-to-calendar event
    "reminder": (frozenset(), frozenset()),
    "deposit_reminder": (frozenset({"url"}), frozenset()),
    "reason_asked": (frozenset(), frozenset()),
    "reason_stuck": (frozenset(), frozenset()),
    "reason_artist": (frozenset(), frozenset()),
    # The artist's side (actors.lead.artist_side, actors.artist.desk).
    **dict.fromkeys(("artist_forward", "artist_forward_media"), (_WHO | {"text"}, frozenset())),
    "artist_forward_unreadable": (_WHO | {"kind"}, frozenset()),
    "artist_forward_media_from": (_WHO, frozenset()),  # before a voice note or a sticker
    "artist_forward_edited": (_WHO | {"text"}, frozenset()),  # a lead's edit, bot silent
    "artist_forward_form": (_WHO | {"fields"}, frozenset()),  # a WhatsApp Flow's reply
    "artist_forward_order": (_WHO | {"order"}, frozenset()),  # products, then the note
    **dict.fromkeys(("artist_reply", "artist_reply_media"), (frozenset({"text"}), frozenset())),
    "artist_reply_not_sent": (_WHO | {"reason"}, frozenset()),
    **dict.fromkeys(
        ["reason_window", "reason_opted_out", "reason_unreadable", "artist_which_lead"],
        (frozenset(), frozenset()),
    ),
    "artist_no_leads": (frozenset(), frozenset()),
    "studio_sign_in": (frozenset({"url"}), frozenset()),  # the studio page's one-time link
    "studio_links_off": (frozenset(), frozenset()),  # "link" without PUBLIC_BASE_URL
    # Design approval (actors.lead.designs): the picture, then the lead's answer.
    "design_offer": (frozenset({"note"}), DESIGN_BUTTONS),
    **dict.fromkeys(
        ["design_changes_ask", "design_changes_sent", "design_approved", "design_outdated"],
        (frozenset(), frozenset()),
    ),
    "design_changes_fee": (frozenset({"fee"}), frozenset()),
    "artist_design_changes": (_WHO | {"text", "revision"}, frozenset()),
    "artist_design_approved": (_WHO, frozenset()),
}


def _says(
    *supplied: str, buttons: frozenset[str] = frozenset()
) -> tuple[frozenset[str], frozenset[str]]:
    return frozenset(supplied), buttons


# Appointments (STUDIO_FILE); {when} is written by the composer in the studio's time.
_APPOINTMENT_MESSAGES = {
    **dict.fromkeys(
        [
            *("slots_intro", "slots_later", "slots_reask", "slot_taken", "slots_none"),
            *("slots_none_fit", "slots_passed_on", "waitlist_range_reask"),
            *("waitlist_gone", "waitlist_ended"),
        ],
        _says(),
    ),  # slots_later, slots_none_fit: the list's last rows, at most 24 characters
    "waitlist_joined": _says("from", "to"),
    "waitlist_range": _says(buttons=frozenset(WAITLIST_DAYS)),  # and {artist}, as everywhere
    "waitlist_offer": _says("when", buttons=frozenset({WAITLIST_TAKE})),
    "artist_waitlisted": _says(*_WHO, "from", "to"),
    **dict.fromkeys(["slot_lost_paid", "link_expired_pick", "reschedule_pick"], _says()),
    **dict.fromkeys(["aftercare", "healed_photo_request", "healed_photo_thanks"], _says()),
    "slots_offer": _says("minutes"),
    "booked_at": _says("when", "amount"),
    "booked_at_session": _says("when", "amount", "session", "sessions"),  # a piece's first
    "calendar_add": _says("url"),  # the lead's "add to calendar" link, after the booking
    "visit_address": _says("address"),  # last in the confirmation: STUDIO_FILE's address
    # A piece of several sessions: after one, the next is booked from a button.
    "next_session": _says("session", "sessions", buttons=frozenset({NEXT_SESSION})),
    "next_session_pick": _says(),
    "session_booked": _says("when", "session", "sessions", "amount", "quote", "balance"),
    "visit_reminder": _says("when", buttons=VISIT_BUTTONS),
    **dict.fromkeys(
        ["slot_held", "visit_confirmed", "rescheduled", "reschedule_refused", "cancelled"],
        _says("when"),
    ),
    "cancelled_by_artist": _says("when"),
    "artist_booked_at": _says(*_WHO, "when", buttons=frozenset({_A.CANCEL.value})),
    "artist_visit_ended": _says(*_WHO, "when", buttons=frozenset({_A.CAME, _A.NO_SHOW})),
    "no_show": _says("when", "amount"),  # the lead did not come: the policy's words after it
    **dict.fromkeys(
        ["artist_rescheduled", "artist_reschedule_refused", "artist_lead_cancelled"],
        _says(*_WHO, "when"),
    ),
    **dict.fromkeys(["artist_no_slots", "artist_slot_lost", "artist_healed_photo"], _says(*_WHO)),
}
# The artist's buttons that ask first (actors.lead.confirmations): the question, "Yes,
# ..." and "Keep", and what happens to the deposit, said last.
_KEEP = frozenset({KEEP})
_ASKING_FIRST = {
    "artist_confirm_decline": _says(*_WHO, "amount", buttons=_KEEP | {sure_id(_A.DECLINE)}),
    "artist_confirm_cancel": _says(*_WHO, "when", "amount", buttons=_KEEP | {sure_id(_A.CANCEL)}),
    "artist_confirm_no_show": _says(*_WHO, "when", "amount", buttons=_KEEP | {sure_id(_A.NO_SHOW)}),
    **dict.fromkeys(
        ["artist_sure_refunds", "artist_sure_keeps", "artist_sure_nothing_paid"],
        _says(*_WHO, "amount"),
    ),
    "artist_kept": _says(),  # "Keep" tapped: nothing changed
}
REQUIRED_MESSAGES: Mapping[str, tuple[frozenset[str], frozenset[str]]] = {
    **_CONVERSATION_MESSAGES,
    **_APPOINTMENT_MESSAGES,
    **CONSENT_MESSAGES,
    **_ASKING_FIRST,
}
_INTROS = ("greeting", "greeting_anonymous", "unsupported", "opted_in", "resumed")
NAMES = frozenset({"studio", "artist"})  # supplied to every message: the studio's names


class CopyError(Exception):
    """The copy file is missing a key, asks for an unsupplied placeholder, or is malformed."""


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class _OptionCopy(_Model):
    id: str = Field(min_length=1, max_length=200)
    title: str = Field(min_length=1)
    ask: str | None = None  # picking it asks this follow-up ("Other": where?)
    reask: str | None = None


class _SizeCopy(_Model):
    min: float
    max: float


class _ValidationCopy(_Model):
    min_length: int = 1
    size_cm: _SizeCopy | None = None
    date: bool = False


class QuestionCopy(_Model):
    key: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    label: str
    kind: Kind
    text: str
    reask: str
    options: list[_OptionCopy] = []
    validation: _ValidationCopy = _ValidationCopy()


class MessageCopy(_Model):
    text: str
    buttons: dict[str, str] = {}


class _WordsCopy(_Model):
    opt_out: list[str]
    opt_in: list[str]
    human: list[str]
    skip: list[str]
    date_hints: list[str]
    confirm: list[str]
    edit: list[str]
    done: list[str]  # the artist's word to end a conversation with a lead
    sign_in: list[str]  # the artist's word, to the business number, for a sign-in link
    design: list[str] = ["design"]  # the artist's caption word: the picture is a design
    size_units: dict[str, list[str]]  # unit (a key of CM_PER_UNIT) -> words for it
    # The answer to "when?": WHEN_WORDS (and WHEN_WORDS_OPTIONAL) -> words for each.
    when: dict[str, list[str]]
    waitlist: list[str]  # typed while picking a time: asks for the waitlist's range
    waitlist_to: list[str]  # between the two dates of a range: "to", "until"


class _LabelsCopy(_Model):
    list_button: str
    answer_line: str
    media_value: str
    skipped_value: str
    studio: str  # {studio}: STUDIO_NAME once loaded, when that is set
    artist: str  # {artist}: ARTIST_NAME once loaded, when that is set
    decimal_mark: str = "."


# What a policy sentence may name: the rules' values (`actors.copy.policy_words`).
POLICY_VALUES = frozenset(
    {"amount", "refund_notice", "reschedules", "reschedule_notice", "late", "sessions"}
    | {"drawing_fee", "quote", "balance", "session", "when"}
)


class PolicyCopy(_Model):
    """`policy:`: one text per rule, a variant per kind of value; no rule's value is
    written in fixed words (they are the placeholders, filled from STUDIO_FILE)."""

    deposit: str  # what a deposit is for, before the rules
    refundable: str  # {refund_notice}
    never_refundable: str
    artist_cancels: str  # {amount}
    reschedule: str  # {reschedules}, {reschedule_notice}
    no_reschedule: str
    no_show_kept: str
    no_show_refunded: str
    late: str  # {late}
    drawing_fee: str  # {drawing_fee}
    times: dict[str, str]  # CLDR plural category ("one", "other", ...) -> "{count} times"
    cancel_refunded: str  # on the lead's cancel, in time: {amount}, {refund_notice}
    cancel_kept: str  # too late: {amount}, {refund_notice}
    cancel_kept_always: str  # never refundable: {amount}
    no_show_now_kept: str  # the lead did not come: {amount} kept
    no_show_now_refunded: str  # ... refunded
    balance: str  # a piece's last session: {balance}, {quote}, {amount}
    balance_no_quote: str  # ... with no quote: {amount}

    def texts(self) -> dict[str, str]:
        """Every sentence by its name (the plural forms apart)."""
        return {k: v for k, v in self.model_dump().items() if isinstance(v, str)}


class SavedReply(_Model):
    """A reply the artist sends often, one tap away on the lead's page: `title` names it
    in the list, `text` is what goes (`{name}`, `{studio}`, `{artist}` filled in)."""

    title: str = Field(min_length=1, max_length=60)
    text: str = Field(min_length=1, max_length=4000)


class CopyFile(_Model):
    """The copy file as written; `load_copy` reads and checks it."""

    locale: str
    words: _WordsCopy
    labels: _LabelsCopy
    questions: list[QuestionCopy] = Field(min_length=1)
    messages: dict[str, str | MessageCopy]
    statuses: dict[Status, str]
    policy: PolicyCopy  # the sentences about the studio's rules
    # Body parameters of WhatsApp templates, by message key
    # (see actors.providers.whatsapp.templates).
    templates: dict[str, list[str]] = {}
    saved_replies: list[SavedReply] = []  # the studio page's reply form offers these
    consent: ConsentCopy | None = None  # what is asked before the appointment (STUDIO_FILE)

    def messages_by_key(self) -> dict[str, MessageCopy]:
        """Every message; one given as a bare string has no buttons."""
        return {
            key: value if isinstance(value, MessageCopy) else MessageCopy(text=value)
            for key, value in self.messages.items()
        }

    def names(self) -> dict[str, str]:
        """What `{studio}` and `{artist}` stand for in every message."""
        return {"studio": self.labels.studio, "artist": self.labels.artist}

    def questions_by_key(self) -> dict[str, QuestionCopy]:
        """Every question, in the order they are asked."""
        return {q.key: q for q in self.questions}


def placeholders(text: str) -> set[str]:
    """The names of the `{placeholders}` in `text`."""
    try:
        return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}
    except ValueError as error:
        raise CopyError(f"unbalanced braces in {text[:40]!r}") from error


def load_copy(
    copy_dir: Path,
    locale: str,
    *,
    studio_name: str | None = None,
    artist_name: str | None = None,
) -> CopyFile:
    """
    Read `<copy_dir>/<locale>.yml`, name the studio and the artist, and check it;
    `CopyError` names the file and the key.
    """
    path = copy_dir / f"{locale}.yml"
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
        copy = _named(CopyFile.model_validate(raw), studio_name, artist_name)
        _check(copy)
    except (OSError, yaml.YAMLError, ValidationError, CopyError) as error:
        raise CopyError(f"{path}: {error}") from error
    return copy


def _named(copy: CopyFile, studio_name: str | None, artist_name: str | None) -> CopyFile:
    """The copy with the configured names, where they are set, in place of its own."""
    names = {"studio": studio_name, "artist": artist_name}
    given = {label: name for label, name in names.items() if name}
    return copy.model_copy(update={"labels": copy.labels.model_copy(update=given)})


def _filled(copy: CopyFile, text: str) -> str:
    """`text` with {studio} and {artist} filled in: the length it is sent at."""
    for name, value in copy.names().items():
        text = text.replace("{" + name + "}", value)
    return text


def _check(copy: CopyFile) -> None:
    messages = copy.messages_by_key()
    for key, (supplied, button_keys) in REQUIRED_MESSAGES.items():
        message = messages.get(key)
        if message is None:
            raise CopyError(f"copy key {key!r} is missing")
        unsupplied = placeholders(message.text) - supplied - NAMES
        if unsupplied:
            raise CopyError(f"copy key {key!r} uses unsupplied {sorted(unsupplied)}")
        if set(message.buttons) != set(button_keys):
            raise CopyError(f"copy key {key!r} must have buttons {sorted(button_keys)}")
        if message.buttons:
            _check_buttons(key, list(message.buttons.values()))
            _check_body(key, _filled(copy, message.text), WhatsAppLimits.INTERACTIVE_BODY)
        else:
            _check_body(key, _filled(copy, message.text), WhatsAppLimits.TEXT_BODY)
    missing_statuses = set(Status) - set(copy.statuses)
    if missing_statuses:
        raise CopyError(f"copy key 'statuses' lacks {sorted(missing_statuses)}")
    labels = copy.labels
    if placeholders(labels.answer_line) - {"label", "value"}:
        raise CopyError("copy key 'labels.answer_line' takes only {label} and {value}")
    if not 0 < len(labels.list_button) <= WhatsAppLimits.LIST_BUTTON:
        raise CopyError("copy key 'labels.list_button' is over 20 characters")
    for row in ("slots_later", "slots_none_fit"):
        if len(_filled(copy, messages[row].text)) > WhatsAppLimits.ROW_TITLE:
            raise CopyError(f"copy key {row!r} is over 24 characters (a list row's title)")
    when_keys = set(copy.words.when)
    if when_keys - set(WHEN_WORDS) - set(WHEN_WORDS_OPTIONAL) or set(WHEN_WORDS) - when_keys:
        raise CopyError(
            f"copy key 'words.when' must name {sorted(WHEN_WORDS)} (and may name next_month)"
        )
    unknown = set(copy.words.size_units) - set(CM_PER_UNIT)
    if unknown:
        raise CopyError(f"copy key 'words.size_units' has unknown units {sorted(unknown)}")
    for key, message in messages.items():  # optional: aftercare for one placement
        if key.startswith("aftercare_") and placeholders(message.text) - NAMES:
            raise CopyError(f"copy key {key!r} takes only {{studio}} and {{artist}}")
    _check_questions(copy, messages)
    _check_policy(copy.policy)
    if copy.consent is not None:
        try:
            check_consent(copy.consent, _filled(copy, copy.consent.text))
        except ValueError as error:
            raise CopyError(str(error)) from None
    for number, saved in enumerate(copy.saved_replies):
        if placeholders(saved.text) - {"name"} - NAMES:
            raise CopyError(
                f"copy key 'saved_replies.{number}' takes only {{name}}, {{studio}}, {{artist}}"
            )


def _check_policy(policy: PolicyCopy) -> None:
    for name, text in policy.texts().items():
        unsupplied = placeholders(text) - POLICY_VALUES - NAMES
        if unsupplied:
            raise CopyError(f"copy key 'policy.{name}' uses unsupplied {sorted(unsupplied)}")
    if "other" not in policy.times:
        raise CopyError("copy key 'policy.times' needs 'other'")
    for form, text in policy.times.items():
        if placeholders(text) - {"count"}:
            raise CopyError(f"copy key 'policy.times.{form}' takes only {{count}}")


def _check_questions(copy: CopyFile, messages: Mapping[str, MessageCopy]) -> None:
    questions = copy.questions
    if len(copy.questions_by_key()) != len(questions):
        raise CopyError("two questions share a key")
    if len(questions) > WhatsAppLimits.LIST_ROWS:
        raise CopyError("more than 10 questions: the edit list cannot offer them all")
    longest_intro = max(len(_filled(copy, messages[k].text)) for k in _INTROS)
    for q in questions:
        where = f"questions.{q.key}"
        follow_ups = [(o.ask, o.reask) for o in q.options if o.ask or o.reask]
        if any(ask is None or reask is None for ask, reask in follow_ups):
            raise CopyError(f"copy key {where!r}: an option with `ask` needs `reask` too")
        for text in (q.text, q.reask, *(t for pair in follow_ups for t in pair if t)):
            if placeholders(text):
                raise CopyError(f"copy key {where!r} takes no placeholders")
            _check_body(
                where,
                text,
                WhatsAppLimits.INTERACTIVE_BODY - longest_intro - WhatsAppLimits.NAME_ALLOWANCE,
            )
        if len(q.label) > WhatsAppLimits.ROW_TITLE:
            raise CopyError(f"copy key {where!r}: label over 24 characters")
        titles = [o.title for o in q.options]
        if len({o.id for o in q.options}) != len(q.options):
            raise CopyError(f"copy key {where!r}: two options share an id")
        if q.kind is Kind.BUTTONS:
            if not q.options:
                raise CopyError(f"copy key {where!r}: buttons need options")
            _check_buttons(where, titles)
        elif q.kind is Kind.LIST:
            if not 0 < len(titles) <= WhatsAppLimits.LIST_ROWS:
                raise CopyError(f"copy key {where!r}: a list takes 1 to 10 rows")
            if any(len(t) > WhatsAppLimits.ROW_TITLE for t in titles):
                raise CopyError(f"copy key {where!r}: a row title is over 24 characters")
        elif q.options:
            raise CopyError(f"copy key {where!r}: only buttons and lists take options")


def _check_buttons(key: str, titles: Sequence[str]) -> None:
    if len(titles) > WhatsAppLimits.BUTTONS:
        raise CopyError(f"copy key {key!r}: more than 3 buttons")
    for title in titles:
        if not 0 < len(title) <= WhatsAppLimits.BUTTON_TITLE:
            raise CopyError(f"copy key {key!r}: button {title!r} is over 20 characters")


def _check_body(key: str, text: str, limit: int) -> None:
    if len(text) > limit:
        raise CopyError(f"copy key {key!r}: text is {len(text)} characters, over {limit}")
