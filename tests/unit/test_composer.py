"""
The copy: files are refused at load, naming the key, when they would break the code or
WhatsApp's limits; and what the composer renders is what the Graph API expects.

Broken files are en_GB.yml loaded, changed in one place and written to a temporary
directory, so each case proves exactly one rule.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from actors.copy import (
    REQUIRED_MESSAGES,
    Composer,
    CopyError,
    WhatsAppLimits,
    load_copy,
    script_from,
)
from actors.lead import (
    AskQuestion,
    AskWhatToEdit,
    Message,
    ReaskQuestion,
    SendDepositLink,
    SendMessage,
    SendPacket,
    SendSummary,
)
from actors.lead.codec import effect_to_json
from actors.lead.model import MEDIA_ANSWER, SKIPPED_ANSWER
from tests.unit.rendering import stored_message

COPY_DIR = Path(__file__).resolve().parents[2] / "copy"
LOCALES = sorted(path.stem for path in COPY_DIR.glob("*.yml"))
LEAD = "447700900123"

Copy = dict[str, Any]


def en_gb() -> Copy:
    loaded = yaml.safe_load((COPY_DIR / "en_GB.yml").read_text(encoding="utf-8"))
    assert isinstance(loaded, dict)
    return loaded


def write(tmp_path: Path, copy: Copy, locale: str = "xx_XX") -> Path:
    (tmp_path / f"{locale}.yml").write_text(
        yaml.safe_dump(copy, allow_unicode=True, sort_keys=False), encoding="utf-8"
    )
    return tmp_path


def question(copy: Copy, key: str) -> dict[str, Any]:
    return next(q for q in copy["questions"] if q["key"] == key)


def longest_intro_length(copy: Copy) -> int:
    """As sent: with the copy's own names for the studio and the artist filled in."""
    intros = ("greeting", "greeting_anonymous", "unsupported", "opted_in", "resumed")
    names = {"{studio}": copy["labels"]["studio"], "{artist}": copy["labels"]["artist"]}

    def sent(text: str) -> str:
        for placeholder, name in names.items():
            text = text.replace(placeholder, name)
        return text

    return max(len(sent(copy["messages"][key])) for key in intros)


def question_text_limit(copy: Copy) -> int:
    """Room left for a question once the longest intro and a long name precede it."""
    return (
        WhatsAppLimits.INTERACTIVE_BODY - longest_intro_length(copy) - WhatsAppLimits.NAME_ALLOWANCE
    )


# -- refusals: each mutation breaks one rule; the error names the key ----------------


def _drop_message(copy: Copy) -> None:
    del copy["messages"]["holding"]


def _unsupplied_placeholder(copy: Copy) -> None:
    copy["messages"]["greeting"] = "Hi {name}, welcome to {city}!"


def _wrong_button_ids(copy: Copy) -> None:
    copy["messages"]["summary"]["buttons"] = {"confirm": "Yes", "change": "Change"}


def _missing_button(copy: Copy) -> None:
    del copy["messages"]["artist_packet"]["buttons"]["take_over"]


def _four_buttons(copy: Copy) -> None:
    question(copy, "colour")["options"].append({"id": "mixed", "title": "A bit of both"})


def _long_question_button(copy: Copy) -> None:
    question(copy, "colour")["options"][0]["title"] = "C" * 21


def _long_message_button(copy: Copy) -> None:
    copy["messages"]["artist_packet"]["buttons"]["approve"] = "A" * 21


def _eleven_rows(copy: Copy) -> None:
    options = question(copy, "placement")["options"]
    options.extend({"id": f"extra{n}", "title": f"Extra {n}"} for n in range(11 - len(options)))


def _long_row_title(copy: Copy) -> None:
    question(copy, "placement")["options"][0]["title"] = "R" * 25


def _long_label(copy: Copy) -> None:
    question(copy, "size")["label"] = "L" * 25


def _long_question_text(copy: Copy) -> None:
    question(copy, "idea")["text"] = "Q" * (question_text_limit(copy) + 1)


