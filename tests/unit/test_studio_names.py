"""
The studio's and the artist's names (STUDIO_NAME, ARTIST_NAME) in the copy: where a
studio would put them (greeting, handover, packet, deposit link, booking), validated as
settings, and the copy's own words ("the studio", "the artist") when they are unset.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from actors.copy import Composer, load_copy
from tests.unit.rendering import stored_message
from web.settings import Settings

COPY_DIR = Path(__file__).resolve().parents[2] / "copy"
LEAD = "447700900123"
NAMED = Composer(
    load_copy(COPY_DIR, "en_GB", studio_name="Black Lantern Tattoo", artist_name="Mika")
)


def body(composer: Composer, key: str, **fields: Any) -> str:
    message = composer.render(stored_message({"to": LEAD, "key": key, "params": {}, **fields}))
    if message["type"] == "interactive":
        return str(message["interactive"]["body"]["text"])
    return str(message["text"]["body"])


@pytest.mark.parametrize(
    ("key", "fields", "says"),
    [
        pytest.param(
            "questions.idea",
            {"params": {"name": "Ana"}, "intro": "greeting"},
            ["Black Lantern Tattoo", "Mika"],
            id="greeting",
        ),
        pytest.param(
            "questions.idea", {"intro": "greeting_anonymous"}, ["Black Lantern Tattoo"], id="anon"
        ),
        pytest.param("summary", {}, ["send this to Mika?"], id="summary"),
        pytest.param("sent_to_artist", {}, ["sent your request to Mika"], id="sent"),
        pytest.param("holding", {}, ["passed this to Mika"], id="handover"),
        pytest.param(
            "artist_packet",
            {"params": {"name": "Ana", "number": LEAD, "link": ""}, "ref": LEAD},
            ["to Black Lantern Tattoo"],
            id="packet",
        ),
        pytest.param(
            "deposit_link",
            {"params": {"amount": "50.00 GBP", "url": "https://pay.test/1"}},
            ["Mika would love to do this"],
            id="deposit-link",
        ),
        pytest.param(
            "booked",
            {"params": {"amount": "50.00 GBP"}, "outro": "deposit_policy"},
            ["booked in at Black Lantern Tattoo", "hear from Mika"],
            id="booked",
        ),
        pytest.param("declined", {}, ["thinking of Black Lantern Tattoo", "Mika can't"], id="no"),
        pytest.param("pilot", {}, ["Black Lantern Tattoo"], id="pilot"),
    ],
)
def test_the_names_appear_where_a_studio_would_put_them(
    key: str, fields: dict[str, Any], says: list[str]
) -> None:
    text = body(NAMED, key, **fields)
    for words in says:
        assert words in text
    assert "{" not in text


@pytest.mark.parametrize(
    ("locale", "studio", "artist"),
    [("en_GB", "the studio", "the artist"), ("es_ES", "nuestro estudio", "nuestro artista")],
)
def test_unset_names_read_as_the_copys_own_words(locale: str, studio: str, artist: str) -> None:
    composer = Composer(load_copy(COPY_DIR, locale))
    greeting = body(composer, "questions.idea", intro="greeting_anonymous")
    assert studio in greeting
    assert artist in greeting
    assert artist in body(composer, "holding")


def test_spanish_names_the_studio_and_the_artist_too() -> None:
    spanish = Composer(load_copy(COPY_DIR, "es_ES", studio_name="Tinta Negra", artist_name="Lucía"))
    greeting = body(spanish, "questions.idea", params={"name": "Ana"}, intro="greeting")
    assert "Gracias por escribir a Tinta Negra" in greeting
    assert "Lucía tendrá todo" in greeting
    assert "a Lucía" in body(spanish, "holding")


@pytest.mark.parametrize("locale", ["en_GB", "es_ES"])
def test_the_longest_names_allowed_still_fit_whatsapps_limits(locale: str) -> None:
    Composer(load_copy(COPY_DIR, locale, studio_name="S" * 60, artist_name="A" * 60))


def test_a_template_may_use_the_names(tmp_path: Path) -> None:
    """Outside the 24-hour window the template's parameters can name them too."""
    copy = yaml.safe_load((COPY_DIR / "en_GB.yml").read_text(encoding="utf-8"))
    copy["templates"]["booked"] = ["{studio}", "{artist}"]
    (tmp_path / "xx_XX.yml").write_text(yaml.safe_dump(copy, allow_unicode=True), "utf-8")
    composer = Composer(load_copy(tmp_path, "xx_XX", studio_name="Black Lantern Tattoo"))
    composer.check_templates(["booked"])
    assert composer.template_parameters("booked", {"amount": "50.00 GBP"}, ()) == [
        "Black Lantern Tattoo",
        "the artist",
    ]


# -- the settings -----------------------------------------------------------------------


def test_names_are_optional_settings() -> None:
    settings = Settings.model_construct()
    assert (settings.studio_name, settings.artist_name) == (None, None)
    named = Settings(studio_name="Black Lantern Tattoo", artist_name="Mika")
    assert (named.studio_name, named.artist_name) == ("Black Lantern Tattoo", "Mika")


@pytest.mark.parametrize(
    "bad",
    ["", "   ", "Ink {studio}", "Ink\nIron", "Ink\tIron", "S" * 61],
    ids=["empty", "blank", "braces", "newline", "tab", "too-long"],
)
@pytest.mark.parametrize("field", ["studio_name", "artist_name"])
def test_a_name_that_cannot_be_written_into_a_message_is_refused(field: str, bad: str) -> None:
    with pytest.raises(ValidationError, match=field):
        Settings.model_validate({field: bad})


def test_names_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STUDIO_NAME", "Black Lantern Tattoo")
    monkeypatch.setenv("ARTIST_NAME", "Mika")
    settings = Settings()
    assert (settings.studio_name, settings.artist_name) == ("Black Lantern Tattoo", "Mika")
