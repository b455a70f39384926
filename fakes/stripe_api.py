"""
A fake Stripe API (Checkout Sessions, Refunds) and builders of Stripe's signed webhook
events.

The service talks to Stripe only through stripe-python, so this fake speaks exactly what
that library puts on the wire and reads back: form-encoded bodies in Stripe's bracket
notation, `Authorization: Bearer`, `Idempotency-Key`, JSON objects and Stripe's error
envelope, the `Request-Id`, `Idempotent-Replayed` and `Stripe-Should-Retry` headers.
Tests point a real `stripe.StripeClient` at `FakeStripe.serve().base_url`; nothing in our
code is patched, so the library's own retry loop and error mapping are what get tested.

One core (`FakeStripe.handle`) holds the state under a lock; a real threaded HTTP server
is its front end. Failures are scripted per create call (`fail_next`) and reproduce the
cases that matter for money: rate limits, transient 5xx, a response slower than the
client's timeout, and a session created whose response never arrived. Stripe's
idempotency layer is modelled as documented: the first result for a key is saved and
replayed (with the same parameters) or refused (with different ones); a key still being
processed answers 409; validation errors and errors raised before the endpoint ran are
not saved, so retrying them with the same key is safe.

A refund (`POST /v1/refunds`) takes a payment intent of a session the customer paid
(`complete`), refuses more than is left to refund, and queues the `charge.refunded`
event Stripe would send (`webhook_events`; `signed_webhook` gives its body and
Stripe-Signature header, for the test to post).

Accounts, as a Connect platform sees them (README, "Many studios"): `api_key` is the
platform's; `add_account(key)` is another Stripe account with a key of its own, and
`connect(acct)` a connected account of the platform, reached with the platform's key and
the `Stripe-Account` header. Every object belongs to the account it was made on: another
account's session or payment intent is "No such ..." (404/400), an idempotency key is
the account's own, and the events of a connected account's objects carry `account`. A key
that is no account's is refused (401); `Stripe-Account` with a key that is not the
platform's, or naming an account not connected to it, is refused (403) as Stripe does.
"""

from __future__ import annotations

import contextlib
import copy
import hashlib
import hmac
import json
import re
import secrets
import socket
import string
import threading
import time
from collections import deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any, Literal
from urllib.parse import parse_qsl, urlsplit

import stripe
from stripe._request_options import RequestOptions
from stripe.params import _refund_create_params as _refund_params
from stripe.params.checkout import _session_create_params as _create_params

from fakes.local_http import LocalHTTPServer

__all__ = [
    "API_VERSION",
    "FakeStripe",
    "RecordedRequest",
    "StripeFailure",
    "StripeServer",
    "charge",
    "decode_form",
    "dispute",
    "encode",
    "event",
    "sign",
]

API_VERSION: str = stripe.api_version
"""The API version stripe-python pins (sent as Stripe-Version); events carry it too."""

SESSIONS_PATH = "/v1/checkout/sessions"
REFUNDS_PATH = "/v1/refunds"
MIN_EXPIRY_S = 30 * 60
MAX_EXPIRY_S = 24 * 60 * 60


def _known(typed_dict: type, *, minus: type | None = None) -> frozenset[str]:
    """Parameter names Stripe accepts, read from stripe-python's own TypedDicts.

    Stripe refuses unknown parameters ("Received unknown parameter"), which is what
    catches a typo in the service; taking the names from the installed library keeps the
    fake in step with the API version that library speaks.
    """
    names = set(typed_dict.__annotations__)
    if minus is not None:
        names -= set(minus.__annotations__)
    return frozenset(names)


_SESSION_PARAMS = _known(_create_params.SessionCreateParams, minus=RequestOptions)
_LINE_ITEM_PARAMS = _known(_create_params.SessionCreateParamsLineItem)
_PRICE_DATA_PARAMS = _known(_create_params.SessionCreateParamsLineItemPriceData)
_PRODUCT_DATA_PARAMS = _known(_create_params.SessionCreateParamsLineItemPriceDataProductData)
_PAYMENT_INTENT_DATA_PARAMS = _known(_create_params.SessionCreateParamsPaymentIntentData)
_REFUND_PARAMS = _known(_refund_params.RefundCreateParams, minus=RequestOptions)


# -- scripted failures -----------------------------------------------------------------


