"""
Who a lead is, as the behaviour and Meta's webhook parsing see it: how the artist names
a lead with and without a phone, identifiers merging as they arrive, and the shapes of
Meta's identifiers that a message is taken or refused on.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from actors.lead import LeadState, MessageReceived, SystemNotice
from actors.lead.identity import changed, identifiers, known, who
from web.whatsapp_models import MetaWebhook

USER_ID = "US.13491208655302741918"
PARENT_ID = "US.ENT.11815799212886844830"


def message(**identity: Any) -> MessageReceived:
    return MessageReceived("wa:1", "k", 1, datetime.now(UTC), "text", "hi", **identity)


def test_the_artist_reads_number_and_link_with_a_phone() -> None:
    state = LeadState("447700900123", name="Ana")
    assert who(state) == {
        "name": "Ana",
        "number": "+447700900123",
        "link": "https://wa.me/447700900123",
    }


def test_the_artist_reads_the_username_else_the_bsuid_and_no_link_without_a_phone() -> None:
    key = "2f1c1b7e-8a4e-4c1a-9a57-0b1f3c2d4e5f"
    with_name = LeadState(key, name="Ana", user_id=USER_ID, username="rosefan")
    assert who(with_name) == {"name": "Ana", "number": "@rosefan", "link": ""}
    assert who(LeadState(key, user_id=USER_ID)) == {"name": "-", "number": USER_ID, "link": ""}


def test_identifiers_join_as_they_arrive_and_a_change_replaces_them() -> None:
    state = known(LeadState("k"), message(user_id=USER_ID, username="rosefan"))
    state = known(state, message(phone="447700900123"))  # a phone learned later
    assert (state.phone, state.user_id, state.username) == ("447700900123", USER_ID, "rosefan")
    assert identifiers(state) >= {"447700900123", USER_ID}
    notice = SystemNotice("user_changed_number", "447700900124", "US.2", USER_ID)
    moved = changed(state, notice)
    assert (moved.phone, moved.user_id) == ("447700900124", "US.2")
    assert changed(state, SystemNotice("customer_identity_changed")) == state


def body(*messages: dict[str, Any], contacts: list[dict[str, Any]] | None = None) -> Any:
    value = {"messages": list(messages), "contacts": contacts or []}
    return {"object": "whatsapp_business_account", "entry": [{"changes": [{"value": value}]}]}


def text(**sender: Any) -> dict[str, Any]:
    return {
        "id": "wamid.1",
        "timestamp": "1780000000",
        "type": "text",
        "text": {"body": "hi"},
        **sender,
    }


def test_a_message_from_a_bsuid_alone_is_taken_with_its_contact() -> None:
    contact = {"profile": {"name": "Ana", "username": "@rosefan"}, "user_id": USER_ID}
    batch = MetaWebhook.model_validate(
        body(text(from_user_id=USER_ID, from_parent_user_id=PARENT_ID), contacts=[contact])
    ).batch()
    (taken,) = batch.messages
    event = taken.event(datetime.now(UTC))
    assert (event.phone, event.user_id, event.parent_user_id) == (None, USER_ID, PARENT_ID)
    assert (event.username, event.profile_name) == ("rosefan", "Ana")
    assert batch.invalid == ()


@pytest.mark.parametrize(
    "sender",
    [
        {},  # no sender at all
        {"from_user_id": "13491208655302741918"},  # no country
        {"from_user_id": "USA.1349"},  # three letters
        {"from_user_id": "US." + "1" * 129},  # too long
        {"from": "447700900123", "from_parent_user_id": USER_ID},  # not a parent one
    ],
)
def test_a_message_without_a_sender_or_with_a_malformed_bsuid_is_refused(
    sender: dict[str, Any],
) -> None:
    batch = MetaWebhook.model_validate(body(text(**sender))).batch()
    assert batch.messages == ()
    (refused,) = batch.invalid
    assert refused.field == "messages"