def _long_reask(copy: Copy) -> None:
    question(copy, "timing")["reask"] = "Q" * (question_text_limit(copy) + 1)


def _long_list_button(copy: Copy) -> None:
    copy["labels"]["list_button"] = "B" * 21


def _follow_up_without_reask(copy: Copy) -> None:
    del question(copy, "placement")["options"][-1]["reask"]


def _placeholder_in_a_follow_up(copy: Copy) -> None:
    question(copy, "placement")["options"][-1]["ask"] = "Where, {name}?"


def _unknown_size_unit(copy: Copy) -> None:
    copy["words"]["size_units"]["ft"] = ["ft", "feet"]


@pytest.mark.parametrize(
    ("mutate", "named"),
    [
        pytest.param(_drop_message, "'holding' is missing", id="missing-message-key"),
        pytest.param(_unsupplied_placeholder, "'greeting' uses unsupplied", id="placeholder"),
        pytest.param(_wrong_button_ids, "'summary' must have buttons", id="wrong-button-ids"),
        pytest.param(_missing_button, "'artist_packet' must have buttons", id="missing-button"),
        pytest.param(_four_buttons, "'questions.colour': more than 3", id="four-buttons"),
        pytest.param(_long_question_button, "'questions.colour': button", id="button-21"),
        pytest.param(_long_message_button, "'artist_packet': button", id="message-button-21"),
        pytest.param(_eleven_rows, "'questions.placement': a list takes", id="eleven-rows"),
        pytest.param(_long_row_title, "'questions.placement': a row title", id="row-title-25"),
        pytest.param(_long_label, "'questions.size': label over 24", id="label-25"),
        pytest.param(_long_question_text, "'questions.idea': text is", id="question-text"),
        pytest.param(_long_reask, "'questions.timing': text is", id="reask-text"),
        pytest.param(_long_list_button, "'labels.list_button'", id="list-button-21"),
        pytest.param(_follow_up_without_reask, "needs `reask` too", id="follow-up-reask"),
        pytest.param(_placeholder_in_a_follow_up, "takes no placeholders", id="follow-up-name"),
        pytest.param(_unknown_size_unit, "unknown units ['ft']", id="size-unit"),
    ],
)
def test_load_refuses_a_broken_copy_file_naming_the_key(
    tmp_path: Path, mutate: Callable[[Copy], None], named: str
) -> None:
    copy = en_gb()
    mutate(copy)
    with pytest.raises(CopyError, match=re.escape(named)) as refused:
        load_copy(write(tmp_path, copy), "xx_XX")
    assert "xx_XX.yml" in str(refused.value), "the error names the file too"


def test_a_question_text_exactly_at_the_limit_is_accepted(tmp_path: Path) -> None:
    """The limit leaves room for the longest intro and a long name, and no less."""
    copy = en_gb()
    question(copy, "idea")["text"] = "Q" * question_text_limit(copy)
    load_copy(write(tmp_path, copy), "xx_XX")


def test_load_refuses_malformed_yaml_naming_the_file(tmp_path: Path) -> None:
    (tmp_path / "xx_XX.yml").write_text("locale: xx_XX\nmessages: [unclosed\n", encoding="utf-8")
    with pytest.raises(CopyError, match=re.escape("xx_XX.yml")):
        load_copy(tmp_path, "xx_XX")


def test_load_refuses_a_missing_locale_file(tmp_path: Path) -> None:
    with pytest.raises(CopyError, match=re.escape("zz_ZZ.yml")):
        load_copy(tmp_path, "zz_ZZ")


