"""
The fake Stripe speaks Stripe's protocol: proved by driving it with stripe-python itself,
configured exactly as the service configures it (StripeClient, HTTPXClient, async calls,
an idempotency key per lead and attempt, two network retries).

These tests also pin down what stripe-python's retry loop really does, because the
deposit delivery is built on it: which failures the library retries on its own (5xx
raised before Stripe's endpoint ran, 409, connection errors and timeouts, anything marked
Stripe-Should-Retry: true), which it hands straight back (429 rate limits, saved 5xx),
and that every retry reuses the first attempt's Idempotency-Key, so a session created
whose response was lost is replayed rather than created twice.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any, cast

import anyio
import pytest
import stripe
from stripe.params.checkout import SessionCreateParams

from fakes.stripe_api import (
    API_VERSION,
    FakeStripe,
    StripeFailure,
    StripeServer,
    charge,
    decode_form,
    dispute,
    encode,
    event,
    sign,
)

pytestmark = [
    pytest.mark.anyio,
    # stripe's HTTPXClient posts its form body as `data=<str>`, which httpx 0.28 deprecates.
    pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning"),
]

LEAD = str(uuid.UUID(int=0x5EED))
KEY = f"deposit:{LEAD}:1"

ClientFactory = Callable[..., stripe.StripeClient]


@pytest.fixture
def fake() -> FakeStripe:
    return FakeStripe()


@pytest.fixture
def server(fake: FakeStripe) -> Iterator[StripeServer]:
    with fake.serve() as running:
        yield running


@pytest.fixture
async def make_client(fake: FakeStripe, server: StripeServer) -> AsyncIterator[ClientFactory]:
    """Build clients as the service does; close their httpx pools afterwards."""
    opened: list[stripe.HTTPXClient] = []

    def build(
        *, api_key: str | None = None, timeout: float = 10.0, retries: int = 2
    ) -> stripe.StripeClient:
        http_client = stripe.HTTPXClient(timeout=timeout)
        opened.append(http_client)
        return stripe.StripeClient(
            api_key or fake.api_key,
            base_addresses={"api": server.base_url},
            http_client=http_client,
            max_network_retries=retries,
        )

    yield build
    for http_client in opened:
        await http_client.close_async()  # type: ignore[no-untyped-call]  # unannotated in stripe


def deposit_params(lead: str = LEAD, *, expires_in: int = 3600) -> SessionCreateParams:
    """What the service sends for a deposit link."""
    return {
        "mode": "payment",
        "line_items": [
            {
                "price_data": {
                    "currency": "gbp",
                    "unit_amount": 5000,
                    "product_data": {"name": "Deposit"},
                },
                "quantity": 1,
            }
        ],
        "client_reference_id": lead,
        "metadata": {"lead_id": lead},
        "payment_intent_data": {"metadata": {"lead_id": lead}},
        "expires_at": int(time.time()) + expires_in,
        "success_url": "https://example.com/deposit/thanks",
        "cancel_url": "https://example.com/deposit/cancelled",
    }


async def create(
    client: stripe.StripeClient, params: SessionCreateParams | None = None, *, key: str = KEY
) -> stripe.checkout.Session:
    return await client.v1.checkout.sessions.create_async(
        params=params or deposit_params(), options={"idempotency_key": key}
    )


def replayed(session: stripe.checkout.Session) -> bool:
    response = session.last_response
    assert response is not None
    return response.headers.get("Idempotent-Replayed") == "true"


# -- creation --------------------------------------------------------------------------


async def test_create_returns_an_open_session_with_its_link(
    fake: FakeStripe, make_client: ClientFactory
) -> None:
    params = deposit_params()
    session = await create(make_client(), params)

    assert session.id.startswith("cs_test_")
    assert session.object == "checkout.session"
    assert session.url == f"https://checkout.stripe.com/c/pay/{session.id}"
    assert (session.mode, session.status, session.payment_status) == ("payment", "open", "unpaid")
    assert (session.amount_total, session.currency) == (5000, "gbp")
    assert session.client_reference_id == LEAD
    assert session.metadata is not None
    assert session.metadata.to_dict() == {"lead_id": LEAD}
    assert session.expires_at == params["expires_at"]
    assert session.livemode is False
    assert session.payment_intent is None
    assert session.success_url == "https://example.com/deposit/thanks"
    assert session.cancel_url == "https://example.com/deposit/cancelled"
    assert abs(session.created - time.time()) < 5
    assert session.last_response is not None
    assert session.last_response.request_id is not None
    assert session.last_response.request_id.startswith("req_")
    assert fake.sessions[session.id]["amount_total"] == 5000
    assert fake.created_count == 1

    (request,) = fake.requests
    assert (request.method, request.path, request.idempotency_key) == (
        "POST",
        "/v1/checkout/sessions",
        KEY,
    )
    assert request.headers["authorization"] == f"Bearer {fake.api_key}"
    assert request.headers["content-type"] == "application/x-www-form-urlencoded"
    assert request.headers["stripe-version"] == API_VERSION
    # The bracket notation, decoded: the wire carries strings.
    assert request.params["line_items"] == [
        {
            "price_data": {
                "currency": "gbp",
                "unit_amount": "5000",
                "product_data": {"name": "Deposit"},
            },
            "quantity": "1",
        }
    ]
    assert request.params["metadata"] == {"lead_id": LEAD}
    assert request.params["payment_intent_data"] == {"metadata": {"lead_id": LEAD}}


async def test_the_same_idempotency_key_twice_gives_one_session(
    fake: FakeStripe, make_client: ClientFactory
) -> None:
    client = make_client()
    params = deposit_params()
    first = await create(client, params)
    second = await create(client, params)

    assert second.id == first.id
    assert not replayed(first)
    assert replayed(second)
    assert fake.created_count == 1
    assert len(fake.create_requests()) == 2


async def test_the_same_key_with_other_parameters_is_an_idempotency_error(
    fake: FakeStripe, make_client: ClientFactory
) -> None:
    """Including an `expires_at` recomputed from the clock on retry: the parameters of
    an attempt must be fixed when the attempt is, or its retry is refused."""
    client = make_client()
    await create(client, deposit_params())

    with pytest.raises(stripe.IdempotencyError, match="same parameters"):
        await create(client, deposit_params(expires_in=7200))
    assert fake.created_count == 1


async def test_a_new_attempt_key_makes_a_new_session(
    fake: FakeStripe, make_client: ClientFactory
) -> None:
    client = make_client()
    first = await create(client, key=f"deposit:{LEAD}:1")
    second = await create(client, key=f"deposit:{LEAD}:2")

    assert first.id != second.id
    assert [s["id"] for s in fake.sessions_for(LEAD)] == [first.id, second.id]


# -- failures and stripe-python's retry loop -------------------------------------------


async def test_a_rate_limit_is_not_retried_by_stripe_python(
    fake: FakeStripe, make_client: ClientFactory
) -> None:
    """Surprise: max_network_retries does not cover 429. The caller must retry, and it
    is safe to do so with the same key: an error before the endpoint ran is not saved."""
    params = deposit_params()  # built once: a retry must resend the same parameters
    client = make_client()
    fake.fail_next(StripeFailure.rate_limited())

    with pytest.raises(stripe.RateLimitError) as raised:
        await create(client, params)
    assert raised.value.http_status == 429
    # RateLimitError leaves .code unset: read Stripe's code from the error object.
    assert raised.value.error is not None
    assert raised.value.error.code == "rate_limit"
    assert len(fake.create_requests()) == 1
    assert fake.created_count == 0

    session = await create(client, params)
    assert not replayed(session)
    assert fake.created_count == 1


async def test_a_retryable_429_is_retried_with_the_same_key(
    fake: FakeStripe, make_client: ClientFactory
) -> None:
    fake.fail_next(StripeFailure.lock_timeout())

    session = await create(make_client())

    requests = fake.create_requests()
    assert len(requests) == 2
    assert {r.idempotency_key for r in requests} == {KEY}
    assert fake.created_count == 1
    assert fake.sessions[session.id]["status"] == "open"


async def test_two_server_errors_then_success_is_one_session(
    fake: FakeStripe, make_client: ClientFactory
) -> None:
    fake.fail_next(StripeFailure.server_error(), StripeFailure.server_error())

    session = await create(make_client(retries=2))

    requests = fake.create_requests()
    assert len(requests) == 3
    assert {r.idempotency_key for r in requests} == {KEY}
    assert fake.created_count == 1
    assert list(fake.sessions) == [session.id]


async def test_server_errors_beyond_the_retries_raise_api_error(
    fake: FakeStripe, make_client: ClientFactory
) -> None:
    fake.fail_next(*[StripeFailure.server_error()] * 2)

    with pytest.raises(stripe.APIError):
        await create(make_client(retries=1))
    assert len(fake.create_requests()) == 2
    assert fake.created_count == 0


async def test_a_saved_server_error_is_replayed_until_the_key_changes(
    fake: FakeStripe, make_client: ClientFactory
) -> None:
    """Stripe saves a 500 once its endpoint ran and marks it Stripe-Should-Retry: false:
    the library gives up at once, and the same key replays the 500 forever (24 h)."""
    params = deposit_params()  # built once: a retry must resend the same parameters
    client = make_client()
    fake.fail_next(StripeFailure.server_error(saved=True))

    with pytest.raises(stripe.APIError) as first:
        await create(client, params)
    with pytest.raises(stripe.APIError) as again:
        await create(client, params)

    assert first.value.http_status == again.value.http_status == 500
    assert again.value.headers is not None
    assert again.value.headers.get("Idempotent-Replayed") == "true"
    assert len(fake.create_requests()) == 2
    assert fake.created_count == 0
    session = await create(client, key=f"deposit:{LEAD}:2")
    assert fake.created_count == 1
    assert fake.sessions[session.id]["client_reference_id"] == LEAD


async def test_a_lost_response_is_replayed_on_the_retry_not_created_twice(
    fake: FakeStripe, make_client: ClientFactory
) -> None:
    fake.fail_next(StripeFailure.lost_response())

    session = await create(make_client())

    requests = fake.create_requests()
    assert len(requests) == 2
    assert {r.idempotency_key for r in requests} == {KEY}
    assert replayed(session)
    assert fake.created_count == 1
    assert list(fake.sessions) == [session.id]


async def test_a_lost_response_without_retries_surfaces_as_a_connection_error(
    fake: FakeStripe, make_client: ClientFactory
) -> None:
    """The session exists although the caller saw an error: the caller's own retry
    must reuse the key to learn its id."""
    params = deposit_params()  # built once: a retry must resend the same parameters
    client = make_client(retries=0)
    fake.fail_next(StripeFailure.lost_response())

    with pytest.raises(stripe.APIConnectionError):
        await create(client, params)
    assert fake.created_count == 1

    session = await create(client, params)
    assert replayed(session)
    assert list(fake.sessions) == [session.id]


async def test_a_response_slower_than_the_timeout_is_retried_into_one_session(
    fake: FakeStripe, make_client: ClientFactory
) -> None:
    """Timeout at 1.0 s, retry 0.5 s later: by then the slow first request (1.3 s) has
    saved its session, so the retry is a replay."""
    fake.fail_next(StripeFailure.timeout(1.3))

    session = await create(make_client(timeout=1.0))

    requests = fake.create_requests()
    assert len(requests) == 2
    assert {r.idempotency_key for r in requests} == {KEY}
    assert replayed(session)
    assert fake.created_count == 1
    assert list(fake.sessions) == [session.id]


async def test_a_key_still_in_flight_answers_409(
    fake: FakeStripe, make_client: ClientFactory
) -> None:
    """The retry arrives while the first request is still running: Stripe answers 409
    idempotency_key_in_use; the library retries 409 but raises APIError (not
    IdempotencyError) once its retries are spent."""
    params = deposit_params()  # built once: a retry must resend the same parameters
    client = make_client(timeout=1.0, retries=1)
    fake.fail_next(StripeFailure.timeout(2.0))

    with pytest.raises(stripe.APIError) as raised:
        await create(client, params)
    assert raised.value.http_status == 409
    assert raised.value.error is not None
    assert raised.value.error.code == "idempotency_key_in_use"
    assert fake.created_count == 0

    await anyio.sleep(0.8)  # the first request finishes and saves its session
    session = await create(client, params)
    assert replayed(session)
    assert fake.created_count == 1


# -- refusals --------------------------------------------------------------------------


async def test_a_wrong_api_key_raises_authentication_error(
    fake: FakeStripe, make_client: ClientFactory
) -> None:
    wrong = "sk_test_" + "x" * 20 + "9876"
    with pytest.raises(stripe.AuthenticationError) as raised:
        await create(make_client(api_key=wrong))

    assert raised.value.http_status == 401
    assert "Invalid API Key provided: sk_test_" in str(raised.value.user_message)
    assert wrong not in str(raised.value.user_message)
    assert str(raised.value.user_message).endswith("9876")
    assert len(fake.create_requests()) == 1  # 401 is not retried
    assert fake.created_count == 0


@pytest.mark.parametrize("expires_in", [60, 29 * 60, 25 * 3600])
async def test_an_expiry_outside_30_minutes_to_24_hours_is_refused(
    fake: FakeStripe, make_client: ClientFactory, expires_in: int
) -> None:
    client = make_client()
    with pytest.raises(stripe.InvalidRequestError) as raised:
        await create(client, deposit_params(expires_in=expires_in))
    assert raised.value.param == "expires_at"
    assert fake.created_count == 0

    # A validation error is not saved: the same key with fixed parameters goes through.
    await create(client, deposit_params(expires_in=3600))
    assert fake.created_count == 1


def _without(name: str) -> SessionCreateParams:
    params = cast(dict[str, Any], deposit_params())
    del params[name]
    return cast(SessionCreateParams, params)


def _with(name: str, value: Any) -> SessionCreateParams:
    return cast(SessionCreateParams, {**deposit_params(), name: value})


@pytest.mark.parametrize(
    ("params", "param"),
    [
        (_without("line_items"), "line_items"),
        (_without("success_url"), "success_url"),
        (_without("mode"), "mode"),
        (_with("metdata", {"lead_id": LEAD}), "metdata"),
        (
            _with("line_items", [{"price_data": {"currency": "gbp", "unit_amount": 5000}}]),
            "line_items[0][price_data][product_data][name]",
        ),
        (
            _with(
                "line_items",
                [
                    {
                        "price_data": {
                            "currency": "gbp",
                            "unit_amount": 5000,
                            "product_data": {"name": "Deposit"},
                        }
                    }
                ],
            ),
            "line_items[0][quantity]",
        ),
        (
            _with("payment_intent_data", {"metdata": {"lead_id": LEAD}}),
            "payment_intent_data[metdata]",
        ),
    ],
)
async def test_parameters_stripe_would_refuse(
    fake: FakeStripe, make_client: ClientFactory, params: SessionCreateParams, param: str
) -> None:
    with pytest.raises(stripe.InvalidRequestError) as raised:
        await create(make_client(), params)
    assert raised.value.param == param
    assert fake.created_count == 0


# -- retrieve, complete, expire --------------------------------------------------------


async def test_retrieve_follows_completion_and_expiry(
    fake: FakeStripe, make_client: ClientFactory
) -> None:
    client = make_client()
    session = await create(client)

    paid = fake.complete(session.id)
    assert (paid["status"], paid["payment_status"]) == ("complete", "paid")
    assert paid["payment_intent"].startswith("pi_")
    assert paid["amount_total"] == 5000
    fetched = await client.v1.checkout.sessions.retrieve_async(session.id)
    assert fetched.status == "complete"
    assert fetched.payment_intent == paid["payment_intent"]

    other = await create(client, key=f"deposit:{LEAD}:2")
    wrong = fake.complete(other.id, amount_total=100, currency="usd")
    assert (wrong["amount_total"], wrong["currency"]) == (100, "usd")

    third = await create(client, key=f"deposit:{LEAD}:3")
    assert fake.expire(third.id)["status"] == "expired"
    assert (await client.v1.checkout.sessions.retrieve_async(third.id)).url is None


async def test_expire_through_the_api_and_a_missing_session(
    fake: FakeStripe, make_client: ClientFactory
) -> None:
    client = make_client()
    session = await create(client)

    expired = await client.v1.checkout.sessions.expire_async(session.id)
    assert expired.status == "expired"
    with pytest.raises(stripe.InvalidRequestError):
        await client.v1.checkout.sessions.expire_async(session.id)
    with pytest.raises(stripe.InvalidRequestError) as raised:
        await client.v1.checkout.sessions.retrieve_async("cs_test_nope")
    assert raised.value.code == "resource_missing"
    assert raised.value.http_status == 404


# -- form decoding ---------------------------------------------------------------------


def test_decode_form_rebuilds_nested_objects_and_lists() -> None:
    decoded = decode_form(
        [
            ("mode", "payment"),
            ("line_items[0][price_data][unit_amount]", "5000"),
            ("line_items[0][quantity]", "1"),
            ("line_items[1][quantity]", "2"),
            ("metadata[lead_id]", LEAD),
            ("expand[]", "payment_intent"),
            ("expand[]", "customer"),
        ]
    )
    assert decoded == {
        "mode": "payment",
        "line_items": [{"price_data": {"unit_amount": "5000"}, "quantity": "1"}, {"quantity": "2"}],
        "metadata": {"lead_id": LEAD},
        "expand": ["payment_intent", "customer"],
    }
    with pytest.raises(ValueError, match="Invalid hash"):
        decode_form([("metadata", "x"), ("metadata[a]", "y")])


# -- webhook events and signatures -----------------------------------------------------


def test_a_signed_event_verifies_and_parses_with_stripe_python(fake: FakeStripe) -> None:
    session = {"id": "cs_test_1", "object": "checkout.session", "client_reference_id": LEAD}
    body = encode(event("checkout.session.completed", session, event_id="evt_1", created=1))
    header = sign(body, fake.webhook_secret)

    assert stripe.WebhookSignature.verify_header(
        body.decode(), header, fake.webhook_secret, tolerance=300
    )
    parsed = stripe.Webhook.construct_event(body, header, fake.webhook_secret)
    assert (parsed.id, parsed.type, parsed.created) == ("evt_1", "checkout.session.completed", 1)
    assert parsed.data.object["client_reference_id"] == LEAD
    assert parsed.api_version == API_VERSION
    assert parsed.livemode is False
    assert header == stripe.WebhookSignature.generate_signature_header(
        body.decode(), fake.webhook_secret, timestamp=int(header.split(",")[0][2:])
    )


def test_a_tampered_payload_or_wrong_secret_or_old_signature_fails(fake: FakeStripe) -> None:
    body = encode(event("checkout.session.expired", {"id": "cs_test_1"}))
    header = sign(body, fake.webhook_secret)
    tampered = body.replace(b"cs_test_1", b"cs_test_2")

    with pytest.raises(stripe.SignatureVerificationError):
        stripe.WebhookSignature.verify_header(
            tampered.decode(), header, fake.webhook_secret, tolerance=300
        )
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.WebhookSignature.verify_header(body.decode(), header, "whsec_other", tolerance=300)
    old = sign(body, fake.webhook_secret, timestamp=int(time.time()) - 301)
    with pytest.raises(stripe.SignatureVerificationError, match="tolerance"):
        stripe.WebhookSignature.verify_header(
            body.decode(), old, fake.webhook_secret, tolerance=300
        )


def test_pretty_bodies_sign_their_own_bytes(fake: FakeStripe) -> None:
    """Stripe sends indented JSON: only the raw bytes verify, never a re-serialisation."""
    shaped = event("checkout.session.completed", {"id": "cs_test_1"})
    body = encode(shaped, pretty=True)
    header = sign(body, fake.webhook_secret)

    assert stripe.WebhookSignature.verify_header(body, header, fake.webhook_secret, tolerance=300)
    with pytest.raises(stripe.SignatureVerificationError):
        stripe.WebhookSignature.verify_header(
            encode(json.loads(body)), header, fake.webhook_secret, tolerance=300
        )


def test_charge_and_dispute_objects_carry_the_payment_intent(fake: FakeStripe) -> None:
    refund = charge("pi_123", refunded=True, amount=5000, currency="gbp")
    assert refund["id"].startswith("ch_")
    assert (refund["object"], refund["payment_intent"]) == ("charge", "pi_123")
    assert (refund["refunded"], refund["amount_refunded"]) == (True, 5000)
    partial = charge("pi_123", refunded=False, amount=5000, currency="gbp", amount_refunded=1000)
    assert (partial["refunded"], partial["amount_refunded"]) == (False, 1000)

    opened = dispute("pi_123", amount=5000, currency="gbp")
    assert opened["id"].startswith("dp_")
    assert opened["charge"].startswith("ch_")
    assert (opened["object"], opened["payment_intent"]) == ("dispute", "pi_123")

    body = encode(event("charge.dispute.created", opened))
    parsed = stripe.Webhook.construct_event(
        body, sign(body, fake.webhook_secret), fake.webhook_secret
    )
    assert parsed.data.object["payment_intent"] == "pi_123"


# -- refunds ---------------------------------------------------------------------------


async def refund(
    client: stripe.StripeClient, intent: str, *, key: str, amount: int | None = None
) -> stripe.Refund:
    params: dict[str, Any] = {"payment_intent": intent}
    if amount is not None:
        params["amount"] = amount
    return await client.v1.refunds.create_async(
        params=cast(Any, params), options={"idempotency_key": key}
    )


async def test_a_refund_gives_back_a_paid_deposit_and_queues_charge_refunded(
    fake: FakeStripe, make_client: ClientFactory
) -> None:
    session = await create(make_client())
    paid = fake.complete(session.id)
    made = await refund(make_client(), paid["payment_intent"], key="refund:1")

    assert (made.object, made.amount, made.currency) == ("refund", 5000, "gbp")
    assert (made.status, made.payment_intent) == ("succeeded", paid["payment_intent"])
    (sent,) = fake.webhook_events
    assert sent["type"] == "charge.refunded"
    refunded_charge = sent["data"]["object"]
    assert refunded_charge["object"] == "charge"
    assert refunded_charge["id"] == made.charge
    assert (refunded_charge["refunded"], refunded_charge["amount_refunded"]) == (True, 5000)
    assert sent["data"]["previous_attributes"] == {"amount_refunded": 0, "refunded": False}
    body, header = fake.signed_webhook(sent)
    parsed = stripe.Webhook.construct_event(body, header, fake.webhook_secret)
    assert parsed.data.object["payment_intent"] == paid["payment_intent"]


async def test_the_same_refund_key_twice_is_one_refund_replayed(
    fake: FakeStripe, make_client: ClientFactory
) -> None:
    intent = fake.pay(amount=5000, currency="gbp")
    client = make_client()
    first = await refund(client, intent, key="refund:1", amount=5000)
    second = await refund(client, intent, key="refund:1", amount=5000)

    assert second.id == first.id
    response = second.last_response
    assert response is not None
    assert response.headers.get("Idempotent-Replayed") == "true"
    assert len(fake.refunds_of(intent)) == 1
    assert len(fake.webhook_events) == 1


async def test_the_same_refund_key_with_another_amount_is_an_idempotency_error(
    fake: FakeStripe, make_client: ClientFactory
) -> None:
    intent = fake.pay(amount=5000, currency="gbp")
    client = make_client()
    await refund(client, intent, key="refund:1", amount=2000)

    with pytest.raises(stripe.IdempotencyError, match="same parameters"):
        await refund(client, intent, key="refund:1", amount=3000)
    assert [r["amount"] for r in fake.refunds_of(intent)] == [2000]


@pytest.mark.parametrize(
    ("amount", "code"),
    [(6000, "amount_too_large"), (0, None)],
)
async def test_a_refund_stripe_would_refuse(
    fake: FakeStripe, make_client: ClientFactory, amount: int, code: str | None
) -> None:
    intent = fake.pay(amount=5000, currency="gbp")
    with pytest.raises(stripe.InvalidRequestError) as raised:
        await refund(make_client(), intent, key="refund:1", amount=amount)
    assert raised.value.code == code
    assert fake.refunds_of(intent) == []


async def test_a_second_refund_of_a_refunded_charge_and_an_unknown_payment_are_refused(
    fake: FakeStripe, make_client: ClientFactory
) -> None:
    intent = fake.pay(amount=5000, currency="gbp")
    client = make_client()
    await refund(client, intent, key="refund:1")
    with pytest.raises(stripe.InvalidRequestError) as again:
        await refund(client, intent, key="refund:2")
    assert again.value.code == "charge_already_refunded"
    with pytest.raises(stripe.InvalidRequestError) as unknown:
        await refund(client, "pi_nobody", key="refund:3")
    assert unknown.value.code == "resource_missing"
