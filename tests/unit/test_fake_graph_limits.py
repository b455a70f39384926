"""
The fake Graph API refuses what Meta refuses: every field over Meta's limits (the one
table, `actors.copy.limits`) gets 400 with code 131009 naming the field; at the limit,
the message goes.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from actors.copy.limits import WhatsAppLimits
from fakes.graph import INVALID_VALUE_CODE, FakeGraphApi

PATH = "/v24.0/100200300/messages"
HEADERS = {"authorization": "Bearer test-access-token"}


def send(message: dict[str, Any]) -> tuple[int, dict[str, Any]]:
    fake = FakeGraphApi()
    body = {"messaging_product": "whatsapp", "to": "447700900321", **message}
    return fake.handle("POST", PATH, HEADERS, json.dumps(body).encode())


def text(n: int) -> dict[str, Any]:
    return {"type": "text", "text": {"body": "x" * n}}


def media(kind: str, n: int) -> dict[str, Any]:
    return {"type": kind, kind: {"id": "MEDIA-1", "caption": "x" * n}}


def buttons(
    *, titles: list[str], body: int = 10, header: int = 0, footer: int = 0
) -> dict[str, Any]:
    interactive: dict[str, Any] = {
        "type": "button",
        "body": {"text": "x" * body},
        "action": {
            "buttons": [
                {"type": "reply", "reply": {"id": f"b{n}", "title": t}}
                for n, t in enumerate(titles)
            ]
        },
    }
    if header:
        interactive["header"] = {"type": "text", "text": "h" * header}
    if footer:
        interactive["footer"] = {"text": "f" * footer}
    return {"type": "interactive", "interactive": interactive}


def a_list(
    *, rows: int = 1, title: int = 5, description: int = 0, button: int = 5, section: int = 0
) -> dict[str, Any]:
    row: dict[str, Any] = {"title": "t" * title}
    if description:
        row["description"] = "d" * description
    chosen: dict[str, Any] = {"rows": [{"id": f"r{n}", **row} for n in range(rows)]}
    if section:
        chosen["title"] = "s" * section
    return {
        "type": "interactive",
        "interactive": {
            "type": "list",
            "body": {"text": "pick one"},
            "action": {"button": "b" * button, "sections": [chosen]},
        },
    }


def template(n: int) -> dict[str, Any]:
    parameter = {"type": "text", "text": "x" * n}
    components = [{"type": "body", "parameters": [parameter]}]
    named = {"name": "artist_reply_v1", "language": {"code": "en_GB"}, "components": components}
    return {"type": "template", "template": named}


L = WhatsAppLimits

OVER_THE_LIMIT = {
    "text body": (text(L.TEXT_BODY + 1), "text['body']"),
    "image caption": (media("image", L.CAPTION + 1), "image['caption']"),
    "video caption": (media("video", L.CAPTION + 1), "video['caption']"),
    "document caption": (media("document", L.CAPTION + 1), "document['caption']"),
    "interactive body": (buttons(titles=["ok"], body=L.INTERACTIVE_BODY + 1), "['body']"),
    "button title": (buttons(titles=["b" * (L.BUTTON_TITLE + 1)]), "['reply']['title']"),
    "four buttons": (buttons(titles=["a", "b", "c", "d"]), "['buttons']"),
    "header": (buttons(titles=["ok"], header=L.HEADER_TEXT + 1), "['header']"),
    "footer": (buttons(titles=["ok"], footer=L.FOOTER_TEXT + 1), "['footer']"),
    "row title": (a_list(title=L.ROW_TITLE + 1), "['rows'][0]['title']"),
    "row description": (a_list(description=L.ROW_DESCRIPTION + 1), "['description']"),
    "eleven rows": (a_list(rows=L.LIST_ROWS + 1), "row count"),
    "list button": (a_list(button=L.LIST_BUTTON + 1), "['action']['button']"),
    "section title": (a_list(section=L.SECTION_TITLE + 1), "['sections'][0]['title']"),
    "template parameter": (template(L.TEMPLATE_PARAMETER + 1), "['parameters'][0]['text']"),
}

AT_THE_LIMIT = {
    "text body": text(L.TEXT_BODY),
    "image caption": media("image", L.CAPTION),
    "buttons": buttons(
        titles=["a" * L.BUTTON_TITLE] * L.BUTTONS,
        body=L.INTERACTIVE_BODY,
        header=L.HEADER_TEXT,
        footer=L.FOOTER_TEXT,
    ),
    "list": a_list(
        rows=L.LIST_ROWS,
        title=L.ROW_TITLE,
        description=L.ROW_DESCRIPTION,
        button=L.LIST_BUTTON,
        section=L.SECTION_TITLE,
    ),
    "template parameter": template(L.TEMPLATE_PARAMETER),
}


@pytest.mark.parametrize(("message", "field"), OVER_THE_LIMIT.values(), ids=OVER_THE_LIMIT)
def test_a_field_over_metas_limit_is_refused_naming_it(message: dict[str, Any], field: str) -> None:
    status, answer = send(message)
    assert status == 400
    error = answer["error"]
    assert error["code"] == INVALID_VALUE_CODE == 131009
    assert error["message"] == "(#131009) Parameter value is not valid"
    assert field in error["error_data"]["details"]


@pytest.mark.parametrize("message", AT_THE_LIMIT.values(), ids=AT_THE_LIMIT)
def test_a_field_at_metas_limit_goes(message: dict[str, Any]) -> None:
    status, answer = send(message)
    assert status == 200
    assert answer["messages"][0]["id"].startswith("wamid.")


def test_a_caption_on_a_voice_note_is_still_refused() -> None:
    status, answer = send(media("audio", 5))
    assert (status, answer["error"]["code"]) == (400, 100)


def test_a_buttons_message_may_carry_a_picture_it_holds_as_its_header() -> None:
    fake = FakeGraphApi()
    fake.add_media("PIC-1", b"\x89PNG\r\n\x1a\n", "image/png")
    message = buttons(titles=["Approve", "Ask for changes"])
    message["interactive"]["header"] = {"type": "image", "image": {"id": "PIC-1"}}
    body = {"messaging_product": "whatsapp", "to": "447700900321", **message}
    status, _ = fake.handle("POST", PATH, HEADERS, json.dumps(body).encode())
    assert status == 200


@pytest.mark.parametrize(
    ("kind", "header", "said"),
    [
        ("button", {"type": "image", "image": {"id": "NOT-KNOWN"}}, "unknown media id"),
        ("button", {"type": "image", "image": {}}, "['header']['image'] is required"),
        ("list", {"type": "image", "image": {"id": "NOT-KNOWN"}}, "image not allowed"),
        ("button", {"type": "sticker"}, "['header']['type'] is invalid"),
    ],
)
def test_a_media_header_meta_would_refuse_is_refused(
    kind: str, header: dict[str, Any], said: str
) -> None:
    message = buttons(titles=["Approve"]) if kind == "button" else a_list()
    message["interactive"]["header"] = header
    status, answer = send(message)
    assert status == 400
    assert said in answer["error"]["message"]


def test_a_template_quick_reply_goes_only_in_metas_shape() -> None:
    """A quick reply is `{"type": "button", "sub_type": "quick_reply", "index": "0",
    "parameters": [{"type": "payload", "payload": ...}]}`; anything else is refused."""

    def sent(button: dict[str, Any]) -> int:
        body = {"name": "waitlist_offer", "language": {"code": "en_GB"}, "components": [button]}
        return send({"type": "template", "template": body})[0]

    good = {
        "type": "button",
        "sub_type": "quick_reply",
        "index": "0",
        "parameters": [{"type": "payload", "payload": "waitlist_take:1796738819"}],
    }
    assert sent(good) == 200
    assert sent({**good, "index": 0}) == 400  # a string, as Meta documents it
    assert sent({**good, "sub_type": "reply"}) == 400
    assert sent({**good, "parameters": [{"type": "text", "text": "Book it"}]}) == 400
    assert sent({k: v for k, v in good.items() if k != "index"}) == 400
