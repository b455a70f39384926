"""
The admin API's OpenAPI document: served without auth, valid OpenAPI 3.1, in step with
the routes the app serves, and true of the app: schemathesis generates requests from it
and every answer must be documented, schema-conformant and never a 5xx.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

import anyio
import anyio.from_thread
import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate
from schemathesis import Case, checks

from fakes.graph import GraphFailure
from tests.waiting import eventually
from tests.web.conftest import Running
from tests.web.phone import Phone
from web.openapi import openapi_document

pytestmark = pytest.mark.anyio

TOKEN = "openapi-test-admin-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
LEAD = "447700900321"
BASE_URL = "http://admin.test"

CONFORMANCE: list[Callable[..., Any]] = [
    checks.not_a_server_error,
    checks.status_code_conformance,
    checks.content_type_conformance,
    checks.response_headers_conformance,
    checks.response_schema_conformance,
]


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"admin_token": TOKEN}


def test_the_document_is_valid_openapi_3_1() -> None:
    document = openapi_document()
    validate(document)
    assert document["openapi"].startswith("3.1")
    assert document["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert "$defs" not in str(document)  # every definition hoisted into the components


async def test_it_is_served_only_with_the_admin_token(running: Running) -> None:
    response = await running.client.get("/openapi.json", headers=AUTH)
    assert response.status_code == 200
    assert await response.get_json() == openapi_document()
    assert response.headers["Cache-Control"] == "no-store"
    for header in ({}, {"Authorization": "Bearer wrong"}):
        refused = await running.client.get("/openapi.json", headers=header)
        assert refused.status_code == 401
        assert await refused.get_json() == {"error": "unauthorized", "details": []}


@pytest.mark.parametrize("settings_overrides", [{"admin_token": None}])
async def test_without_an_admin_token_nobody_reads_it(running: Running) -> None:
    refused = await running.client.get("/openapi.json", headers=AUTH)
    assert refused.status_code == 401


async def test_it_describes_exactly_the_admin_routes(running: Running) -> None:
    def shape(path: str) -> str:
        return re.sub(r"<[^>]+>|\{[^}]+\}", "{}", path)

    served = {
        (method.lower(), shape(rule.rule))
        for rule in running.app.url_map.iter_rules()
        if rule.rule.startswith("/admin/")
        for method in rule.methods or ()
        if method not in ("HEAD", "OPTIONS")
    }
    documented = {
        (method, shape(path))
        for path, operations in openapi_document()["paths"].items()
        for method in operations
    }
    assert served == documented


async def test_schemathesis_finds_no_5xx_and_no_schema_violation(running: Running) -> None:
    """Positive cases are checked for conformance; negative ones must still never be 5xx."""
    running.graph.fail_next(GraphFailure.bad_token())  # a dead letter to list and re-drive
    await Phone(running, LEAD).say("Hi")

    async def dead_id() -> int | None:
        found: int | None = await running.pool.fetchval(
            "SELECT id FROM outbox WHERE status = 'dead'"
        )
        return found

    async def dead() -> bool:
        return await dead_id() is not None

    await eventually(dead, what="a dead letter")
    schema = schemathesis.openapi.from_dict(openapi_document())
    known = {"wa_id": LEAD}
    positive = st.one_of(
        schema.as_strategy(headers=AUTH),
        schema["/admin/leads/{wa_id}"]["GET"].as_strategy(headers=AUTH, path_parameters=known),
        schema["/admin/leads/{wa_id}/{action}"]["POST"].as_strategy(
            headers=AUTH, path_parameters=known
        ),
        schema["/admin/leads/{wa_id}/reply"]["POST"].as_strategy(
            headers=AUTH, path_parameters=known
        ),
        schema["/admin/deliveries/{id}/redrive"]["POST"].as_strategy(
            headers=AUTH, path_parameters={"id": await dead_id()}
        ),
    )
    negative = schema.as_strategy(
        generation_mode=schemathesis.GenerationMode.NEGATIVE, headers=AUTH
    )
    fuzz = settings(
        max_examples=150,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        report_multiple_bugs=False,
        suppress_health_check=list(HealthCheck),
    )

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=running.app),  # type: ignore[arg-type]
        base_url=BASE_URL,
    ) as client:

        async def send(kwargs: dict[str, Any]) -> httpx.Response:
            return await client.request(
                kwargs["method"],
                kwargs["url"],
                headers=kwargs["headers"],
                params=kwargs.get("params"),
                json=kwargs.get("json"),
            )

        def respond(case: Case[Any]) -> httpx.Response:
            return anyio.from_thread.run(send, case.as_transport_kwargs(base_url=BASE_URL))

        @fuzz
        @given(case=positive)
        def conforms(case: Case[Any]) -> None:
            try:
                case.validate_response(respond(case), checks=CONFORMANCE)
            except BaseExceptionGroup as failures:  # schemathesis reports a group: unwrap
                raise AssertionError(str(failures)) from None

        @fuzz
        @given(case=negative)
        def never_fails(case: Case[Any]) -> None:
            response = respond(case)
            assert response.status_code < 500, (case.as_curl_command(), response.text)

        with anyio.fail_after(60):
            await anyio.to_thread.run_sync(conforms)
            await anyio.to_thread.run_sync(never_fails)
