"""
The ids our WhatsApp buttons and list rows carry: made and read here only. Pure.

WhatsApp echoes the id of the button or list row tapped as the reply's id, so the id
is all a tap says:

    confirm, edit          the summary's buttons
    edit:<question key>    a row of the list that picks an answer to change
    <option id>            a question's option, as the copy file names it (read by
                           `Question.option`, which also takes the title typed out)
    <action>:<lead key>    the artist's buttons under a lead's packet
                           (`approve:447700900123`): a tap names its lead, so it acts
                           on that lead even from an old packet; Decline, Cancel +
                           refund and No-show only ask first (`ASKS_FIRST`)
    sure_<action>:<lead key>, keep:<lead key>
                           the buttons of that question: "Yes, decline" acts, once;
                           "Keep" changes nothing
    to:<wa_id>:<msg id>    a row of the list that asks the artist which lead a message
                           is for: the lead, and (by its inbox id) the artist's message
    slot:<epoch seconds>   a row of the free slots' list: the time it starts
    later:<epoch seconds>  the list's "Later dates" row: the first free time not shown,
                           where the next page starts (`later:<YYYY-MM-DD>`, a day,
                           from lists sent before, is still read)
    visit_confirm, visit_reschedule, visit_cancel
                           an appointment reminder's buttons
    next_session           "Book next session", after a session of a piece but the last
    none_fit               the free slots' list's last row, "None of these"
    waitlist_7, waitlist_14, waitlist_any
                           `waitlist_range`'s buttons: the next 7 or 14 days, or any day
                           up to the horizon
    waitlist_take:<epoch seconds>
                           `waitlist_offer`'s "Book it" (and its template's quick reply):
                           the freed time it offered

A copy message's buttons are named by their keys in the copy file; a message that
acts on a lead (`SendPacket.lead`, `SendBookingNotice.lead`) adds it to each (`button_id`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from actors.lead.model import ArtistAction

__all__ = [
    "ASKS_FIRST",
    "CONFIRM",
    "EDIT",
    "KEEP",
    "NEXT_SESSION",
    "NONE_FIT",
    "SUMMARY_BUTTONS",
    "VISIT_BUTTONS",
    "VISIT_CANCEL",
    "VISIT_CONFIRM",
    "VISIT_RESCHEDULE",
    "WAITLIST_DAYS",
    "WAITLIST_TAKE",
    "ArtistCommand",
    "RelayPick",
    "artist_command",
    "button_id",
    "edit_row_id",
    "edited_question",
    "kept_as_is",
    "later_from",
    "later_row_id",
    "picked_slot",
    "relay_pick",
    "relay_row_id",
    "slot_row_id",
    "sure_id",
    "waitlist_pick",
]

CONFIRM = "confirm"
EDIT = "edit"
SUMMARY_BUTTONS = frozenset({CONFIRM, EDIT})
VISIT_CONFIRM = "visit_confirm"
VISIT_RESCHEDULE = "visit_reschedule"
VISIT_CANCEL = "visit_cancel"
VISIT_BUTTONS = frozenset({VISIT_CONFIRM, VISIT_RESCHEDULE, VISIT_CANCEL})
NEXT_SESSION = "next_session"  # a piece's session done: "Book next session"
NONE_FIT = "none_fit"  # the slots list's last row: "None of these"
WAITLIST_TAKE = "waitlist_take"  # "Book it" under `waitlist_offer`: `waitlist_take:<start>`
# `waitlist_range`'s buttons: how many days from today (None: up to the horizon).
WAITLIST_DAYS: dict[str, int | None] = {"waitlist_7": 7, "waitlist_14": 14, "waitlist_any": None}
_TAKE = re.compile(r"^waitlist_take:(?P<start>\d{9,11})$")
_SLOT_ROW = re.compile(r"^slot:(?P<start>\d{9,11})$")
_LATER_ROW = re.compile(r"^later:(?P<from>\d{9,11}|\d{4}-\d{2}-\d{2})$")

_EDIT_ROW = "edit:"
# A lead's key: its phone, or (a lead first known by its BSUID) its lead id.
_LEAD = r"(?P<lead>\d{6,20}|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})"
_RELAY_ROW = re.compile(r"^to:" + _LEAD + r":(?P<message>\S{1,170})$")
_SURE = "sure_"  # the confirming button of an action that asks first
KEEP = "keep"  # ... and the one that leaves the lead as it is
_ARTIST_BUTTON = re.compile(
    r"^(?P<sure>" + _SURE + r")?(?P<action>" + "|".join(a.value for a in ArtistAction) + r"):"
    + _LEAD + "$"
)  # fmt: skip
_KEEP_BUTTON = re.compile(r"^" + KEEP + ":" + _LEAD + "$")
# The artist's WhatsApp buttons that lose something (a lead, a booking, a deposit): a
# tap asks first, and only the question's "Yes, ..." button acts.
ASKS_FIRST = frozenset({ArtistAction.DECLINE, ArtistAction.CANCEL, ArtistAction.NO_SHOW})


@dataclass(frozen=True)
class ArtistCommand:
    """The artist's tap on a button under a lead's packet."""

    action: ArtistAction
    wa_id: str  # the lead acted on
    confirmed: bool = True  # False: a first tap on a button that asks first


def sure_id(action: ArtistAction) -> str:
    """The key of the button that confirms `action` (the lead's reference follows)."""
    return _SURE + action.value


def kept_as_is(reply_id: str) -> str | None:
    """The lead a "Keep" button names, or None if `reply_id` is no such button."""
    found = _KEEP_BUTTON.match(reply_id)
    return found.group("lead") if found else None


def button_id(key: str, ref: str | None = None) -> str:
    """A copy message's button `key`, with the lead's reference when the message has one."""
    return f"{key}:{ref}" if ref else key


def artist_command(reply_id: str) -> ArtistCommand | None:
    """The action and lead a button id names, or None if it names none."""
    found = _ARTIST_BUTTON.match(reply_id)
    if found is None:
        return None
    action = ArtistAction(found.group("action"))
    confirmed = bool(found.group("sure")) or action not in ASKS_FIRST
    return ArtistCommand(action, found.group("lead"), confirmed)


def edit_row_id(question_key: str) -> str:
    return _EDIT_ROW + question_key


def edited_question(reply_id: str) -> str | None:
    """The question key an edit-list row names, or None if `reply_id` is no such row."""
    if not reply_id.startswith(_EDIT_ROW):
        return None
    return reply_id.removeprefix(_EDIT_ROW)


@dataclass(frozen=True)
class RelayPick:
    """The artist picked the lead an earlier message of theirs was meant for."""

    wa_id: str  # the lead
    message_id: str  # the inbox id of the artist's message to send them


def relay_row_id(wa_id: str, message_id: str) -> str:
    return f"to:{wa_id}:{message_id}"


def relay_pick(reply_id: str) -> RelayPick | None:
    """The lead and message a row of the which-lead list names, or None."""
    found = _RELAY_ROW.match(reply_id)
    if found is None:
        return None
    return RelayPick(found.group("lead"), found.group("message"))


def slot_row_id(start: int) -> str:
    return f"slot:{start}"


def picked_slot(reply_id: str) -> int | None:
    """The start (epoch seconds) a slot row names, or None."""
    found = _SLOT_ROW.match(reply_id)
    return int(found.group("start")) if found else None


def later_row_id(start: str) -> str:
    return f"later:{start}"


def later_from(reply_id: str) -> str | None:
    """Where a "Later dates" row pages on from (epoch seconds, or an older row's day
    as YYYY-MM-DD), or None."""
    found = _LATER_ROW.match(reply_id)
    return found.group("from") if found else None


def waitlist_pick(reply_id: str) -> int | None:
    """The freed time a tap on "Book it" takes, or None if it is no such tap."""
    found = _TAKE.match(reply_id)
    return int(found.group("start")) if found else None
