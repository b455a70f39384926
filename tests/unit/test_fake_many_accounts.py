"""
The fakes as many studios meet them: the Graph API with several business numbers, each
reached only with its own token (another number's token refused as Graph refuses an
object it may not load: 400, code 100, subcode 33), and Stripe as a Connect platform
(objects, idempotency keys and events per account; unknown keys and accounts refused),
driven with stripe-python itself for Stripe.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
import stripe

from fakes.graph import FakeGraphApi
from fakes.stripe_api import FakeStripe, StripeServer

pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")

OTHER_NUMBER, OTHER_TOKEN = "100200411", "other-number-token"
ACCOUNT = "acct_1ConnectedStudio01"
OWN_KEY = "sk_test_a_studio_with_its_own_account"


def _send(graph: FakeGraphApi, number: str, token: str) -> tuple[int, dict[str, object]]:
    body = {"messaging_product": "whatsapp", "to": "447700900001", "text": {"body": "hi"}}
    return graph.handle(
        "POST",
        f"/v24.0/{number}/messages",
        {"authorization": f"Bearer {token}"},
        json.dumps(body).encode(),
    )


def test_each_number_sends_with_its_own_token_only() -> None:
    graph = FakeGraphApi()
    graph.add_number(OTHER_NUMBER, OTHER_TOKEN)
    assert _send(graph, OTHER_NUMBER, OTHER_TOKEN)[0] == 200
    assert _send(graph, graph.phone_number_id, graph.access_token)[0] == 200
    status, refused = _send(graph, OTHER_NUMBER, graph.access_token)
    error = refused["error"]
    assert isinstance(error, dict)
    assert (status, error["code"], error["error_subcode"], error["type"]) == (
        400,
        100,
        33,
        "GraphMethodException",
    )
    assert f"Object with ID '{OTHER_NUMBER}' does not exist" in str(error["message"])
    assert _send(graph, OTHER_NUMBER, "nobody's token")[0] == 401
    assert _send(graph, "999999", graph.access_token)[0] == 400  # a number it does not serve
    assert [m.phone_number_id for m in graph.sent] == [OTHER_NUMBER, graph.phone_number_id]
    assert [m.to for m in graph.sent_from(OTHER_NUMBER)] == ["447700900001"]


@pytest.fixture
def fake() -> FakeStripe:
    made = FakeStripe()
    made.connect(ACCOUNT)
    made.add_account(OWN_KEY)
    return made


@pytest.fixture
def server(fake: FakeStripe) -> Iterator[StripeServer]:
    with fake.serve() as running:
        yield running


def _client(server: StripeServer, key: str, account: str | None = None) -> stripe.StripeClient:
    return stripe.StripeClient(
        key,
        stripe_account=account,
        base_addresses={"api": server.base_url},
        http_client=stripe.HTTPXClient(allow_sync_methods=True),
        max_network_retries=0,
    )


def _session(client: stripe.StripeClient, key: str) -> stripe.checkout.Session:
    return client.v1.checkout.sessions.create(
        {
            "mode": "payment",
            "success_url": "https://studio.test/thanks",
            "line_items": [
                {
                    "quantity": 1,
                    "price_data": {
                        "currency": "eur",
                        "unit_amount": 4000,
                        "product_data": {"name": "Deposit"},
                    },
                }
            ],
        },
        {"idempotency_key": key},
    )


def test_objects_and_idempotency_keys_belong_to_the_account_they_were_made_on(
    fake: FakeStripe, server: StripeServer
) -> None:
    connected = _client(server, fake.api_key, ACCOUNT)
    platform = _client(server, fake.api_key)
    own = _client(server, OWN_KEY)
    made = _session(connected, "deposit:1")
    assert fake.account_of(made.id) == ACCOUNT
    (request,) = fake.create_requests()
    assert request.headers["stripe-account"] == ACCOUNT
    # The same idempotency key on another account makes that account's own session.
    assert _session(platform, "deposit:1").id != made.id
    assert fake.account_of(_session(own, "deposit:1").id) == OWN_KEY
    assert connected.v1.checkout.sessions.retrieve(made.id).id == made.id
    for other in (platform, own):
        with pytest.raises(stripe.InvalidRequestError, match=r"No such checkout\.session"):
            other.v1.checkout.sessions.retrieve(made.id)


def test_unknown_keys_and_accounts_are_refused(fake: FakeStripe, server: StripeServer) -> None:
    with pytest.raises(stripe.AuthenticationError):
        _session(_client(server, "sk_test_nobody_knows_this_key"), "k")
    with pytest.raises(stripe.PermissionError, match="does not have access to account"):
        _session(_client(server, fake.api_key, "acct_1NotConnected"), "k")
    with pytest.raises(stripe.PermissionError, match="Only Stripe Connect platforms"):
        _session(_client(server, OWN_KEY, ACCOUNT), "k")
    assert fake.created_count == 0


def test_a_connected_accounts_refund_event_names_its_account(
    fake: FakeStripe, server: StripeServer
) -> None:
    intent = fake.pay(amount=4000, currency="eur", account=ACCOUNT)
    with pytest.raises(stripe.InvalidRequestError, match="No such payment_intent"):
        _client(server, fake.api_key).v1.refunds.create({"payment_intent": intent})
    _client(server, fake.api_key, ACCOUNT).v1.refunds.create({"payment_intent": intent})
    (refunded,) = fake.webhook_events
    assert refunded["type"] == "charge.refunded"
    assert refunded["account"] == ACCOUNT
