"""
Webhook signatures, verified over the raw bytes before anything is parsed.

Meta: X-Hub-Signature-256, HMAC-SHA256 of the body, compared in constant time.
Stripe: Stripe-Signature, checked by stripe-python, and a timestamp within the tolerance
in either direction (the library only refuses old ones).
"""

from __future__ import annotations

import hashlib
import hmac
import time

import stripe

from web.errors import SignatureInvalid

__all__ = ["STRIPE_TOLERANCE_S", "sign_meta", "verify_meta_signature", "verify_stripe_signature"]

STRIPE_TOLERANCE_S = 300

_PREFIX = "sha256="


def sign_meta(secret: bytes, body: bytes) -> str:
    return _PREFIX + hmac.new(secret, body, hashlib.sha256).hexdigest()


def verify_meta_signature(secret: bytes, body: bytes, header: str | None) -> None:
    """Raise `SignatureInvalid` unless `header` signs `body` with `secret`."""
    if not secret:  # anyone can sign with an empty key
        raise SignatureInvalid("no secret to check against")
    if not header or not header.startswith(_PREFIX):
        raise SignatureInvalid("missing signature")
    if not hmac.compare_digest(sign_meta(secret, body).encode(), header.strip().encode()):
        raise SignatureInvalid("signature mismatch")


def verify_stripe_signature(
    secret: str, body: bytes, header: str | None, *, tolerance_s: int = STRIPE_TOLERANCE_S
) -> None:
    """Raise `SignatureInvalid` unless Stripe signed `body` with `secret` recently."""
    if not header or not secret:
        raise SignatureInvalid("missing signature")
    try:
        stripe.WebhookSignature.verify_header(
            body.decode("utf-8"), header, secret, tolerance=tolerance_s
        )
    except (stripe.SignatureVerificationError, UnicodeDecodeError) as error:
        raise SignatureInvalid("signature mismatch or too old") from error
    stamps = [p.partition("=")[2] for p in header.split(",") if p.startswith("t=")]
    if not stamps or not stamps[0].isdigit() or int(stamps[0]) > time.time() + tolerance_s:
        raise SignatureInvalid("timestamp from the future")
