"""
The board's search, read as the artist meant it (a number any way people write it, in
the studio's country when it has no country code; otherwise words), and the words a
lead is found by (its name and latest answers, an option by its title, folded).
"""

from __future__ import annotations

import pytest

from actors.lead import (
    MEDIA_ANSWER,
    SKIPPED_ANSWER,
    Answer,
    Kind,
    LeadState,
    Option,
    Question,
    Script,
    fold,
    search_words,
)
from actors.queries.board_search import board_search, studio_region
from tests.unit.lead_fixtures import script


def answer(question: str, value: str, seq: int, media_id: str | None = None) -> Answer:
    return Answer(question, value, f"wamid.{seq}", seq, media_id)


def test_words_are_folded_without_case_accents_or_punctuation() -> None:
    assert fold("Lucía RAMÍREZ-Núñez, ¡una rosa!") == ["lucia", "ramirez", "nunez", "una", "rosa"]
    assert fold("Ça") == ["ca"]


def test_a_lead_is_found_by_its_name_and_latest_answers_with_options_by_title() -> None:
    state = LeadState(
        wa_id="447700900123",
        name="Lucía Ramírez",
        answers=(
            answer("idea", "A lily", 1),
            answer("idea", "A red rose on my ankle", 2),  # edited: the lily is gone
            answer("placement", "leg", 3),  # an option: its title
            answer("colour", "black_grey", 4),
            answer("timing", SKIPPED_ANSWER, 5),
            answer("reference", MEDIA_ANSWER, 6, media_id="MEDIA1"),
        ),
    )
    words = search_words(state, script()).split()
    assert words == [
        *("lucia", "ramirez", "a", "red", "rose", "on", "my", "ankle", "leg", "black", "grey")
    ]


def test_a_picked_option_is_found_by_its_title_not_its_id() -> None:
    colours = Script(
        questions=(Question("colour", Kind.BUTTONS, options=(Option("bw", "Black & grey"),)),),
        words=script().words,
    )
    state = LeadState(wa_id="447700900123", answers=(answer("colour", "bw", 1),))
    assert search_words(state, colours) == "black grey"


@pytest.mark.parametrize(
    ("typed", "region", "number"),
    [
        ("07700 900123", "GB", "447700900123"),
        ("07700-900-123", "GB", "447700900123"),
        ("(07700) 900.123", "GB", "447700900123"),
        ("+44 7700-900-123", "ES", "447700900123"),
        ("0044 7700 900123", "US", "447700900123"),
        ("612 34 56 78", "ES", "34612345678"),
        ("+34 612-345-678", None, "34612345678"),
    ],
)
def test_a_number_is_read_with_its_country_or_the_studios(
    typed: str, region: str | None, number: str
) -> None:
    search = board_search(typed, region)
    assert search.numbers == (number,)
    assert search.words == ()


def test_a_bare_run_of_four_digits_finds_any_number_containing_it() -> None:
    assert board_search("0123", "GB").digits == "0123"
    assert board_search("123", "GB").digits == ""


def test_anything_else_is_words() -> None:
    search = board_search("Ramírez rose", "GB")
    assert (search.words, search.numbers, search.digits) == (["ramirez", "rose"], (), "")


def test_the_studios_country_comes_from_the_artist_then_the_locale() -> None:
    assert studio_region("447700900999", "es_ES") == "GB"
    assert studio_region("34612345678", "en_GB") == "ES"
    assert studio_region(None, "es_ES") == "ES"
    assert studio_region(None, "en") is None