@dataclass(frozen=True)
class StripeFailure:
    """One scripted outcome for the next create call.

    `kind` "error" answers `status` with Stripe's error envelope; "timeout" answers only
    after `seconds` (longer than the client's timeout, so the client gives up and
    retries while the first request is still being processed); "lost_response" does the
    work, saves it under the idempotency key, then drops the connection unanswered.
    `should_retry` sets the Stripe-Should-Retry header, which overrides stripe-python's
    own retry rule; `saved` makes an error the key's saved result, replayed to every
    later request with that key, as Stripe does once its endpoint has started running.
    """

    kind: Literal["error", "timeout", "lost_response"]
    status: int = 0
    type: str = ""
    code: str | None = None
    message: str = ""
    should_retry: bool | None = None
    saved: bool = False
    seconds: float = 0.0

    @classmethod
    def rate_limited(cls, *, should_retry: bool | None = None) -> StripeFailure:
        """429 as Stripe sends it: no Stripe-Should-Retry, so stripe-python does NOT retry
        it (by design: Stripe's libraries leave rate limits to the caller) and raises
        `stripe.RateLimitError` after one request. Pass `should_retry=True` to see the
        library retry it."""
        return cls(
            "error",
            429,
            "invalid_request_error",
            "rate_limit",
            "Request rate limit exceeded. You can learn more about rate limits here "
            "https://stripe.com/docs/rate-limits.",
            should_retry=should_retry,
        )

    @classmethod
    def lock_timeout(cls) -> StripeFailure:
        """429 `lock_timeout`: Stripe marks it Stripe-Should-Retry: true, so the library
        retries it with the same idempotency key."""
        return cls(
            "error",
            429,
            "invalid_request_error",
            "lock_timeout",
            "This object cannot be accessed right now because another API request or "
            "Stripe process is currently accessing it. Please retry your request.",
            should_retry=True,
        )

    @classmethod
    def server_error(cls, *, saved: bool = False) -> StripeFailure:
        """500 `api_error`.

        By default the error happened before the endpoint ran (nothing saved, no
        Stripe-Should-Retry): stripe-python retries it with the same key. With
        `saved=True` it is the key's saved result, sent with Stripe-Should-Retry: false,
        and replayed for that key from then on: only a new key can get past it.
        """
        return cls(
            "error",
            500,
            "api_error",
            None,
            "An unknown error occurred",
            should_retry=False if saved else None,
            saved=saved,
        )

    @classmethod
    def timeout(cls, seconds: float) -> StripeFailure:
        """Answer only after `seconds`, having done the work: choose more than the
        client's timeout. While it sleeps, the same key answers 409."""
        return cls("timeout", seconds=seconds)

    @classmethod
    def lost_response(cls) -> StripeFailure:
        """Create the session, save it under its idempotency key, send nothing back."""
        return cls("lost_response")


# -- records ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedRequest:
    """One request as it arrived, before any scripted failure decided its fate."""

    method: str
    path: str
    headers: dict[str, str]
    params: dict[str, Any]
    idempotency_key: str | None
    at: float


@dataclass(frozen=True)
class _Reply:
    status: int
    body: dict[str, Any]
    headers: dict[str, str]
    drop: bool = False


@dataclass(frozen=True)
class _Saved:
    """What Stripe's idempotency layer keeps for a key: the request and its result."""

    fingerprint: str
    status: int
    body: dict[str, Any]
    request_id: str


