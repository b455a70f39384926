"""
The artist's Business app as rules of the lead's behaviour: an echo takes over a lead the
bot is talking to (and only such a lead), a stranger the artist wrote to is never
greeted and is asked from the first question when handed back, an echoed edit or
deletion changes nothing; a contact names a lead only when it has no name.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from actors.lead import (
    ArtistAction,
    AskQuestion,
    LeadState,
    RecordEvent,
    Status,
    WhatsAppMessage,
)
from tests.unit.lead_fixtures import LEAD, act, behaviour, contact, echo

S = Status


@pytest.mark.parametrize("status", [S.NEW, S.QUALIFYING, S.CONFIRMING, S.STALE, S.SCHEDULING])
def test_an_echo_takes_over_a_lead_the_bot_is_talking_to(status: Status) -> None:
    state = LeadState(wa_id=LEAD, status=status, current_question="size")
    decided = behaviour().decide(state, echo())
    assert decided.state.status is S.NEEDS_ARTIST_REPLY
    assert not [e for e in decided.effects if isinstance(e, WhatsAppMessage)]  # nothing sent
    kinds = [e.kind for e in decided.effects if isinstance(e, RecordEvent)]
    assert "artist_echoed" in kinds


@pytest.mark.parametrize("status", [S.PENDING_APPROVAL, S.BOOKED, S.OPTOUT, S.NEEDS_ARTIST_REPLY])
def test_an_echo_to_a_lead_the_bot_is_not_talking_to_is_only_recorded(status: Status) -> None:
    state = LeadState(wa_id=LEAD, status=status)
    decided = behaviour().decide(state, echo())
    assert decided.state.status is status
    assert not [e for e in decided.effects if isinstance(e, WhatsAppMessage)]
    assert [e.kind for e in decided.effects if isinstance(e, RecordEvent)] == ["artist_echoed"]


def test_a_stranger_handed_back_is_asked_the_first_question() -> None:
    lead = behaviour()
    taken = lead.decide(LeadState(wa_id=LEAD), echo()).state
    resumed = lead.decide(taken, act(ArtistAction.HAND_BACK))
    assert resumed.state.status is S.QUALIFYING
    [asked] = [e for e in resumed.effects if isinstance(e, AskQuestion)]
    assert asked.question == "idea"


@pytest.mark.parametrize("kind", ["edit", "revoke"])
def test_an_echoed_edit_or_deletion_changes_nothing(kind: str) -> None:
    state = LeadState(wa_id=LEAD, status=S.QUALIFYING, current_question="size")
    decided = behaviour().decide(state, echo(kind=kind))
    assert (decided.state.status, decided.state.current_question) == (S.QUALIFYING, "size")
    assert [e.kind for e in decided.effects if isinstance(e, RecordEvent)] == [
        f"artist_echo_{'edited' if kind == 'edit' else 'deleted'}"
    ]
    assert not [e for e in decided.effects if isinstance(e, WhatsAppMessage)]


def test_a_contact_names_a_lead_without_a_name_and_never_renames_one() -> None:
    lead = behaviour()
    named = lead.decide(LeadState(wa_id=LEAD), contact("add", "Ana Lopez")).state
    assert named.name == "Ana Lopez"
    assert lead.decide(named, contact("edit", "Someone Else")).state.name == "Ana Lopez"
    assert lead.decide(named, contact("remove", None)).state.name == "Ana Lopez"
    unnamed = replace(named, name=None)
    assert lead.decide(unnamed, contact("remove", "Bo")).state.name is None