@pytest.mark.parametrize(
    ("line", "named"),
    [
        pytest.param('  skip: ["skip", no, "none"]', "words.skip", id="bare-no"),
        pytest.param('  confirm: [yes, "yep"]', "words.confirm", id="bare-yes"),
        pytest.param('  opt_out: ["stop", off]', "words.opt_out", id="bare-off"),
    ],
)
def test_load_refuses_yaml_booleans_in_a_word_list(tmp_path: Path, line: str, named: str) -> None:
    """A bare yes / no is a YAML 1.1 boolean: refused, not silently read as "True"."""
    source = (COPY_DIR / "en_GB.yml").read_text(encoding="utf-8")
    word_list = line.split(":")[0] + ":"
    lines = [line if raw.startswith(word_list) else raw for raw in source.splitlines()]
    assert line in lines, "the word list to replace exists in en_GB.yml"
    (tmp_path / "xx_XX.yml").write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(CopyError, match=re.escape(named)):
        load_copy(tmp_path, "xx_XX")


# -- every shipped locale loads and is complete by key --------------------------------


def test_en_gb_and_at_least_one_other_locale_are_shipped() -> None:
    assert "en_GB" in LOCALES
    assert len(LOCALES) > 1


@pytest.mark.parametrize("locale", LOCALES)
def test_every_copy_file_loads(locale: str) -> None:
    assert script_from(load_copy(COPY_DIR, locale)).questions


def _shape(copy: Copy) -> dict[str, Any]:
    """Everything code refers to by id: what must not differ between locales."""
    return {
        "locale keys": sorted(copy),
        "words": sorted(copy["words"]),
        "size units": sorted(copy["words"]["size_units"]),
        "labels": sorted(copy["labels"]),
        "messages": {
            key: sorted(value.get("buttons", {})) if isinstance(value, dict) else []
            for key, value in copy["messages"].items()
        },
        "questions": [
            (
                q["key"],
                q["kind"],
                q.get("validation"),
                [(o["id"], "ask" in o) for o in q.get("options", [])],
            )
            for q in copy["questions"]
        ],
    }


@pytest.mark.parametrize("locale", [locale for locale in LOCALES if locale != "en_GB"])
def test_every_locale_has_the_keys_and_ids_of_en_gb(locale: str) -> None:
    """Message keys, button ids, question keys in order, kinds, validation, option ids."""
    translated = yaml.safe_load((COPY_DIR / f"{locale}.yml").read_text(encoding="utf-8"))
    assert translated["locale"] == locale
    assert _shape(translated) == _shape(en_gb())


@pytest.mark.parametrize("locale", LOCALES)
def test_every_locale_has_every_message_the_code_sends(locale: str) -> None:
    copy = yaml.safe_load((COPY_DIR / f"{locale}.yml").read_text(encoding="utf-8"))
    assert set(REQUIRED_MESSAGES) <= set(copy["messages"])


@pytest.mark.parametrize("locale", LOCALES)
def test_every_locale_understands_stop_and_unsubscribe(locale: str) -> None:
    """WhatsApp users type the English words whatever the language of the chat."""
    words = script_from(load_copy(COPY_DIR, locale)).words
    assert words.is_opt_out("STOP")
    assert words.is_opt_out("Unsubscribe")
    assert words.is_opt_in("Start")


def test_spanish_words_steer_the_spanish_conversation() -> None:
    words = script_from(load_copy(COPY_DIR, "es_ES")).words
    assert words.is_opt_out("Baja")
    assert words.is_opt_in("ALTA")
    assert words.is_skip("Saltar")
    assert words.is_confirm("Sí, envíalo")
    assert words.is_confirm("si")
    assert words.is_edit("Cambiar")
    assert words.asks_for_human("Quiero hablar con el artista, por favor")
    assert not words.asks_for_human("Un retrato de una persona con un corazón humano")


# -- rendering -----------------------------------------------------------------------


@pytest.fixture(scope="module")
def composer() -> Composer:
    return Composer(load_copy(COPY_DIR, "en_GB"))


def payload(key: str, **fields: Any) -> Message:
    """A message as the relay gets a row queued before the kinds were typed: the one
    wide shape, decoded from the outbox's JSON (lists, not tuples)."""
    return as_effect({"to": LEAD, "key": key, "params": {}, "answers": [], **fields})