class _StripeError(Exception):
    """A 4xx raised while validating; never saved under the idempotency key."""

    def __init__(
        self,
        status: int,
        type_: str,
        message: str,
        *,
        param: str | None = None,
        code: str | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.type = type_
        self.message = message
        self.param = param
        self.code = code


def _invalid(message: str, *, param: str | None = None, code: str | None = None) -> _StripeError:
    return _StripeError(400, "invalid_request_error", message, param=param, code=code)


# -- the core --------------------------------------------------------------------------


@dataclass
class FakeStripe:
    """Stripe's Checkout Sessions endpoints, its idempotency layer and its failures."""

    api_key: str = "sk_test_fake"
    webhook_secret: str = "whsec_test_fake"
    requests: list[RecordedRequest] = field(default_factory=list)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    webhook_events: list[dict[str, Any]] = field(default_factory=list)  # to be posted
    _charges: dict[str, dict[str, Any]] = field(default_factory=dict)  # by payment intent
    _failures: deque[StripeFailure] = field(default_factory=deque)
    _saved: dict[tuple[str, str], _Saved] = field(default_factory=dict)
    _in_flight: set[tuple[str, str]] = field(default_factory=set)
    _lock: threading.RLock = field(default_factory=threading.RLock)
    _other_keys: set[str] = field(default_factory=set)  # accounts with keys of their own
    _connected: set[str] = field(default_factory=set)  # the platform's connected accounts
    _owners: dict[str, str] = field(default_factory=dict)  # object id -> its account

    # -- accounts ------------------------------------------------------------------------

    def add_account(self, api_key: str) -> None:
        """Another Stripe account, reached with its own secret key."""
        with self._lock:
            self._other_keys.add(api_key)

    def connect(self, account: str) -> None:
        """A connected account (`acct_...`) of the platform whose key is `api_key`."""
        with self._lock:
            self._connected.add(account)

    def account_of(self, object_id: str) -> str:
        """Which account an object was made on: the `acct_...` of a connected account, or
        the secret key of an account reached with its own."""
        with self._lock:
            return self._owners[object_id]

    # -- scripting and inspection ------------------------------------------------------

    def fail_next(self, *failures: StripeFailure) -> None:
        """Script the outcome of the next create calls (sessions and refunds), one
        failure per call, in order."""
        with self._lock:
            self._failures.extend(failures)

    @property
    def pending_failures(self) -> int:
        with self._lock:
            return len(self._failures)

    @property
    def created_count(self) -> int:
        """Distinct sessions created: the number that must stay 1 per attempt."""
        with self._lock:
            return len(self.sessions)

    def create_requests(self) -> list[RecordedRequest]:
        """Every POST to create a session, retries included."""
        with self._lock:
            return [r for r in self.requests if r.method == "POST" and r.path == SESSIONS_PATH]

    def refund_requests(self) -> list[RecordedRequest]:
        """Every POST to create a refund, retries included."""
        with self._lock:
            return [r for r in self.requests if r.method == "POST" and r.path == REFUNDS_PATH]

    def refunds_of(self, payment_intent: str) -> list[dict[str, Any]]:
        """The refunds made for one payment, in the order they were made."""
        with self._lock:
            return copy.deepcopy(
                [r for r in self.refunds.values() if r["payment_intent"] == payment_intent]
            )

    def signed_webhook(self, payload: dict[str, Any]) -> tuple[bytes, str]:
        """An event's body and Stripe-Signature header, signed with our webhook secret."""
        body = encode(payload)
        return body, sign(body, self.webhook_secret)

    def sessions_for(self, client_reference_id: str) -> list[dict[str, Any]]:
        """The sessions created for one lead, in the order they were created."""
        with self._lock:
            return copy.deepcopy(
                [
                    s
                    for s in self.sessions.values()
                    if s["client_reference_id"] == client_reference_id
                ]
            )

    def session(self, session_id: str) -> dict[str, Any]:
        with self._lock:
            return copy.deepcopy(self.sessions[session_id])

    def complete(
        self,
        session_id: str,
        *,
        payment_status: str = "paid",
        amount_total: int | None = None,
        currency: str | None = None,
    ) -> dict[str, Any]:
        """The session as Stripe describes it once the customer has paid (or, with
        `payment_status="unpaid"`, submitted a delayed payment method). The overrides
        let a test send the wrong amount or currency; the stored session changes too,
        so a retrieve agrees with the webhook."""
        with self._lock:
            session = self.sessions[session_id]
            session.update(
                status="complete",
                payment_status=payment_status,
                payment_intent=session["payment_intent"] or _id("pi_"),
                url=None,
            )
            if amount_total is not None:
                session["amount_total"] = session["amount_subtotal"] = amount_total
            if currency is not None:
                session["currency"] = currency
            if payment_status == "paid":  # the charge a refund will draw on
                self._owners.setdefault(session["payment_intent"], self._owners[session_id])
                self._charges.setdefault(
                    session["payment_intent"],
                    charge(
                        session["payment_intent"],
                        refunded=False,
                        amount=session["amount_total"],
                        currency=session["currency"],
                    ),
                )
            return copy.deepcopy(session)

    def pay(self, *, amount: int, currency: str, account: str | None = None) -> str:
        """A payment made (as a completed Checkout Session leaves one) on `account` (the
        platform's own by default); its payment intent."""
        intent = _id("pi_")
        with self._lock:
            self._charges[intent] = charge(intent, refunded=False, amount=amount, currency=currency)
            self._owners[intent] = account or self.api_key
        return intent

    def expire(self, session_id: str) -> dict[str, Any]:
        """The session as Stripe describes it after `expires_at` passed unpaid."""
        with self._lock:
            session = self.sessions[session_id]
            session.update(status="expired", url=None)
            return copy.deepcopy(session)

    # -- the core ----------------------------------------------------------------------

    def handle(self, method: str, target: str, headers: Mapping[str, str], body: bytes) -> _Reply:
        """Answer one HTTP request; `headers` must have lower-case names."""
        request_id = _id("req_", 14)
        path = urlsplit(target).path.rstrip("/")
        try:
            params = decode_form(
                parse_qsl(
                    (body.decode() if method == "POST" else urlsplit(target).query),
                    keep_blank_values=True,
                )
            )
        except (ValueError, UnicodeDecodeError) as exc:
            return self._error(_invalid(str(exc)), request_id)
        key = headers.get("idempotency-key")
        with self._lock:
            self.requests.append(
                RecordedRequest(method, path, dict(headers), params, key, time.time())
            )
            try:
                owner = self._authenticate(headers)
            except _StripeError as exc:
                return self._error(exc, request_id)
        if method == "POST" and path in (SESSIONS_PATH, REFUNDS_PATH):
            return self._create(path, params, key, request_id, owner)
        match = re.fullmatch(rf"{SESSIONS_PATH}/([^/]+)(/expire)?", path)
        with self._lock:
            if match and method == "GET" and not match.group(2):
                return self._retrieve(match.group(1), request_id, owner)
            if match and method == "POST" and match.group(2):
                return self._expire_via_api(match.group(1), request_id, owner)
        return self._error(
            _invalid(
                f"Unrecognized request URL ({method}: {path}). Please see "
                "https://stripe.com/docs or we can help at https://support.stripe.com/."
            ),
            request_id,
            status=404,
        )

    def _authenticate(self, headers: Mapping[str, str]) -> str:
        """The account the request acts on: a connected account's id (`Stripe-Account`,
        the platform's key only), else the key's own account (named by the key)."""
        auth = headers.get("authorization", "")
        if not auth:
            raise _StripeError(
                401,
                "invalid_request_error",
                "You did not provide an API key. You need to provide your API key in the "
                "Authorization header, using Bearer auth (e.g. 'Authorization: Bearer "
                "YOUR_SECRET_KEY').",
            )
        scheme, _, given = auth.partition(" ")
        keys = [self.api_key, *self._other_keys]
        if scheme.lower() != "bearer" or not any(hmac.compare_digest(given, k) for k in keys):
            raise _StripeError(
                401,
                "invalid_request_error",
                f"Invalid API Key provided: {_redact(given)}",
            )
        account = headers.get("stripe-account")
        if account is None:
            return given
        if given != self.api_key:
            raise _StripeError(
                403,
                "invalid_request_error",
                "Only Stripe Connect platforms can work with other accounts. If you need to "
                "setup a Stripe Connect platform, you can do so at "
                "https://dashboard.stripe.com/account/applications/settings.",
            )
        if account not in self._connected:
            raise _StripeError(
                403,
                "invalid_request_error",
                f"The provided key '{_redact(given)}' does not have access to account "
                f"'{account}' (or that account does not exist). Application access may have "
                "been revoked.",
            )
        return account

    def _create(
        self, path: str, params: dict[str, Any], key: str | None, request_id: str, owner: str
    ) -> _Reply:
        scope = (owner, key) if key else None  # an idempotency key is its account's own
        with self._lock:
            failure = self._failures.popleft() if self._failures else None
            if failure is not None and failure.kind == "error" and not failure.saved:
                return self._scripted(failure, request_id)
            if scope is not None and scope in self._in_flight:
                return self._error(
                    _StripeError(
                        409,
                        "idempotency_error",
                        "There is currently another in-progress request using this "
                        "Idempotent Key (that probably means you submitted twice, and the "
                        "other request is still going through): "
                        f"{key}. Please try again later.",
                        code="idempotency_key_in_use",
                    ),
                    request_id,
                )
            slow = failure is not None and failure.kind == "timeout"
            if slow and scope is not None:
                self._in_flight.add(scope)
        if failure is not None and slow:
            try:
                time.sleep(failure.seconds)
            finally:
                with self._lock:
                    if scope is not None:
                        self._in_flight.discard(scope)
        with self._lock:
            reply = self._create_or_replay(path, params, scope, request_id, failure, owner)
        if failure is not None and failure.kind == "lost_response":
            return _Reply(reply.status, reply.body, reply.headers, drop=True)
        return reply

    def _create_or_replay(
        self,
        path: str,
        params: dict[str, Any],
        scope: tuple[str, str] | None,
        request_id: str,
        failure: StripeFailure | None,
        owner: str,
    ) -> _Reply:
        fingerprint = _fingerprint("POST", path, params)
        key = scope[1] if scope is not None else None
        if scope is not None and scope in self._saved:
            saved = self._saved[scope]
            if saved.fingerprint != fingerprint:
                return self._error(
                    _StripeError(
                        400,
                        "idempotency_error",
                        "Keys for idempotent requests can only be used with the same "
                        "parameters they were first used with. Try using a key other than "
                        f"'{key}' if you meant to execute a different request.",
                    ),
                    request_id,
                )
            headers = self._headers(request_id, key)
            headers.update({"Idempotent-Replayed": "true", "Original-Request": saved.request_id})
            if saved.status >= 500:
                headers["Stripe-Should-Retry"] = "false"
            return _Reply(saved.status, copy.deepcopy(saved.body), headers)
        try:
            if path == SESSIONS_PATH:
                made = self._new_session(params, live=self._live(owner))
            else:
                made = self._new_refund(params, owner)
        except _StripeError as exc:
            return self._error(exc, request_id, idempotency_key=key)
        if failure is not None and failure.kind == "error":  # a saved error: the endpoint ran
            reply = self._scripted(failure, request_id, idempotency_key=key)
        else:
            self._keep(made, owner)
            reply = _Reply(200, copy.deepcopy(made), self._headers(request_id, key))
        if scope is not None:
            self._saved[scope] = _Saved(fingerprint, reply.status, reply.body, request_id)
        return reply

    def _live(self, owner: str) -> bool:
        key = self.api_key if owner.startswith("acct_") else owner
        return key.startswith(("sk_live_", "rk_live_"))

    def _new_session(self, params: dict[str, Any], *, live: bool) -> dict[str, Any]:
        """Validate the parameters as Stripe does for what we send, then build the
        session; raises `_StripeError` (a 400 that Stripe does not save)."""
        now = int(time.time())
        _refuse_unknown(params, _SESSION_PARAMS, "")
        mode = params.get("mode")
        if mode is None:
            raise _invalid("Missing required param: mode.", param="mode", code="parameter_missing")
        if mode not in ("payment", "setup", "subscription"):
            raise _invalid(
                f"Invalid mode: must be one of payment, setup, or subscription. Got '{mode}'.",
                param="mode",
            )
        ui_mode = params.get("ui_mode", "hosted")
        line_items = params.get("line_items")
        if mode in ("payment", "subscription") and not line_items:
            raise _invalid(
                f"`line_items` is required in `{mode}` mode.",
                param="line_items",
                code="parameter_missing",
            )
        if ui_mode == "hosted" and not params.get("success_url"):
            raise _invalid(
                "Missing required param: success_url.",
                param="success_url",
                code="parameter_missing",
            )
        if not isinstance(line_items, list | None):
            raise _invalid("Invalid array", param="line_items")
        amount, currency = _line_items_total(line_items or [])
        if "currency" in params:
            currency = str(params["currency"]).lower()
        expires_at = now + MAX_EXPIRY_S
        if "expires_at" in params:
            expires_at = _integer(params["expires_at"], "expires_at")
            if expires_at - now < MIN_EXPIRY_S:
                raise _invalid(
                    "The `expires_at` timestamp must be at least 30 minutes from Checkout "
                    "Session creation.",
                    param="expires_at",
                )
            if expires_at - now > MAX_EXPIRY_S:
                raise _invalid(
                    "The `expires_at` timestamp must be less than 24 hours from Checkout "
                    "Session creation.",
                    param="expires_at",
                )
        metadata = params.get("metadata", {})
        if not isinstance(metadata, dict):
            raise _invalid("Invalid object", param="metadata")
        pi_data = params.get("payment_intent_data", {})
        if not isinstance(pi_data, dict):
            raise _invalid("Invalid object", param="payment_intent_data")
        _refuse_unknown(pi_data, _PAYMENT_INTENT_DATA_PARAMS, "payment_intent_data")
        session_id = _id("cs_live_" if live else "cs_test_", 58)
        return {
            "id": session_id,
            "object": "checkout.session",
            "after_expiration": None,
            "allow_promotion_codes": None,
            "amount_subtotal": amount,
            "amount_total": amount,
            "billing_address_collection": None,
            "cancel_url": params.get("cancel_url"),
            "client_reference_id": params.get("client_reference_id"),
            "created": now,
            "currency": currency,
            "customer": None,
            "customer_creation": "if_required",
            "customer_details": None,
            "customer_email": params.get("customer_email"),
            "expires_at": expires_at,
            "livemode": live,
            "locale": params.get("locale"),
            "metadata": metadata,
            "mode": mode,
            "payment_intent": None,
            "payment_method_types": ["card"],
            "payment_status": "unpaid",
            "status": "open",
            "submit_type": params.get("submit_type"),
            "success_url": params.get("success_url"),
            "ui_mode": ui_mode,
            "url": f"https://checkout.stripe.com/c/pay/{session_id}"
            if ui_mode == "hosted"
            else None,
        }

    def _keep(self, made: dict[str, Any], owner: str) -> None:
        """Store what a create made, as `owner`'s; a refund also moves its charge and
        queues the `charge.refunded` event (with `account` when a connected account's),
        as Stripe does once the refund exists."""
        self._owners[made["id"]] = owner
        if made["object"] == "checkout.session":
            self.sessions[made["id"]] = made
            return
        self.refunds[made["id"]] = made
        charged = self._charges[made["payment_intent"]]
        before = {"amount_refunded": charged["amount_refunded"], "refunded": charged["refunded"]}
        charged["amount_refunded"] += made["amount"]
        charged["refunded"] = charged["amount_refunded"] >= charged["amount"]
        self.webhook_events.append(
            event(
                "charge.refunded",
                copy.deepcopy(charged),
                previous_attributes=before,
                account=owner if owner.startswith("acct_") else None,
            )
        )

    def _new_refund(self, params: dict[str, Any], owner: str) -> dict[str, Any]:
        """Validate a refund of a paid payment intent as Stripe does; build the Refund."""
        _refuse_unknown(params, _REFUND_PARAMS, "")
        intent = params.get("payment_intent")
        if "charge" in params:
            raise _invalid("This fake refunds by payment_intent only.", param="charge")
        if not intent:
            raise _invalid(
                "Must provide either `charge` or `payment_intent`.", code="parameter_missing"
            )
        charged = self._charges.get(str(intent))
        if charged is None or self._owners.get(str(intent), self.api_key) != owner:
            raise _invalid(
                f"No such payment_intent: '{intent}'",
                param="payment_intent",
                code="resource_missing",
            )
        left = charged["amount"] - charged["amount_refunded"]
        if left <= 0:
            raise _invalid(
                f"Charge {charged['id']} has already been refunded.",
                code="charge_already_refunded",
            )
        amount = _integer(params["amount"], "amount") if "amount" in params else left
        if amount < 1:
            raise _invalid("This value must be greater than or equal to 1.", param="amount")
        if amount > left:
            raise _invalid(
                f"Refund amount ({amount}) is greater than unrefunded amount on charge ({left})",
                param="amount",
                code="amount_too_large",
            )
        return {
            "id": _id("re_"),
            "object": "refund",
            "amount": amount,
            "balance_transaction": _id("txn_"),
            "charge": charged["id"],
            "created": int(time.time()),
            "currency": charged["currency"],
            "destination_details": {"card": {"type": "refund"}, "type": "card"},
            "metadata": params.get("metadata", {}),
            "payment_intent": intent,
            "reason": params.get("reason"),
            "receipt_number": None,
            "source_transfer_reversal": None,
            "status": "succeeded",
            "transfer_reversal": None,
        }

    def _retrieve(self, session_id: str, request_id: str, owner: str) -> _Reply:
        session = self.sessions.get(session_id)
        if session is None or self._owners.get(session_id) != owner:
            return self._missing(session_id, request_id)
        return _Reply(200, copy.deepcopy(session), self._headers(request_id, None))

    def _expire_via_api(self, session_id: str, request_id: str, owner: str) -> _Reply:
        session = self.sessions.get(session_id)
        if session is None or self._owners.get(session_id) != owner:
            return self._missing(session_id, request_id)
        if session["status"] != "open":
            return self._error(
                _invalid(
                    'Only Checkout Sessions with a status in ["open"] can be expired. '
                    f'This Checkout Session has a status of "{session["status"]}".',
                    code="checkout_session_expired" if session["status"] == "expired" else None,
                ),
                request_id,
            )
        session.update(status="expired", url=None)
        return _Reply(200, copy.deepcopy(session), self._headers(request_id, None))

    def _missing(self, session_id: str, request_id: str) -> _Reply:
        return self._error(
            _StripeError(
                404,
                "invalid_request_error",
                f"No such checkout.session: '{session_id}'",
                param="session",
                code="resource_missing",
            ),
            request_id,
        )

    # -- replies -----------------------------------------------------------------------

    def _headers(self, request_id: str, idempotency_key: str | None) -> dict[str, str]:
        headers = {"Request-Id": request_id, "Stripe-Version": API_VERSION}
        if idempotency_key:
            headers["Idempotency-Key"] = idempotency_key
        return headers

    def _scripted(
        self, failure: StripeFailure, request_id: str, *, idempotency_key: str | None = None
    ) -> _Reply:
        reply = self._error(
            _StripeError(failure.status, failure.type, failure.message, code=failure.code),
            request_id,
            idempotency_key=idempotency_key,
        )
        if failure.should_retry is not None:
            reply.headers["Stripe-Should-Retry"] = "true" if failure.should_retry else "false"
        return reply

    def _error(
        self,
        exc: _StripeError,
        request_id: str,
        *,
        status: int | None = None,
        idempotency_key: str | None = None,
    ) -> _Reply:
        error: dict[str, Any] = {}
        if exc.code:
            error["code"] = exc.code
            error["doc_url"] = f"https://stripe.com/docs/error-codes/{exc.code.replace('_', '-')}"
        error["message"] = exc.message
        if exc.param:
            error["param"] = exc.param
        error["request_log_url"] = f"https://dashboard.stripe.com/test/logs/{request_id}"
        error["type"] = exc.type
        return _Reply(
            status or exc.status, {"error": error}, self._headers(request_id, idempotency_key)
        )

    # -- front end ---------------------------------------------------------------------

    def serve(self) -> StripeServer:
        """Start a real HTTP server on 127.0.0.1; stop it with `.close()`."""
        return StripeServer(self)


# -- validation helpers ----------------------------------------------------------------


def _refuse_unknown(params: Mapping[str, Any], known: frozenset[str], prefix: str) -> None:
    for name in params:
        if name not in known:
            full = f"{prefix}[{name}]" if prefix else name
            raise _invalid(f"Received unknown parameter: {full}", param=full)


def _integer(value: Any, param: str) -> int:
    if isinstance(value, str) and re.fullmatch(r"-?\d+", value):
        return int(value)
    raise _invalid(f"Invalid integer: {value}", param=param, code="parameter_invalid_integer")


def _line_items_total(line_items: list[Any]) -> tuple[int, str | None]:
    """Sum unit_amount * quantity over the items, checking what Stripe checks."""
    total = 0
    currencies: set[str] = set()
    for i, item in enumerate(line_items):
        where = f"line_items[{i}]"
        if not isinstance(item, dict):
            raise _invalid("Invalid object", param=where)
        _refuse_unknown(item, _LINE_ITEM_PARAMS, where)
        if "price" in item:
            raise _invalid(
                f"No such price: '{item['price']}'",
                param=f"{where}[price]",
                code="resource_missing",
            )
        price_data = item.get("price_data")
        if not isinstance(price_data, dict):
            raise _invalid(
                "You must specify either `price` or `price_data` for each line item.", param=where
            )
        _refuse_unknown(price_data, _PRICE_DATA_PARAMS, f"{where}[price_data]")
        currency = price_data.get("currency")
        if not isinstance(currency, str) or not re.fullmatch(r"[A-Za-z]{3}", currency):
            raise _invalid(
                f"Missing required param: {where}[price_data][currency].",
                param=f"{where}[price_data][currency]",
                code="parameter_missing",
            )
        if "unit_amount" not in price_data:
            raise _invalid(
                f"Missing required param: {where}[price_data][unit_amount].",
                param=f"{where}[price_data][unit_amount]",
                code="parameter_missing",
            )
        unit_amount = _integer(price_data["unit_amount"], f"{where}[price_data][unit_amount]")
        if unit_amount < 0:
            raise _invalid(
                "This value must be greater than or equal to 0.",
                param=f"{where}[price_data][unit_amount]",
            )
        product_data = price_data.get("product_data")
        if "product" not in price_data:
            if not isinstance(product_data, dict) or not product_data.get("name"):
                raise _invalid(
                    f"Missing required param: {where}[price_data][product_data][name].",
                    param=f"{where}[price_data][product_data][name]",
                    code="parameter_missing",
                )
            _refuse_unknown(
                product_data, _PRODUCT_DATA_PARAMS, f"{where}[price_data][product_data]"
            )
        if "quantity" not in item:
            raise _invalid(
                f"Missing required param: {where}[quantity].",
                param=f"{where}[quantity]",
                code="parameter_missing",
            )
        quantity = _integer(item["quantity"], f"{where}[quantity]")
        if quantity < 1:
            raise _invalid(
                "This value must be greater than or equal to 1.", param=f"{where}[quantity]"
            )
        currencies.add(currency.lower())
        total += unit_amount * quantity
    if len(currencies) > 1:
        raise _invalid("All line items must use the same currency.", param="line_items")
    return total, (currencies.pop() if currencies else None)


def _fingerprint(method: str, path: str, params: dict[str, Any]) -> str:
    return json.dumps([method, path, params], sort_keys=True)


def _redact(key: str) -> str:
    """Stripe echoes a wrong key with all but its prefix and last four characters starred."""
    if len(key) <= 12:
        return "*" * len(key)
    prefix = key[: key.index("_", 3) + 1] if key.count("_") >= 2 else ""
    return prefix + "*" * (len(key) - len(prefix) - 4) + key[-4:]


_ALPHABET = string.ascii_letters + string.digits


def _id(prefix: str, length: int = 24) -> str:
    return prefix + "".join(secrets.choice(_ALPHABET) for _ in range(length))


# -- Stripe's form encoding ------------------------------------------------------------

_SEGMENT = re.compile(r"\[([^\[\]]*)\]")


def decode_form(pairs: Iterable[tuple[str, str]]) -> dict[str, Any]:
    """Rebuild nested parameters from Stripe's bracket notation.

    `line_items[0][price_data][unit_amount]=5000` becomes
    `{"line_items": [{"price_data": {"unit_amount": "5000"}}]}`: objects whose keys are
    all indices become lists; `a[]=x` appends. Values stay strings, as on the wire
    (stripe-python sends booleans as "true"/"false"). Raises ValueError where Stripe
    would refuse the shape (a key that is both a value and an object).
    """
    root: dict[str, Any] = {}
    for raw_key, value in pairs:
        head, _, rest = raw_key.partition("[")
        segments = [head]
        if rest:
            tail = "[" + rest
            found = _SEGMENT.findall(tail)
            if "".join(f"[{s}]" for s in found) != tail:
                raise ValueError(f"Invalid parameter name: {raw_key}")
            segments += found
        node = root
        for i, segment in enumerate(segments):
            name = str(len(node)) if segment == "" else segment
            last = i == len(segments) - 1
            if last:
                if isinstance(node.get(name), dict):
                    raise ValueError(f"Invalid hash: {raw_key}")
                node[name] = value
            else:
                child = node.setdefault(name, {})
                if not isinstance(child, dict):
                    raise ValueError(f"Invalid hash: {raw_key}")
                node = child
    result = _listify(root)
    assert isinstance(result, dict)
    return result


def _listify(node: Any) -> Any:
    if not isinstance(node, dict):
        return node
    converted = {k: _listify(v) for k, v in node.items()}
    if converted and all(k.isdigit() for k in converted):
        return [converted[k] for k in sorted(converted, key=int)]
    return converted


# -- the HTTP front end ----------------------------------------------------------------


class StripeServer:
    """A threaded HTTP/1.1 server in front of one `FakeStripe`; each request its thread,
    so a slow (timeout) answer does not hold back the client's retry."""

    def __init__(self, fake: FakeStripe) -> None:
        self.fake = fake

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                self._answer("GET")

            def do_POST(self) -> None:
                self._answer("POST")

            def do_DELETE(self) -> None:
                self._answer("DELETE")

            def _answer(self, method: str) -> None:
                length = int(self.headers.get("content-length", "0"))
                body = self.rfile.read(length) if length else b""
                reply = fake.handle(
                    method, self.path, {k.lower(): v for k, v in self.headers.items()}, body
                )
                if reply.drop:
                    # The work is done and saved; the client hears nothing at all.
                    self.close_connection = True
                    with contextlib.suppress(OSError):
                        self.connection.shutdown(socket.SHUT_RDWR)
                    return
                data = json.dumps(reply.body, indent=2).encode()
                try:
                    self.send_response(reply.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(data)))
                    for name, value in reply.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(data)
                    self.wfile.flush()
                except OSError:
                    # The client gave up (its timeout) before this slow answer came.
                    self.close_connection = True

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._http = LocalHTTPServer(Handler)

    @property
    def base_url(self) -> str:
        return self._http.base_url

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> StripeServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


