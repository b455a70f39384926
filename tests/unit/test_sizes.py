"""
Sizes are understood however a lead writes them ("7", "7cm", "70mm", "3 in", '3"') and
kept one way, in centimetres: the summary, the artist's packet and the Sheet show the
same "7.6 cm" (as the locale writes decimals).
"""

from __future__ import annotations

import uuid
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import pytest

from actors.copy import Composer, CopyFile, load_copy, script_from
from actors.lead import (
    Answer,
    LeadBehaviour,
    LeadState,
    Message,
    Policy,
    Status,
    latest_answers,
    state_to_json,
)
from actors.lead.validation import size_cm
from actors.providers.sheets import sheet_header, sheet_row
from storage import LeadRecord
from tests.unit.lead_fixtures import LEAD, msg
from tests.unit.rendering import stored_message

COPY_DIR = Path(__file__).resolve().parents[2] / "copy"
ENGLISH_COPY, SPANISH_COPY = load_copy(COPY_DIR, "en_GB"), load_copy(COPY_DIR, "es_ES")
ENGLISH, SPANISH = Composer(ENGLISH_COPY), Composer(SPANISH_COPY)
LEAD_BEHAVIOUR = LeadBehaviour(script_from(ENGLISH_COPY), Policy())  # the copy as shipped
ON_SIZE = LeadState(
    wa_id=LEAD,
    status=Status.QUALIFYING,
    name="Ana",
    current_question="size",
    answers=(Answer("idea", "a rose", "wa:1", 1), Answer("placement", "arm", "wa:2", 2)),
)


@pytest.mark.parametrize(
    ("written", "kept"),
    [
        ("7", "7 cm"),
        ("7cm", "7 cm"),
        ("7 cm", "7 cm"),
        ("7 CM", "7 cm"),
        ("7 centimetres", "7 cm"),
        ("70mm", "7 cm"),
        ("70 mm", "7 cm"),
        ("3 in", "7.6 cm"),
        ("3in", "7.6 cm"),
        ('3"', "7.6 cm"),
        ("3''", "7.6 cm"),
        ("3 inches", "7.6 cm"),
        ("1.5 inch", "3.8 cm"),
        ("about 12 cm", "12 cm"),
        ("12.5 cm", "12.5 cm"),
        ("12.34cm", "12.3 cm"),
        ("10 x 15 cm", "10 x 15 cm"),
        ("10x15", "10 x 15 cm"),
        ("4 x 6 inches", "10.2 x 15.2 cm"),
        ("between 10 and 12 cm", "12 cm"),
        ("0.5 m", "50 cm"),
    ],
)
def test_a_size_is_understood_and_kept_in_centimetres(written: str, kept: str) -> None:
    state = LEAD_BEHAVIOUR.decide(ON_SIZE, msg(written)).state
    assert state.current_question == "colour", f"{written!r} was not accepted"
    assert latest_answers(state.answers)["size"].value == kept


@pytest.mark.parametrize("written", ["big", "palm sized", "300", "0", "2 m", "0.2 mm"])
def test_no_size_or_one_out_of_bounds_is_asked_again(written: str) -> None:
    decision = LEAD_BEHAVIOUR.decide(ON_SIZE, msg(written))
    (asked,) = [e for e in decision.effects if isinstance(e, Message)]
    assert asked.key == "reask.size"
    assert decision.state.answers == ON_SIZE.answers


@pytest.mark.parametrize(
    ("copy", "written", "cm"),
    [
        (ENGLISH_COPY, "3 inches", (7.6,)),
        (ENGLISH_COPY, "70 millimetres", (7.0,)),
        (ENGLISH_COPY, "7.5 cm", (7.5,)),
        (SPANISH_COPY, "7,5 cm", (7.5,)),
        (SPANISH_COPY, "3 pulgadas", (7.6,)),
        (SPANISH_COPY, "7 centímetros", (7.0,)),
        (SPANISH_COPY, "70 milímetros", (7.0,)),
    ],
)
def test_each_locale_knows_its_units(copy: CopyFile, written: str, cm: tuple[float]) -> None:
    assert size_cm(written, script_from(copy).words) == cm


def test_the_summary_and_the_packet_show_the_size_in_cm() -> None:
    state = LEAD_BEHAVIOUR.decide(ON_SIZE, msg("3 in")).state
    state = replace(state, status=Status.CONFIRMING, current_question=None)
    answers = [[key, a.value] for key, a in latest_answers(state.answers).items()]
    summary = ENGLISH.render(stored_message({"to": LEAD, "key": "summary", "answers": answers}))
    assert "• Size: 7.6 cm\n" in summary["interactive"]["body"]["text"]
    packet = ENGLISH.render(
        stored_message(
            {
                "to": "447700900999",
                "key": "artist_packet",
                "params": {"name": "Ana", "number": LEAD, "link": ""},
                "answers": answers,
                "ref": LEAD,
            }
        )
    )
    assert "• Size: 7.6 cm\n" in packet["interactive"]["body"]["text"] + "\n"


def test_the_sheet_shows_the_same_size() -> None:
    state = LEAD_BEHAVIOUR.decide(ON_SIZE, msg('3"')).state
    record = LeadRecord(
        lead_key=LEAD,
        lead_id=uuid.uuid4(),
        version=3,
        status=state.status.value,
        state=state_to_json(state),
        last_inbound_at=None,
        created_at=datetime(2026, 1, 1, tzinfo=UTC),
        updated_at=datetime(2026, 1, 1, tzinfo=UTC),
    )
    row = dict(zip(sheet_header(ENGLISH), sheet_row(record, ENGLISH), strict=True))
    assert row["Size"] == "7.6 cm"


def test_spanish_writes_the_decimal_comma() -> None:
    assert SPANISH.answer_value("size", "7.6 cm") == "7,6 cm"
    assert SPANISH.answer_value("size", "10 x 15.2 cm") == "10 x 15,2 cm"
    assert SPANISH.answer_value("size", "unos 7.5") == "unos 7.5", "old free text as it was"
    assert ENGLISH.answer_value("size", "7.6 cm") == "7.6 cm"


def test_the_question_says_which_units_it_takes() -> None:
    question = ENGLISH.render(stored_message({"to": LEAD, "key": "questions.size", "params": {}}))
    assert "cm or inches" in question["text"]["body"]
