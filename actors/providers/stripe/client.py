"""
Calling Stripe: the client both Stripe channels share (Checkout links, refunds), and
the one rule for what a failed call means to the outbox.

    rate limited, connection trouble, Stripe's 5xx   RetryableDeliveryError (backoff)
    any other refusal (4xx: bad request, card, key)  PermanentDeliveryError (dead letter)

Stripe's own message is kept (it names no key), after its error code when it has one
("charge_already_refunded: ...").
"""

from __future__ import annotations

import stripe

from actors.errors import DeliveryError, PermanentDeliveryError, RetryableDeliveryError

__all__ = ["stripe_client", "stripe_configured", "stripe_failure"]


def stripe_client(
    api_key: str, api_base: str, http_client: stripe.HTTPXClient, *, account: str | None = None
) -> stripe.StripeClient:
    """A client on httpx, with stripe-python's own bounded retries for network errors;
    with `account`, every call is made on that Connect account (`Stripe-Account`)."""
    return stripe.StripeClient(
        api_key,
        stripe_account=account,
        base_addresses={"api": api_base},
        http_client=http_client,
        max_network_retries=2,
    )


def stripe_configured(client: stripe.StripeClient | None) -> stripe.StripeClient:
    """The client; without STRIPE_API_KEY a retryable failure, so the row waits for it."""
    if client is None:
        raise RetryableDeliveryError("not_configured", "STRIPE_API_KEY unset")
    return client


def stripe_failure(error: stripe.StripeError) -> DeliveryError:
    """What the outbox should do about a failed Stripe call."""
    message = (error.user_message or type(error).__name__)[:200]
    if isinstance(error, stripe.RateLimitError | stripe.APIConnectionError):
        # stripe-python never retries a bare 429 itself: the outbox's backoff does.
        return RetryableDeliveryError(type(error).__name__, message)
    if isinstance(error, stripe.APIError):
        return RetryableDeliveryError(f"stripe_{error.http_status}", message)
    if error.code:
        message = f"{error.code}: {message}"
    return PermanentDeliveryError(type(error).__name__, message)