# -- webhook events --------------------------------------------------------------------


def event(
    type: str,
    obj: dict[str, Any],
    *,
    livemode: bool = False,
    event_id: str | None = None,
    created: int | None = None,
    previous_attributes: dict[str, Any] | None = None,
    account: str | None = None,
) -> dict[str, Any]:
    """A v1 snapshot Event as Stripe posts it to a webhook endpoint; an `*.updated`-like
    event (`charge.refunded`) carries the changed fields' old values, and an event of a
    connected account's object (sent to the platform's Connect endpoint) its `account`."""
    data: dict[str, Any] = {"object": obj}
    if previous_attributes is not None:
        data["previous_attributes"] = previous_attributes
    made: dict[str, Any] = {"id": event_id or _id("evt_"), "object": "event"}
    if account is not None:
        made["account"] = account
    return made | {
        "api_version": API_VERSION,
        "created": int(time.time()) if created is None else created,
        "data": data,
        "livemode": livemode,
        "pending_webhooks": 1,
        "request": {"id": None, "idempotency_key": None},
        "type": type,
    }


def charge(
    payment_intent: str,
    *,
    refunded: bool,
    amount: int,
    currency: str,
    amount_refunded: int | None = None,
) -> dict[str, Any]:
    """A Charge, as carried by `charge.refunded` and friends. `refunded` is Stripe's
    "fully refunded"; pass `amount_refunded` for a partial refund."""
    refunded_amount = (
        amount_refunded if amount_refunded is not None else (amount if refunded else 0)
    )
    return {
        "id": _id("ch_"),
        "object": "charge",
        "amount": amount,
        "amount_captured": amount,
        "amount_refunded": refunded_amount,
        "captured": True,
        "created": int(time.time()),
        "currency": currency,
        "disputed": False,
        "livemode": False,
        "metadata": {},
        "paid": True,
        "payment_intent": payment_intent,
        "refunded": refunded,
        "status": "succeeded",
    }


