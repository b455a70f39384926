"""Each source's inbound message: its inbox id, its lead and its event agree."""

from __future__ import annotations

from uuid import UUID

from actors import Inbound
from actors.lead import ArtistActed, ArtistAction, DepositLinkCreated, TimerFired, TimerKind
from tests.unit.lead_fixtures import LEAD, NOW, msg


def test_an_admin_action_is_named_by_its_own_uuid() -> None:
    action_id = UUID("12345678-1234-5678-1234-567812345678")
    inbound = Inbound.from_admin(
        LEAD, ArtistAction.APPROVE, action_id=action_id, now=NOW, correlation_id="req-1"
    )
    assert inbound.message_id == f"admin:{action_id}"
    assert inbound.lead_key == LEAD
    assert inbound.event == ArtistActed(
        inbound.message_id, LEAD, ArtistAction.APPROVE, NOW, via="admin"
    )
    assert inbound.record == {
        "via": "admin",
        "action": "approve",
        "wa_id": LEAD,
        "at": NOW.isoformat(),
    }
    assert inbound.correlation_id == "req-1"


def test_a_timer_firing_is_named_by_its_timer_and_due_time() -> None:
    inbound = Inbound.from_timer(
        timer_id=7, lead_key=LEAD, kind=TimerKind.STALE, due_at=1_900_000_000, now=NOW
    )
    assert inbound.message_id == "timer:7:1900000000"
    assert inbound.correlation_id == inbound.message_id
    assert inbound.event == TimerFired(
        inbound.message_id, LEAD, 7, TimerKind.STALE, 1_900_000_000, NOW
    )
    assert inbound.record == {"timer_id": 7, "kind": "stale"}


def deposit_link(correlation_id: str | None) -> Inbound:
    return Inbound.from_deposit_link(
        wa_id=LEAD,
        attempt=2,
        session_id="cs_test_1",
        url="https://checkout.test/1",
        expires_at=1_900_000_000,
        now=NOW,
        correlation_id=correlation_id,
    )


def test_a_deposit_link_is_named_by_its_checkout_session() -> None:
    inbound = deposit_link(correlation_id="row-9")
    assert inbound.message_id == "stripe-session:cs_test_1"
    assert inbound.correlation_id == "row-9"
    assert inbound.event == DepositLinkCreated(
        inbound.message_id, LEAD, 2, "cs_test_1", "https://checkout.test/1", 1_900_000_000, NOW
    )
    assert inbound.record == {"session_id": "cs_test_1", "attempt": 2}


def test_a_deposit_link_without_an_outbox_correlation_is_its_own() -> None:
    assert deposit_link(correlation_id=None).correlation_id == "stripe-session:cs_test_1"


def test_a_whatsapp_message_goes_to_the_lead_its_event_names() -> None:
    event = msg("hello")
    inbound = Inbound.from_whatsapp(event, {"id": "wamid.1"}, "req-2")
    assert (inbound.lead_key, inbound.message_id) == (event.wa_id, event.message_id)
