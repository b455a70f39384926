"""
Who a lead is, as the behaviour sees it. Pure.

    known          the identifiers a message carried join the lead's (a phone learned
                   later, a new username); a change notice's new values replace the old
    phone_of       the lead's phone: the one WhatsApp gave, else its key when that is a
                   number (leads from before identifiers were kept)
    identifiers    every identifier the lead answers to (the pilot allowlist's test)
    who            the lead as every message to the artist names them:
                   `<name> (+<phone>, https://wa.me/<phone>)` with a phone, else
                   `<name> (@<username>)`, else `<name> (<BSUID>)`: no link without a
                   phone (the copy drops ", {link}" when `link` is empty)
"""

from __future__ import annotations

from dataclasses import replace

from actors.lead.model import LeadState, MessageReceived, SystemNotice

__all__ = ["IDENTITY_CHANGES", "changed", "identifiers", "known", "phone_of", "who"]

IDENTITY_CHANGES = frozenset({"user_changed_number", "user_changed_user_id"})


def known(state: LeadState, message: MessageReceived) -> LeadState:
    """`state` with what `message` said of who wrote (nothing said: nothing changes)."""
    phone = message.phone or state.phone
    user_id = message.user_id or state.user_id
    parent = message.parent_user_id or state.parent_user_id
    username = message.username or state.username
    if (phone, user_id, parent, username) == (
        state.phone,
        state.user_id,
        state.parent_user_id,
        state.username,
    ):
        return state  # the usual case: no new state on the hot path
    return replace(state, phone=phone, user_id=user_id, parent_user_id=parent, username=username)


def changed(state: LeadState, notice: SystemNotice) -> LeadState:
    """`state` after Meta said the person's number or BSUID changed."""
    if notice.type not in IDENTITY_CHANGES:
        return state
    return replace(
        state,
        phone=notice.new_wa_id or phone_of(state),
        user_id=notice.new_user_id or state.user_id,
        parent_user_id=notice.new_parent_user_id or state.parent_user_id,
    )


def phone_of(state: LeadState) -> str | None:
    if state.phone:
        return state.phone
    return state.wa_id if state.wa_id.isdigit() else None


def identifiers(state: LeadState) -> frozenset[str]:
    found = (state.wa_id, phone_of(state), state.user_id, state.parent_user_id)
    return frozenset(i for i in found if i)


def who(state: LeadState) -> dict[str, str]:
    """The lead as every message to the artist names them."""
    name = state.name or "-"
    phone = phone_of(state)
    if phone:
        return {"name": name, "number": f"+{phone}", "link": f"https://wa.me/{phone}"}
    if state.username:
        return {"name": name, "number": f"@{state.username}", "link": ""}
    return {"name": name, "number": state.user_id or state.wa_id, "link": ""}
