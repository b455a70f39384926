"""
WhatsApp's webhook: the subscription handshake (a Quart route) and each delivery.

A delivery (`take_whatsapp_batch`, served by `web.whatsapp_endpoint`): verify the raw
bytes, parse, hand to the actors as one command (`TakeWhatsApp`), count what it held.
The POST answers 200 only when every message of the batch has been committed
(processed, or deliberately skipped as a duplicate or out of order), and with them its
statuses (kept and applied, and a failure told to its lead) and user preferences.
Failures map to 401 / 400 / 503 in `web.errors`.
"""

from __future__ import annotations

import hmac
from datetime import UTC, datetime

import structlog
from pydantic import ValidationError
from quart import Blueprint, ResponseReturnValue, request

from actors.commands import IncomingMessage, IncomingPreference, TakeWhatsApp
from actors.providers.whatsapp import StatusReport
from web.errors import MalformedBody
from web.services import Services, services
from web.signatures import verify_meta_signature
from web.whatsapp_models import MetaStatus, MetaWebhook

__all__ = ["WHATSAPP_PATH", "blueprint", "take_whatsapp_batch"]

WHATSAPP_PATH = "/webhooks/whatsapp"
blueprint = Blueprint("webhooks", __name__)
log = structlog.get_logger("web.webhooks")


@blueprint.get(WHATSAPP_PATH)
async def whatsapp_handshake() -> ResponseReturnValue:
    expected = services().settings.whatsapp_verify_token
    mode = request.args.get("hub.mode")
    token = request.args.get("hub.verify_token", "")
    challenge = request.args.get("hub.challenge", "")
    if (
        mode == "subscribe"
        and expected is not None
        and hmac.compare_digest(token.encode(), expected.get_secret_value().encode())
    ):
        return challenge, 200, {"Content-Type": "text/plain"}
    log.warning("webhook.handshake_rejected")
    return {"error": "verification failed"}, 403


@blueprint.post(WHATSAPP_PATH)
async def whatsapp_messages() -> ResponseReturnValue:
    """Never reached: `web.whatsapp_endpoint` answers this before Quart sees it. Listed so
    Quart's map of routes, and the Allow of its 405 answers, know the route."""
    raise RuntimeError(f"POST {WHATSAPP_PATH} is served by web.whatsapp_endpoint")


async def take_whatsapp_batch(
    running: Services, body: bytes, signature: str | None, correlation_id: str
) -> dict[str, int]:
    """Verify, parse and hand one signed delivery from Meta to the actors: what it held,
    by outcome.

    Served by `web.whatsapp_endpoint`; raises what `web.errors` turns into an answer.
    """
    secret = running.settings.whatsapp_app_secret
    verify_meta_signature(secret.get_secret_value().encode() if secret else b"", body, signature)
    try:
        webhook = MetaWebhook.model_validate_json(body)
    except ValidationError as error:
        raise MalformedBody(f"{error.error_count()} validation errors") from error
    now = running.actors.now()
    return await running.actors.handle(
        TakeWhatsApp(
            messages=tuple(
                IncomingMessage(received.event(now), received.record())
                for received in webhook.received()
            ),
            preferences=tuple(
                IncomingPreference(preference.event(now), preference.record())
                for preference in webhook.preferences()
            ),
            statuses=tuple(status_reports(webhook.statuses())),
            correlation_id=correlation_id,
        )
    )


def status_reports(statuses: list[MetaStatus]) -> list[StatusReport]:
    """Meta's statuses as the actors keep them (unknown states left out)."""
    return [
        StatusReport(
            provider_message_id=status.id,
            state=status.status,
            error_code=status.error_code,
            recipient=status.recipient_id,
            reported_at=(
                datetime.fromtimestamp(status.timestamp, UTC) if status.timestamp else None
            ),
        )
        for status in statuses
        if status.status in _STATES
    ]


_STATES = frozenset({"sent", "delivered", "read", "failed"})