def dispute(
    payment_intent: str,
    *,
    amount: int,
    currency: str,
    charge_id: str | None = None,
    status: str = "needs_response",
    reason: str = "fraudulent",
) -> dict[str, Any]:
    """A Dispute, as carried by `charge.dispute.created`."""
    return {
        "id": _id("dp_"),
        "object": "dispute",
        "amount": amount,
        "balance_transactions": [],
        "charge": charge_id or _id("ch_"),
        "created": int(time.time()),
        "currency": currency,
        "is_charge_refundable": False,
        "livemode": False,
        "metadata": {},
        "payment_intent": payment_intent,
        "reason": reason,
        "status": status,
    }


def sign(payload: bytes, secret: str, *, timestamp: int | None = None) -> str:
    """The Stripe-Signature header: `t=<ts>,v1=<hex HMAC-SHA256(secret, "<ts>.<body>")>`."""
    ts = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{ts}.".encode() + payload, hashlib.sha256)
    return f"t={ts},v1={mac.hexdigest()}"


def encode(event: dict[str, Any], *, pretty: bool = False) -> bytes:
    """The webhook body. Stripe itself sends it indented (`pretty=True`); either way the
    signature covers these exact bytes, so a receiver must verify the raw body."""
    if pretty:
        return json.dumps(event, indent=2).encode()
    return json.dumps(event, separators=(",", ":")).encode()
