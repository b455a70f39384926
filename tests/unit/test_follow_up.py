"""
Choosing "Other" for the placement asks where, in the lead's own words, and that answer
is the placement from then on: in the summary, the packet and everywhere answers are read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

import pytest

from actors.copy import Composer, load_copy, script_from
from actors.lead import (
    Answer,
    ArtistAction,
    Decision,
    Event,
    LeadState,
    Message,
    SendMessage,
    SendPacket,
    SendSummary,
    Status,
    latest_answers,
    state_from_json,
    state_to_json,
)
from tests.unit.lead_fixtures import LEAD, act, behaviour, media, msg, reply
from tests.unit.rendering import stored_message

S = Status
COPY_DIR = Path(__file__).resolve().parents[2] / "copy"
ON_PLACEMENT = LeadState(
    wa_id=LEAD,
    status=S.QUALIFYING,
    name="Ana",
    current_question="placement",
    answers=(Answer("idea", "a rose", "wa:1", 1),),
)


def play(state: LeadState, events: Sequence[Event]) -> tuple[LeadState, Decision]:
    lead = behaviour()
    decision = Decision(state)
    for event in events:
        decision = lead.decide(state, event)
        state = decision.state
    return state, decision


def to_lead(decision: Decision) -> list[str]:
    return [e.key for e in decision.effects if isinstance(e, Message) and e.to == LEAD]


def test_other_asks_where_and_keeps_the_question_open() -> None:
    state, decision = play(ON_PLACEMENT, [reply("other")])
    assert to_lead(decision) == ["questions.placement.other"]
    assert state.status is S.QUALIFYING
    assert (state.current_question, state.follow_up) == ("placement", "other")
    assert latest_answers(state.answers)["placement"].value == "other"  # the pick is recorded


def test_typing_other_counts_like_tapping_it() -> None:
    _, decision = play(ON_PLACEMENT, [msg("other")])
    assert to_lead(decision) == ["questions.placement.other"]


def test_the_words_given_are_the_placement_and_the_next_question_follows() -> None:
    state, decision = play(ON_PLACEMENT, [reply("other"), msg("  behind my left ear ")])
    assert to_lead(decision) == ["questions.size"]
    assert (state.current_question, state.follow_up) == ("size", None)
    assert latest_answers(state.answers)["placement"].value == "behind my left ear"


def test_the_summary_and_the_packet_show_where() -> None:
    events = [
        reply("other"),
        msg("behind my left ear"),
        msg("7 cm"),
        reply("colour"),
        msg("next month"),
        msg("skip"),
    ]
    state, decision = play(ON_PLACEMENT, events)
    (summary,) = [e for e in decision.effects if isinstance(e, Message)]
    assert isinstance(summary, SendSummary)
    assert summary.key == "summary"
    assert dict(summary.answers)["placement"] == "behind my left ear"
    _, submitted = play(state, [reply("confirm")])
    packet = next(e for e in submitted.effects if isinstance(e, SendPacket))
    assert dict(packet.answers)["placement"] == "behind my left ear"


def test_a_too_short_answer_is_asked_again_then_handed_over() -> None:
    state, decision = play(ON_PLACEMENT, [reply("other"), msg("x")])
    assert to_lead(decision) == ["reask.placement.other"]
    assert state.follow_up == "other"
    state, decision = play(state, [msg("?")])
    assert state.status is S.NEEDS_ARTIST_REPLY
    assert to_lead(decision) == ["holding"]


def test_a_sticker_is_not_an_answer_to_where() -> None:
    state, decision = play(ON_PLACEMENT, [reply("other"), media("sticker")])
    assert [e for e in decision.effects if isinstance(e, Message)] == []
    assert (state.follow_up, state.failed_attempts) == ("other", 0)


def test_a_location_is_not_an_answer_to_where() -> None:
    state, decision = play(ON_PLACEMENT, [reply("other"), media("location")])
    (said,) = [e for e in decision.effects if isinstance(e, Message)]
    assert said == SendMessage(LEAD, "unsupported")  # alone: "where?" is not asked again
    assert (state.follow_up, state.failed_attempts) == ("other", 0)


def test_tapping_a_listed_placement_instead_takes_that_one() -> None:
    state, decision = play(ON_PLACEMENT, [reply("other"), reply("leg")])
    assert to_lead(decision) == ["questions.size"]
    assert state.follow_up is None
    assert latest_answers(state.answers)["placement"].value == "leg"


def test_a_handover_and_hand_back_asks_where_again() -> None:
    state, _ = play(ON_PLACEMENT, [reply("other"), msg("human")])
    assert state.status is S.NEEDS_ARTIST_REPLY
    state, decision = play(state, [act(ArtistAction.HAND_BACK)])
    assert to_lead(decision) == ["questions.placement.other"]
    state, decision = play(state, [msg("my ribs")])
    assert latest_answers(state.answers)["placement"].value == "my ribs"


def test_a_stale_lead_answering_where_is_understood() -> None:
    stale = replace(ON_PLACEMENT, status=S.STALE, resume_status=S.QUALIFYING, follow_up="other")
    state, decision = play(stale, [msg("my ribs")])
    assert to_lead(decision) == ["questions.size"]
    assert latest_answers(state.answers)["placement"].value == "my ribs"


def test_editing_the_placement_asks_the_list_again_then_where_then_the_summary() -> None:
    answered = replace(
        ON_PLACEMENT,
        status=S.CONFIRMING,
        current_question=None,
        answers=(*ON_PLACEMENT.answers, Answer("placement", "ribs", "wa:2", 2)),
    )
    state, decision = play(answered, [reply("edit:placement")])
    assert to_lead(decision) == ["questions.placement"]
    state, decision = play(state, [reply("other")])
    assert to_lead(decision) == ["questions.placement.other"]
    state, decision = play(state, [msg("my ankle")])
    assert to_lead(decision) == ["summary"]
    assert state.follow_up is None
    assert latest_answers(state.answers)["placement"].value == "my ankle"


def test_the_follow_up_survives_a_snapshot() -> None:
    state, _ = play(ON_PLACEMENT, [reply("other")])
    assert state_from_json(state_to_json(state)) == state
    assert state_from_json({**state_to_json(state), "follow_up": None}).follow_up is None
    older = state_to_json(state)
    del older["follow_up"]  # a snapshot written before follow-ups existed
    assert state_from_json(older).follow_up is None


# -- the copy: the option that asks, and its question --------------------------------


@pytest.mark.parametrize(
    ("locale", "asks"),
    [("en_GB", "Where exactly?"), ("es_ES", "¿Dónde exactamente?")],
)
def test_every_locale_asks_where_after_other(locale: str, asks: str) -> None:
    copy = load_copy(COPY_DIR, locale)
    composer = Composer(copy)
    placement = script_from(copy).get("placement")
    assert placement is not None
    assert placement.follow_up("other") is not None
    assert placement.follow_up("arm") is None
    message = composer.render(
        stored_message({"to": LEAD, "key": "questions.placement.other", "params": {}})
    )
    assert message["type"] == "text"  # free text: no list to pick from
    assert message["text"]["body"].startswith(asks)
    reask = composer.render(
        stored_message({"to": LEAD, "key": "reask.placement.other", "params": {}})
    )
    assert reask["text"]["body"] != message["text"]["body"]


def test_the_summary_shows_the_placement_in_the_leads_words() -> None:
    composer = Composer(load_copy(COPY_DIR, "en_GB"))
    summary = composer.render(
        stored_message(
            {"to": LEAD, "key": "summary", "answers": [["placement", "behind my left ear"]]}
        )
    )
    assert "• Placement: behind my left ear\n" in summary["interactive"]["body"]["text"]