def as_effect(stored: dict[str, Any]) -> Message:
    return stored_message(stored)


def button_ids(message: dict[str, Any]) -> list[str]:
    return [b["reply"]["id"] for b in message["interactive"]["action"]["buttons"]]


def rows(message: dict[str, Any]) -> list[tuple[str, str]]:
    (section,) = message["interactive"]["action"]["sections"]
    return [(row["id"], row["title"]) for row in section["rows"]]


def test_a_buttons_question_renders_reply_buttons_with_the_option_ids(
    composer: Composer,
) -> None:
    message = composer.render(AskQuestion(LEAD, "colour"))
    assert message["type"] == "interactive"
    assert message["interactive"]["type"] == "button"
    assert message["interactive"]["body"]["text"] == "Colour or black and grey?"
    assert button_ids(message) == ["colour", "black_grey", "unsure"]
    assert {b["type"] for b in message["interactive"]["action"]["buttons"]} == {"reply"}


def test_a_reask_renders_the_reask_text_with_the_same_buttons(composer: Composer) -> None:
    message = composer.render(ReaskQuestion(LEAD, "colour"))
    assert message["interactive"]["body"]["text"].startswith("Please tap one of the buttons")
    assert button_ids(message) == ["colour", "black_grey", "unsure"]


def test_a_list_question_renders_a_list_with_a_row_per_option(composer: Composer) -> None:
    message = composer.render(AskQuestion(LEAD, "placement"))
    assert message["interactive"]["type"] == "list"
    assert message["interactive"]["action"]["button"] == "Choose"
    assert rows(message)[:2] == [("arm", "Arm"), ("forearm", "Forearm")]
    assert len(rows(message)) == 8


def test_a_text_question_after_an_intro_is_one_text_message(composer: Composer) -> None:
    message = composer.render(AskQuestion(LEAD, "idea", intro="greeting", name="Ana"))
    assert message["type"] == "text"
    body = message["text"]["body"]
    assert body.startswith("Hi Ana! Thanks for getting in touch with the studio.")
    assert body.endswith("\n\nWhat would you like to get? Describe your idea in a few words.")


def test_edit_pick_lists_every_question_by_its_label(composer: Composer) -> None:
    message = composer.render(AskWhatToEdit(LEAD))
    assert message["interactive"]["type"] == "list"
    assert rows(message) == [
        ("edit:idea", "Idea"),
        ("edit:placement", "Placement"),
        ("edit:size", "Size"),
        ("edit:colour", "Colour"),
        ("edit:timing", "When"),
        ("edit:reference", "Reference"),
    ]


def test_the_artist_packet_buttons_carry_the_lead_reference(composer: Composer) -> None:
    who = {"name": "Ana", "number": "+447700900123", "link": "https://wa.me/447700900123"}
    message = composer.render(SendPacket("447700900999", LEAD, who, ()))
    assert button_ids(message) == [f"approve:{LEAD}", f"decline:{LEAD}", f"take_over:{LEAD}"]
    assert message["interactive"]["body"]["text"].startswith(
        "New enquiry from Ana (+447700900123, https://wa.me/447700900123)"
    )


def test_answers_render_one_line_each_with_titles_and_media_labels(composer: Composer) -> None:
    answers = (
        ("idea", "a fox"),
        ("placement", "forearm"),
        ("size", "10.5 cm"),
        ("colour", "black_grey"),
        ("timing", "next month"),
        ("reference", MEDIA_ANSWER),
    )
    body = composer.render(SendSummary(LEAD, answers))["interactive"]["body"]["text"]
    assert body == (
        "Here's what I've got:\n"
        "• Idea: a fox\n"
        "• Placement: Forearm\n"
        "• Size: 10.5 cm\n"
        "• Colour: Black & grey\n"
        "• When: next month\n"
        "• Reference: reference received\n"
        "\n"
        "Shall I send this to the artist?"
    )


