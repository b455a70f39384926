"""
The service's edges, called as Hypercorn calls it (one ASGI call with the path, Host and
scheme a client chose): a doubled slash is the WhatsApp webhook's own route, never a 500
or an error line; the Host header never makes an address; a NUL or a lone surrogate in a
query, a form or an admin JSON string is a 422 before anything is read or written; every
kind of answer carries its security headers; /metrics and /openapi.json need the admin
token while /healthz and /readyz stay open.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
from collections.abc import Iterator, Sequence
from typing import Any

import pytest
import structlog

from fakes.meta import encode, sign, text_message, webhook
from tests.web.conftest import ADMIN_TOKEN, APP_SECRET, Running
from tests.web.phone import Phone
from tests.web.studio_harness import ARTIST, PASSWORD, form_token
from web.logs import configure_logging

pytestmark = pytest.mark.anyio

LEAD = "447700900591"
ADMIN = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"artist_whatsapp_number": ARTIST, "studio_password": PASSWORD}


@pytest.fixture
def logs() -> Iterator[io.StringIO]:
    """The service's real log pipeline, as JSON lines in memory."""
    stream = io.StringIO()
    configure_logging("json", "info", stream=stream, cache=False)
    yield stream
    structlog.reset_defaults()


def levels(stream: io.StringIO) -> list[str]:
    found = [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]
    return [str(line.get("level")) for line in found]


class Answer:
    def __init__(self, status: int, headers: Sequence[tuple[bytes, bytes]], body: bytes) -> None:
        self.status = status
        self.headers = {name.decode().lower(): value.decode() for name, value in headers}
        self.body = body

    def json(self) -> Any:
        return json.loads(self.body)


