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
from web.page_language import gettext as _

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
                _("Decline %(who)s?") % {"who": who},
                (_("They get the studio's polite no on WhatsApp; nothing is charged."),),
                _("Yes, decline"),
            )
        case _A.CANCEL:
            back = (
                _("Refunds all %(left)s of their %(paid)s deposit to their card.")
                % {"left": left, "paid": paid}
                if left
                else _("No deposit is left to refund.")
            )
            return Confirmation(
                _("Cancel %(who)s's appointment?") % {"who": who},
                (_("Frees the time and tells them it is cancelled."), back),
                _("Yes, cancel and refund"),
            )
        case _A.REFUND:
            amount = (
                left if refund_minor is None else Money(refund_minor, money.currency).format(locale)
            )
            stays = (
                ()
                if refund_minor is None or refund_minor >= money.refundable_minor
                else (_("%(amount)s stays paid.") % {"amount": _left_after(
                    money.refundable_minor, refund_minor, money.currency, locale)},)
            )  # fmt: skip
            return Confirmation(
                _("Refund %(who)s?") % {"who": who},
                (
                    _("Refunds %(amount)s of their %(paid)s deposit to their card.")
                    % {"amount": amount, "paid": paid},
                    *stays,
                ),
                _("Yes, refund"),
            )
        case _A.OPT_OUT:
            return Confirmation(
                _("Opt %(who)s out?") % {"who": who},
                (_("They get no more messages from us until they write START again."),),
                _("Yes, opt them out"),
            )
        case _:  # no-show
            kept = left or paid
            said = (
                _("Keeps their %(kept)s deposit, as the studio's policy says, and tells them.")
                if no_show_keeps
                else _(
                    "Refunds their %(kept)s deposit in full, as the studio's policy says,"
                    " and tells them."
                )
            ) % {"kept": kept}
            more = (
                (_("Their piece's other sessions are dropped."),)
                if money.sessions > money.sessions_booked
                else ()
            )
            return Confirmation(
                _("%(who)s did not come?") % {"who": who}, (said, *more), _("Yes, a no-show")
            )


def _left_after(left: int, refund: int, currency: str, locale: str) -> str:
    return Money(left - refund, currency).format(locale)