def test_a_skipped_reference_renders_the_skipped_label(composer: Composer) -> None:
    body = composer.render(SendSummary(LEAD, (("reference", SKIPPED_ANSWER),)))
    assert "• Reference: no reference\n" in body["interactive"]["body"]["text"]


def test_reason_inserts_the_text_of_the_named_copy_key(composer: Composer) -> None:
    who = {"name": "Ana", "number": "+1", "link": "https://wa.me/1"}
    message = composer.render(SendPacket("447700900999", LEAD, who, (), reason="reason_stuck"))
    body = message["interactive"]["body"]["text"]
    assert "(they got stuck on a question)" in body
    assert "reason_stuck" not in body
    assert button_ids(message) == [f"hand_back:{LEAD}", f"approve:{LEAD}", f"decline:{LEAD}"]


def test_an_interactive_body_over_1024_characters_is_clipped(composer: Composer) -> None:
    message = composer.render(SendSummary(LEAD, (("idea", "fox " * 400),)))
    body = message["interactive"]["body"]["text"]
    assert len(body) == WhatsAppLimits.INTERACTIVE_BODY
    assert body.endswith("…")
    assert button_ids(message) == ["confirm", "edit"], "the buttons survive the clipping"


def test_a_text_body_over_4096_characters_is_clipped(composer: Composer) -> None:
    who = {"name": "x" * 5000, "number": "1", "link": "l"}
    message = composer.render(SendMessage("447700900999", "artist_reference", who))
    assert message["type"] == "text"
    assert len(message["text"]["body"]) == WhatsAppLimits.TEXT_BODY
    assert message["text"]["body"].endswith("…")


def test_a_forwarded_reference_keeps_its_media_id_and_gets_a_caption(
    composer: Composer,
) -> None:
    message = composer.render(
        as_effect(
            {
                "to": "447700900999",
                "media_id": "media-123",
                "caption_key": "artist_reference",
                "params": {"name": "Ana", "number": "+1", "link": "https://wa.me/1"},
            }
        )
    )
    assert message == {
        "type": "image",
        "image": {"id": "media-123", "caption": "Reference from Ana (+1, https://wa.me/1)"},
    }


ANA = {"name": "Ana", "number": "+1", "link": "https://wa.me/1"}


@pytest.mark.parametrize("kind", ["image", "video", "document"])
def test_a_forward_goes_under_its_own_type_with_the_lead_named_in_its_caption(
    composer: Composer, kind: str
) -> None:
    stored = {"to": "9", "media_id": "M", "caption_key": "artist_forward_media", "kind": kind}
    message = composer.render(as_effect({**stored, "params": {**ANA, "text": "like this"}}))
    assert message == {
        "type": kind,
        kind: {"id": "M", "caption": "Ana (+1, https://wa.me/1): like this"},
    }


@pytest.mark.parametrize("kind", ["audio", "sticker"])
def test_a_voice_note_or_a_sticker_goes_without_a_caption_which_meta_refuses_there(
    composer: Composer, kind: str
) -> None:
    stored = {"to": "9", "media_id": "M", "caption_key": "artist_forward_media", "kind": kind}
    message = composer.render(as_effect({**stored, "params": {**ANA, "text": ""}}))
    assert message == {"type": kind, kind: {"id": "M"}}


def test_a_document_keeps_the_name_its_sender_gave_it_and_no_caption_is_sent_empty(
    composer: Composer,
) -> None:
    stored = {"to": "9", "media_id": "M", "caption_key": "artist_reply_media", "kind": "document"}
    message = composer.render(as_effect({**stored, "params": {"text": ""}, "filename": "a.pdf"}))
    assert message == {
        "type": "document",
        "document": {"id": "M", "filename": "a.pdf"},
    }


def test_who_sent_a_voice_note_is_said_in_a_text_of_its_own(composer: Composer) -> None:
    message = composer.render(SendMessage("9", "artist_forward_media_from", ANA))
    assert message["text"]["body"] == "Ana (+1, https://wa.me/1) sent this:"


