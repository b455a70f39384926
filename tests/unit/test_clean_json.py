"""Hostile text in a webhook's body, and a refused item's text as it came."""

from __future__ import annotations

import pytest

from web.clean_json import NotJson, load_clean_json
from web.json_items import item_text


def test_nul_and_lone_surrogates_become_the_replacement_character_keys_included() -> None:
    body = rb'{"a\u0000": ["x\u0000y", "\ud83d!", "\udc00", "\ud83d\ude00", 7, null]}'
    assert load_clean_json(body) == {"a\ufffd": ["x\ufffdy", "\ufffd!", "\ufffd", "😀", 7, None]}


def test_a_clean_body_is_read_as_it_is() -> None:
    assert load_clean_json(b'{"a": "caf\xc3\xa9 \\\\u0000"}') == {"a": "café \\u0000"}


def test_bytes_that_are_not_utf8_are_replaced_too() -> None:
    assert load_clean_json(b'{"a": "\xff"}') == {"a": "\ufffd"}


@pytest.mark.parametrize("body", [b"", b"{", b'{"a": 1', b"\xff\xfe", b"[" * 100_000])
def test_what_is_not_json_stays_refused(body: bytes) -> None:
    with pytest.raises(NotJson):
        load_clean_json(body)


def test_an_item_is_found_as_the_text_it_came_as() -> None:
    text = '{ "entry" : [ {"v": [ {"a": 1} , { "b" : "\\u0000" } , 3 ]} ] }'
    assert item_text(text, ["entry", 0, "v", 0]) == '{"a": 1}'
    assert item_text(text, ["entry", 0, "v", 1]) == '{ "b" : "\\u0000" }'
    assert item_text(text, ["entry", 0, "v", 2]) == "3"
    assert item_text(text, ["entry", 0, "v", 3]) is None
    assert item_text(text, ["entry", 1]) is None
    assert item_text('{"a": 1, "a": [5, {"x": 2}]}', ["a", 1]) == '{"x": 2}'  # the last wins
