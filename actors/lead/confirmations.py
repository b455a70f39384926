"""
The artist's WhatsApp buttons that lose something ask first. Pure.

A first tap on Decline, Cancel + refund or No-show (`ArtistActed.confirmed` False)
changes nothing. The lead's rules decide the action as if it were confirmed and, when
it would act, that decision is dropped: the artist gets instead what it would do,
money included, read from the dropped decision itself (the refund it would ask of
Stripe, else the deposit the studio holds and keeps), with "Yes, ..." and "Keep" for
that lead. Only the "Yes" tap acts; after it, the same tap again finds nothing to do
and the artist is told the lead was already handled. An action that would not apply
says so at the first tap. The studio page asks first in its own way
(`web.studio_confirm`); the admin API acts at once.
"""

from __future__ import annotations

from actors.lead.artist_side import who
from actors.lead.messages import AskArtistToConfirm
from actors.lead.model import (
    ArtistActed,
    ArtistAction,
    Decision,
    LeadState,
    Outcome,
    RecordEvent,
    RefundDeposit,
)
from actors.lead.refunds import refundable
from actors.lead.script import Policy

__all__ = ["asking_first"]


def asking_first(state: LeadState, acted: ArtistActed, would: Decision, policy: Policy) -> Decision:
    """The artist's question in place of `would` (the confirmed action's decision)."""
    artist = policy.artist_number
    if would.outcome is not Outcome.PROCESSED or artist is None:
        return would
    money, amount = _money(state, would, policy)
    visit = state.visit
    when = None if visit is None or acted.action is ArtistAction.DECLINE else visit.starts_at
    asked = AskArtistToConfirm(
        artist, state.wa_id, who(state), acted.action.value, money, amount, when
    )
    noted = RecordEvent("info", "artist_asked_first", {"action": acted.action.value})
    return Decision(state, (asked, noted))


def _money(state: LeadState, would: Decision, policy: Policy) -> tuple[str, str]:
    """What the action would do with the deposit: its copy key, and the amount written."""
    back = sum(e.amount for e in would.effects if isinstance(e, RefundDeposit))
    if back:
        return "artist_sure_refunds", policy.money(back).format(policy.locale)
    held = refundable(state, policy.deposit)
    if held is not None:
        return "artist_sure_keeps", held.format(policy.locale)
    return "artist_sure_nothing_paid", ""
