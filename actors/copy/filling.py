"""
How each kind of message fills its copy: the one table by type (`filling_of`) of the
placeholders' values, the answers listed, what is said before and after the message,
and the lead its buttons act on. The composer renders by it, and a template's
parameters are filled by it too.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from actors.lead.messages import (
    Answers,
    AskArtistToConfirm,
    AskQuestion,
    AskVisitOutcome,
    AskWhatToEdit,
    AskWhichLead,
    ConfirmBooking,
    ConfirmCancellation,
    ConfirmOptOut,
    ConfirmSession,
    Message,
    OfferDesign,
    OfferSlots,
    ReaskQuestion,
    RelayReply,
    SendBookingNotice,
    SendDepositLink,
    SendMedia,
    SendMessage,
    SendPacket,
    SendSignInLink,
    SendSummary,
)

__all__ = ["DEPOSIT_POLICY", "Filling", "filling_of"]

DEPOSIT_POLICY = "deposit_policy"  # said after the link and the booking: read before paying
VISIT_ADDRESS = "visit_address"  # "Where: {address}", last in a booking's confirmation
# Said after each reminder: the rules on cancelling and moving, while they still apply.
_REMINDED = {"visit_reminder": "policy_reminder", "no_show": "no_show_policy"}


@dataclass(frozen=True)
class Filling:
    """What a kind's copy message is filled with, and what is said around it."""

    params: Mapping[str, str] = field(default_factory=dict)
    answers: Answers = ()
    intro: str | None = None  # a copy key said first, in the same message
    outro: str | None = None  # a copy key said last, in the same message
    closing: str | None = None  # a copy key said after even the outro (the visit's address)
    ref: str | None = None  # the lead the message's buttons act on


def filling_of(message: Message) -> Filling:
    """The one table of how each kind of message fills its copy."""
    match message:
        case SendMessage():
            # A time the artist set ends with where the visit is, as a booking does.
            placed = message.key == "moved_by_artist" and "address" in message.params
            closing = VISIT_ADDRESS if placed else None
            # "Book it" carries the freed time it offers (`waitlist_take:<start>`).
            ref = message.params.get("when") if message.key == "waitlist_offer" else None
            return Filling(
                message.params, outro=_REMINDED.get(message.key), closing=closing, ref=ref
            )
        case SendMedia():
            return Filling(message.params)
        case AskQuestion():
            return Filling(_named(message.name), intro=message.intro)
        case ReaskQuestion() | AskWhatToEdit() | ConfirmOptOut() | AskWhichLead():
            return Filling()
        case SendSummary():
            return Filling(answers=message.answers, intro=message.intro)
        case SendPacket():
            reason = {"reason": message.reason} if message.reason else {}
            return Filling({**message.who, **reason}, message.answers, ref=message.lead)
        case SendBookingNotice() | AskVisitOutcome():
            return Filling({**message.who, "when": str(message.when)}, ref=message.lead)
        case AskArtistToConfirm():
            when = {} if message.when is None else {"when": str(message.when)}
            params = {**message.who, **when, "amount": message.amount}
            return Filling(params, outro=message.money, ref=message.lead)
        case OfferSlots():
            return Filling({"minutes": str(message.minutes)}, intro=message.intro)
        case SendDepositLink():
            params = {"url": message.url, "amount": message.amount}
            session = {"session": str(message.session)} if message.session > 1 else {}
            return Filling(params | session, outro=DEPOSIT_POLICY)
        case ConfirmBooking():
            when = {} if message.when is None else {"when": str(message.when)}
            where = {} if message.address is None else {"address": message.address}
            closing = VISIT_ADDRESS if message.address is not None else None
            params = {**when, **where, "amount": message.amount}
            if message.sessions > 1:
                params |= {"session": "1", "sessions": str(message.sessions)}
            return Filling(params, outro=DEPOSIT_POLICY, closing=closing)
        case ConfirmCancellation():
            outro = "cancel_forfeit" if message.forfeit else "cancel_refund"
            amount = {"amount": message.amount} if message.amount else {}
            return Filling({"when": str(message.when), **amount}, outro=outro)
        case ConfirmSession():
            params = {"when": str(message.when), "session": str(message.number)}
            params |= {"sessions": str(message.of), "amount": message.amount}
            params |= {"quote": message.quote, "balance": message.balance}
            closing = None
            if message.address is not None:
                params |= {"address": message.address}
                closing = VISIT_ADDRESS
            last = message.number == message.of
            return Filling(params, outro="session_balance" if last else None, closing=closing)
        case RelayReply():
            return Filling({"text": message.text})
        case OfferDesign():  # its buttons carry the design's number
            return Filling({"note": message.note}, ref=str(message.number))
        case SendSignInLink():
            return Filling()  # its {url} is the composer's, made when it is sent


def _named(name: str | None) -> dict[str, str]:
    return {"name": name} if name else {}
