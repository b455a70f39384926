"""
Every error status is answered with JSON, 413 included, and the OpenAPI document says
so; a body that does not parse is logged with which field and why, never its content.
"""

from __future__ import annotations

import pytest
from structlog.testing import capture_logs

from fakes.meta import text_message, webhook
from tests.web.conftest import Running
from web.errors import SignatureInvalid
from web.openapi import openapi_document
from web.signatures import sign_meta, verify_meta_signature

pytestmark = pytest.mark.anyio

LEAD = "447700900321"
T0 = 1_750_000_000


async def test_a_body_over_the_limit_is_413_in_json(running: Running) -> None:
    limit = running.app.config["MAX_CONTENT_LENGTH"]
    huge = text_message(LEAD, "wamid.BIG", "x" * (limit + 10), T0)
    response = await running.post_signed(webhook([huge]))
    assert response.status_code == 413
    assert response.content_type == "application/json"
    assert await response.get_json() == {"error": "request entity too large"}


async def test_other_errors_are_json_too(running: Running) -> None:
    for response, status in [
        (await running.client.get("/no/such/route"), 404),
        (await running.client.delete("/webhooks/whatsapp"), 405),
    ]:
        assert response.status_code == status
        assert response.content_type == "application/json"
        assert set(await response.get_json()) == {"error"}


async def test_a_malformed_body_logs_the_field_and_why_but_not_the_content(
    running: Running,
) -> None:
    message = text_message(LEAD, "wamid.M1", "my-private-words", T0)
    del message["from"]
    envelope = webhook([message])
    del envelope["object"]
    with capture_logs() as logs:
        response = await running.post_signed(envelope)
    assert response.status_code == 400
    (line,) = [entry for entry in logs if entry["event"] == "webhook.malformed"]
    assert line["error_count"] == 1
    (problem,) = line["errors"]
    assert problem["field"] == "object"
    assert problem["problem"] == "Field required"
    assert "my-private-words" not in repr(line)


async def test_a_refused_item_logs_the_field_and_why_but_not_the_content(
    running: Running,
) -> None:
    message = text_message(LEAD, "wamid.M1", "my-private-words", T0)
    del message["from"]
    with capture_logs() as logs:
        response = await running.post_signed(webhook([message]))
    assert response.status_code == 200
    (line,) = [entry for entry in logs if entry["event"] == "webhook.items_refused"]
    assert line["refused"] == ["messages: from / from_user_id: Field required"]
    assert "my-private-words" not in repr(line)


def test_the_openapi_document_says_every_error_is_json() -> None:
    document = openapi_document()
    assert "JSON" in document["info"]["description"]
    for operations in document["paths"].values():
        for operation in operations.values():
            default = operation["responses"]["default"]
            schema = default["content"]["application/json"]["schema"]
            assert schema == {"$ref": "#/components/schemas/ErrorBody"}


def test_a_body_signed_with_an_empty_key_is_refused_even_without_a_secret() -> None:
    body = b'{"object": "whatsapp_business_account", "entry": []}'
    with pytest.raises(SignatureInvalid):
        verify_meta_signature(b"", body, sign_meta(b"", body))
