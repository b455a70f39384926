"""
The load test's fake Graph API serves every studio's number, each with its own token
(or the deployment's), and refuses a number it does not serve as Graph does; the
harness's studios are planned as `studios add` will add them.
"""

from __future__ import annotations

import json

from fakes.graph import FakeGraphApi
from loadtest.studios import DEFAULT_SLUG, plan_studios, studio_of_path

_TEXT = json.dumps(
    {"messaging_product": "whatsapp", "to": "447900000001", "type": "text", "text": {"body": "hi"}}
).encode()


def _post(fake: FakeGraphApi, number: str, token: str) -> tuple[int, dict[str, object]]:
    return fake.handle(
        "POST", f"/v21.0/{number}/messages", {"authorization": f"Bearer {token}"}, _TEXT
    )


def test_a_number_the_fake_does_not_serve_is_refused_as_graph_refuses_it() -> None:
    """400, GraphMethodException, code 100, subcode 33 ("Unsupported post request"),
    and nothing is recorded as sent."""
    fake = FakeGraphApi()

    status, body = _post(fake, "200000009", fake.access_token)

    assert status == 400
    error = body["error"]
    assert isinstance(error, dict)
    assert (error["type"], error["code"], error["error_subcode"]) == (
        "GraphMethodException",
        100,
        33,
    )
    assert "Object with ID '200000009' does not exist" in error["message"]
    assert fake.sent == []


def test_each_served_number_takes_its_own_token_or_the_deployments() -> None:
    """A number served with a token of its own refuses the deployment's, as Graph refuses
    a token that may not load the number (400, code 100, subcode 33); one served without
    takes the deployment's; the message records which number sent it."""
    fake = FakeGraphApi()
    fake.serve_number("200000001", "studio-1-token")
    fake.serve_number("200000002")

    assert _post(fake, "200000001", fake.access_token)[0] == 400
    assert _post(fake, "200000001", "studio-1-token")[0] == 200
    assert _post(fake, "200000002", fake.access_token)[0] == 200
    assert _post(fake, "200000002", "studio-1-token")[0] == 400

    assert [studio_of_path(m.path) for m in fake.sent] == ["200000001", "200000002"]


def test_the_run_has_the_default_studio_and_stored_ones_each_with_its_own_number() -> None:
    """`--studios 4`: the default studio on the deployment's number, three stored ones,
    every number distinct, every other one with a token of its own."""
    studios = plan_studios(4, "100200300")

    assert [s.slug for s in studios] == [DEFAULT_SLUG, "studio-1", "studio-2", "studio-3"]
    assert studios[0].phone_number_id == "100200300"
    assert len({s.phone_number_id for s in studios}) == 4
    assert [s.access_token is not None for s in studios] == [False, True, False, True]
    assert [s.stripe_path for s in studios[:2]] == ["/webhooks/stripe", "/webhooks/stripe/studio-1"]