def test_an_unknown_key_at_render_time_is_a_copy_error(composer: Composer) -> None:
    with pytest.raises(CopyError, match=re.escape("'questions.tattoo' is missing")):
        composer.render(AskQuestion(LEAD, "tattoo"))
    with pytest.raises(CopyError, match=re.escape("'farewell' is missing")):
        composer.render(SendMessage(LEAD, "farewell"))


def test_spanish_renders_the_same_ids_with_spanish_titles() -> None:
    spanish = Composer(load_copy(COPY_DIR, "es_ES"))
    message = spanish.render(AskQuestion(LEAD, "colour"))
    assert button_ids(message) == ["colour", "black_grey", "unsure"]
    titles = [b["reply"]["title"] for b in message["interactive"]["action"]["buttons"]]
    assert titles == ["Color", "Negro y gris", "No lo sé"]
    summary = spanish.render(SendSummary(LEAD, (("placement", "forearm"),)))
    assert "• Zona: Antebrazo" in summary["interactive"]["body"]["text"]


@pytest.mark.parametrize(
    ("locale", "amount", "policy"),
    [
        (
            "en_GB",
            "£50.00",
            ["About the deposit", "non-refundable if you cancel", "full £50.00 back"],
        ),
        (
            "es_ES",
            "50,00\u00a0€",
            ["Sobre el depósito", "no es reembolsable", "los 50,00\u00a0€ íntegros"],
        ),
    ],
)
def test_the_deposit_link_states_the_policy_before_paying(
    locale: str, amount: str, policy: list[str]
) -> None:
    """The policy (amount, refund terms) is in the very message that carries the link."""
    composer = Composer(load_copy(COPY_DIR, locale))
    for attempt in (1, 2):
        link = SendDepositLink(LEAD, "https://pay.test/cs_1", amount, attempt)
        key = link.key
        body = composer.render(link)["text"]["body"]
        link_at = body.index("https://pay.test/cs_1")
        for words in policy:
            assert words in body[link_at:], f"{words!r} missing from {key}"


WHO = {"name": "Ana", "number": "+447700900123", "link": "https://wa.me/447700900123"}
ALL_ANSWERS = [["idea", "a fox"], ["placement", "forearm"], ["reference", MEDIA_ANSWER]]


@pytest.mark.parametrize(
    ("key", "fields"),
    [
        ("questions.idea", {"params": {"name": "Ana"}, "intro": "greeting"}),
        ("questions.colour", {"intro": "resumed"}),
        ("reask.placement", {}),
        ("summary", {"answers": ALL_ANSWERS, "intro": "resumed"}),
        ("summary_reask", {"answers": ALL_ANSWERS}),
        ("edit_pick", {}),
        ("opted_out", {"after_opt_out": True}),
        ("artist_packet", {"params": WHO, "answers": ALL_ANSWERS, "ref": LEAD}),
        ("artist_handover", {"params": {**WHO, "reason": "reason_asked"}, "ref": LEAD}),
        ("deposit_link", {"params": {"url": "https://pay.test/1", "amount": "£50.00"},
                          "outro": "deposit_policy"}),
        ("booked", {"params": {"amount": "£50.00"}, "outro": "deposit_policy"}),
        ("artist_which_lead", {"choices": [["to:1:wa:2", "Ana", "+1"]]}),
        ("artist_reply", {"params": {"text": "Friday at 2?"}}),
        ("holding", {"params": {"name": "Ana"}}),
    ],
)  # fmt: skip
def test_a_row_queued_in_the_wide_shape_reads_as_its_typed_kind_says_it(
    composer: Composer, key: str, fields: dict[str, Any]
) -> None:
    """A message queued before the kinds were typed says, word for word, what it said
    then, and the same as the kind it decodes to says once written again."""
    queued = payload(key, **fields)
    assert queued.key == key
    rewritten = stored_message(effect_to_json(queued))
    assert type(rewritten) is type(queued)
    assert composer.render(rewritten) == composer.render(queued)
