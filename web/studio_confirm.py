"""
Destructive actions ask first: what the studio page says will happen, before the second
tap acts (decline, cancel and refund, refund, opt out, no-show).

The first post of such an action changes nothing: it answers a page with these words
(the money in the locale's words) and one form repeating the fields plus `confirm=yes`.
Words only: the actor decides, on the second post, exactly as the admin API's call does.
"""

from __future__ import annotations

from dataclasses import dataclass

from actors.lead import ArtistAction
from actors.money import Money
from actors.queries import LeadView

__all__ = ["ASK_FIRST", "Confirmation", "confirmation"]

_A = ArtistAction
ASK_FIRST = frozenset({_A.DECLINE, _A.CANCEL, _A.REFUND, _A.OPT_OUT, _A.NO_SHOW})


@dataclass(frozen=True)
class Confirmation:
    """The confirm page's words: its heading, what will happen, the button that does it."""

    heading: str
    what: tuple[str, ...]
    yes: str


def confirmation(
    lead: LeadView, action: ArtistAction, refund_minor: int | None, locale: str, *,
    no_show_keeps: bool,
) -> Confirmation:  # fmt: skip
    """What `action` will do to `lead`; `refund_minor`: a refund's typed amount (None: all
    that is left); `no_show_keeps`: the policy's `no_show.keeps_deposit`."""
    who = lead.name or f"+{lead.number}"
    money = lead.money
    paid = money.paid or money.asked or money.usual
    left = money.refundable
    match action:
        case _A.DECLINE:
            return Confirmation(
                f"Decline {who}?",
                ("They get the studio's polite no on WhatsApp; nothing is charged.",),
                "Yes, decline",
            )
        case _A.CANCEL:
            back = (
                f"Refunds all {left} of their {paid} deposit to their card."
                if left
                else "No deposit is left to refund."
            )
            return Confirmation(
                f"Cancel {who}'s appointment?",
                ("Frees the time and tells them it is cancelled.", back),
                "Yes, cancel and refund",
            )
        case _A.REFUND:
            amount = (
                left if refund_minor is None else Money(refund_minor, money.currency).format(locale)
            )
            stays = (
                ()
                if refund_minor is None or refund_minor >= money.refundable_minor
                else (f"{_left_after(money.refundable_minor, refund_minor, money.currency, locale)}"
                      " stays paid.",)
            )  # fmt: skip
            return Confirmation(
                f"Refund {who}?",
                (f"Refunds {amount} of their {paid} deposit to their card.", *stays),
                "Yes, refund",
            )
        case _A.OPT_OUT:
            return Confirmation(
                f"Opt {who} out?",
                ("They get no more messages from us until they write START again.",),
                "Yes, opt them out",
            )
        case _:  # no-show
            kept = left or paid
            said = (
                f"Keeps their {kept} deposit, as the studio's policy says, and tells them."
                if no_show_keeps
                else f"Refunds their {kept} deposit in full, as the studio's policy says,"
                " and tells them."
            )
            more = (
                ("Their piece's other sessions are dropped.",)
                if money.sessions > money.sessions_booked
                else ()
            )
            return Confirmation(f"{who} did not come?", (said, *more), "Yes, a no-show")


def _left_after(left: int, refund: int, currency: str, locale: str) -> str:
    return Money(left - refund, currency).format(locale)