async def call(
    running: Running,
    method: str,
    path: str,
    *,
    body: bytes = b"",
    headers: Sequence[tuple[str, str]] = (),
    query: bytes = b"",
    scheme: str = "http",
) -> Answer:
    """One request, as Hypercorn hands it to the app: the path exactly as the client sent."""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": method,
        "scheme": scheme,
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1:8000"),
            (b"content-length", str(len(body)).encode()),
            *((name.lower().encode(), value.encode()) for name, value in headers),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
        "extensions": {},
    }
    incoming = [{"type": "http.request", "body": body, "more_body": False}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        if incoming:
            return incoming.pop(0)
        await asyncio.sleep(3600)  # as a connection that stays open
        return {"type": "http.disconnect"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await asyncio.wait_for(running.app(scope, receive, send), timeout=10)  # type: ignore[arg-type]
    start = next(m for m in sent if m["type"] == "http.response.start")
    content = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return Answer(start["status"], start["headers"], content)


# -- the WhatsApp lane's path --------------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["//webhooks/whatsapp", "/webhooks//whatsapp", "///webhooks/whatsapp"]
)
async def test_a_doubled_slash_is_the_webhooks_own_route(
    running: Running, logs: io.StringIO, path: str
) -> None:
    body = encode(webhook([text_message(LEAD, "wamid.slash.1", "Hi", 1_800_000_000)]))
    unsigned = await call(
        running, "POST", path, body=body, headers=[("X-Hub-Signature-256", "sha256=" + "0" * 64)]
    )
    assert (unsigned.status, unsigned.json()) == (401, {"error": "invalid signature"})
    signed = await call(
        running,
        "POST",
        path,
        body=body,
        headers=[
            ("X-Hub-Signature-256", sign(APP_SECRET, body)),
            ("Content-Type", "application/json"),
        ],
    )
    assert signed.status == 200
    await Phone(running, LEAD).settle()
    assert await running.pool.fetchval("SELECT count(*) FROM inbox") == 1
    assert not {"error", "critical", "exception"} & set(levels(logs))


async def test_a_doubled_slash_elsewhere_never_answers_5xx(
    running: Running, logs: io.StringIO
) -> None:
    for method, path in [
        ("POST", "//webhooks/stripe"),
        ("GET", "//healthz"),
        ("POST", "//"),
        ("GET", "//studio"),
    ]:
        answer = await call(running, method, path, body=b"{}")
        assert answer.status < 500, (method, path)
        assert not answer.headers.get("location", "").startswith("//")
    assert not {"error", "critical", "exception"} & set(levels(logs))


# -- Host never makes an address -----------------------------------------------------------


@pytest.mark.parametrize(
    "headers",
    [
        [("Host", "evil.example")],
        [("X-Forwarded-Host", "evil.example")],
        [("Host", "evil.example"), ("X-Forwarded-Host", "evil.example")],
    ],
)
async def test_a_slash_fixing_redirect_is_relative(
    running: Running, headers: list[tuple[str, str]]
) -> None:
    answer = await call(running, "GET", "/studio", headers=headers)
    assert answer.status in (301, 308)
    assert answer.headers["location"] == "/studio/"
    twice = await call(running, "GET", "//studio", headers=headers)
    assert twice.headers["location"] == "/studio/"


# -- NUL and lone surrogates -----------------------------------------------------------------


async def signed_in(running: Running) -> None:
    token = await form_token(await running.client.get("/studio/login"))
    answer = await running.client.post(
        "/studio/login/password", form={"csrf": token, "password": PASSWORD}
    )
    assert answer.status_code == 303


async def test_a_nul_in_a_studio_search_is_the_problem_page(running: Running) -> None:
    await signed_in(running)
    for q in ["\x00", "rose\x00", "\x00\x00"]:
        found = await running.client.get("/studio/", query_string={"q": q})
        assert found.status_code == 422
        assert "That text cannot be used" in await found.get_data(as_text=True)
    fine = await running.client.get("/studio/", query_string={"q": "rose"})
    assert fine.status_code == 200


async def test_a_nul_in_a_studio_form_is_refused_before_anything_is_sent(
    running: Running,
) -> None:
    lead = Phone(running, LEAD)
    await lead.say("Hi")
    await lead.settle()
    await signed_in(running)
    lead_id = await running.pool.fetchval("SELECT lead_id FROM leads WHERE lead_key = $1", LEAD)
    page = await running.client.get(f"/studio/leads/{lead_id}")
    token = await form_token(page)
    rows = await running.pool.fetchval("SELECT count(*) FROM outbox")
    for text in ["hello\x00there", "\x00"]:
        answer = await running.client.post(
            f"/studio/leads/{lead_id}/reply", form={"csrf": token, "text": text}
        )
        assert answer.status_code == 422
    assert await running.pool.fetchval("SELECT count(*) FROM outbox") == rows


@pytest.mark.parametrize(
    "body",
    [
        b'{"text": "\\u0000"}',
        b'{"text": "hello \\u0000 there"}',
        b'{"text": "a \\ud83d lone half"}',
        b'{"text": "fine", "\\u0000": 1}',
    ],
)
async def test_an_unusable_string_in_an_admin_body_is_422(running: Running, body: bytes) -> None:
    lead = Phone(running, LEAD)
    await lead.say("Hi")
    await lead.settle()
    rows = await running.pool.fetchval("SELECT count(*) FROM outbox")
    answer = await running.client.post(
        f"/admin/leads/{LEAD}/reply",
        data=body,
        headers={**ADMIN, "Content-Type": "application/json"},
    )
    assert answer.status_code == 422
    assert (await answer.get_json())["error"]
    assert await running.pool.fetchval("SELECT count(*) FROM outbox") == rows


async def test_an_unusable_query_parameter_is_422_everywhere(running: Running) -> None:
    admin = await running.client.get("/admin/leads", query_string={"after": "\x00"}, headers=ADMIN)
    assert admin.status_code == 422
    assert (await admin.get_json())["error"]
    unauthorised = await running.client.get("/admin/leads", query_string={"after": "\x00"})
    assert unauthorised.status_code == 401  # the token is checked first
    handshake = await running.client.get(
        "/webhooks/whatsapp", query_string={"hub.mode": "subscribe", "hub.verify_token": "\x00"}
    )
    assert handshake.status_code == 422
    assert (await handshake.get_json())["error"]


# -- headers --------------------------------------------------------------------------------


def csp_of(answer: Answer) -> dict[str, list[str]]:
    policy = answer.headers["content-security-policy"]
    directives = [part.split() for part in policy.split(";") if part.strip()]
    return {words[0]: words[1:] for words in directives}


async def test_every_kind_of_answer_carries_nosniff_and_no_hsts_over_http(
    running: Running,
) -> None:
    body = encode(webhook([text_message(LEAD, "wamid.h.1", "Hi", 1_800_000_000)]))
    answers = [
        await call(
            running,
            "POST",
            "/webhooks/whatsapp",
            body=body,
            headers=[("X-Hub-Signature-256", sign(APP_SECRET, body))],
        ),
        await call(running, "POST", "/webhooks/whatsapp", body=b"{}"),
        await call(running, "GET", "/healthz"),
        await call(running, "GET", "/nowhere"),
        await call(running, "GET", "/studio/login"),
        await call(running, "GET", "/studio/static/studio.js"),
        await call(running, "GET", "/admin/leads", headers=list(ADMIN.items())),
        await call(running, "GET", "/metrics", headers=list(ADMIN.items())),
        await call(running, "GET", "/openapi.json"),
    ]
    for answer in answers:
        assert answer.headers["x-content-type-options"] == "nosniff"
        assert "strict-transport-security" not in answer.headers


@pytest.mark.parametrize(
    ("settings_overrides", "scheme", "forwarded", "hsts"),
    [
        ({}, "https", None, True),
        ({"trust_proxy_headers": True}, "http", "https", True),
        ({}, "http", "https", False),  # a proxy header not trusted
        ({"trust_proxy_headers": True}, "https", "http", False),
    ],
)
async def test_hsts_only_when_the_request_came_over_https(
    running: Running, scheme: str, forwarded: str | None, hsts: bool
) -> None:
    headers = [] if forwarded is None else [("X-Forwarded-Proto", forwarded)]
    for method, path in [
        ("GET", "/healthz"),
        ("POST", "/webhooks/whatsapp"),
        ("GET", "/studio/login"),
    ]:
        answer = await call(running, method, path, headers=headers, scheme=scheme, body=b"{}")
        found = answer.headers.get("strict-transport-security")
        assert found == ("max-age=31536000" if hsts else None), (method, path)


async def test_private_answers_are_never_stored_and_the_script_may_be(running: Running) -> None:
    private = [
        await call(running, "GET", "/admin/leads", headers=list(ADMIN.items())),
        await call(running, "GET", "/admin/leads"),  # the refusal too
        await call(running, "GET", "/openapi.json", headers=list(ADMIN.items())),
        await call(running, "GET", "/metrics", headers=list(ADMIN.items())),
        await call(running, "GET", "/studio/login"),
        await call(running, "GET", "/studio/"),
        await call(running, "GET", "/studio/media/1"),
    ]
    for answer in private:
        assert answer.headers["cache-control"] == "no-store"
    for path in ("/studio/static/studio.js", "/studio/static/studio.css"):
        assert "no-store" not in (await call(running, "GET", path)).headers.get("cache-control", "")


async def test_a_studio_page_runs_only_its_own_script(running: Running) -> None:
    page = await call(running, "GET", "/studio/login")
    policy = csp_of(page)
    scripts = policy["script-src"]
    (hashed,) = [source for source in scripts if source.startswith("'sha256-")]
    for source in scripts:
        assert source.startswith("'sha256-") or source.endswith("/studio/static/studio.js")
        assert source not in ("'self'", "*", "'unsafe-inline'", "'unsafe-eval'", "'strict-dynamic'")
    assert "script-src-elem" not in policy
    assert "script-src-attr" not in policy
    assert policy["object-src"] == ["'none'"]
    assert policy["base-uri"] == ["'none'"]
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["form-action"] == ["'self'"]
    tag = re.search(r"<script [^>]*>", page.body.decode())
    assert tag is not None
    assert f'integrity="{hashed.strip(chr(39))}"' in tag.group(0)


@pytest.mark.parametrize(
    "settings_overrides", [{"public_base_url": "https://bookings.example.com"}]
)
async def test_with_a_public_address_the_script_is_also_named_by_its_full_address(
    running: Running,
) -> None:
    scripts = csp_of(await call(running, "GET", "/studio/login"))["script-src"]
    assert "https://bookings.example.com/studio/static/studio.js" in scripts


# -- seeing inside ---------------------------------------------------------------------------


async def test_metrics_and_the_api_document_need_the_admin_token(running: Running) -> None:
    for path in ("/metrics", "/openapi.json"):
        for headers in ([], [("Authorization", "Bearer wrong")], [("Authorization", ADMIN_TOKEN)]):
            refused = await call(running, "GET", path, headers=headers)
            assert refused.status == 401, (path, headers)
            assert refused.json()["error"] == "unauthorized"
            assert b"booking_" not in refused.body
        assert (await call(running, "GET", path, headers=list(ADMIN.items()))).status == 200
    assert (await call(running, "GET", "/healthz")).status == 200
    assert (await call(running, "GET", "/readyz")).status == 200


@pytest.mark.parametrize("settings_overrides", [{"admin_token": None}])
async def test_without_an_admin_token_nobody_scrapes(running: Running) -> None:
    for path in ("/metrics", "/openapi.json"):
        assert (await call(running, "GET", path, headers=list(ADMIN.items()))).status == 401
