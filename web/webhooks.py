"""
Webhooks in. Each route: verify the raw bytes, parse, hand to the actors, answer.

The WhatsApp POST answers 200 only when every message of the batch has been committed
(processed, or deliberately skipped as a duplicate or out of order); status-only posts
are acknowledged as they are. Failures map to 401 / 400 / 503 in `web.errors`.
"""

from __future__ import annotations

import asyncio
import hmac

import structlog
from pydantic import ValidationError
from quart import Blueprint, ResponseReturnValue, request

from actors import TurnFailed, TurnOutcome
from web.errors import MalformedBody
from web.request_ids import correlation_id
from web.services import services
from web.signatures import verify_meta_signature
from web.whatsapp_models import MetaWebhook
from web.whatsapp_routing import route

__all__ = ["blueprint"]

blueprint = Blueprint("webhooks", __name__)
log = structlog.get_logger("web.webhooks")


@blueprint.get("/webhooks/whatsapp")
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


@blueprint.post("/webhooks/whatsapp")
async def whatsapp_messages() -> ResponseReturnValue:
    running = services()
    body = await request.get_data(cache=False, as_text=False)
    assert isinstance(body, bytes)
    secret = running.settings.whatsapp_app_secret
    verify_meta_signature(
        secret.get_secret_value().encode() if secret else b"",
        body,
        request.headers.get("X-Hub-Signature-256"),
    )
    try:
        webhook = MetaWebhook.model_validate_json(body)
    except ValidationError as error:
        raise MalformedBody(f"{error.error_count()} validation errors") from error

    now = running.clock.now()
    loop = asyncio.get_running_loop()
    replies: list[asyncio.Future[TurnOutcome]] = []
    try:
        for received in webhook.received():
            reply: asyncio.Future[TurnOutcome] = loop.create_future()
            routed = await route(
                received, desk=running.artist_desk, now=now, correlation_id=correlation_id()
            )
            if isinstance(routed, TurnOutcome):  # the artist asked which lead: committed
                reply.set_result(routed)
            else:
                running.runtime.tell(routed, reply)
            replies.append(reply)
    except BaseException:
        # The provider will retry the whole batch; what was already queued still runs
        # (a retry then finds it done), so nobody needs to wait for those answers.
        for reply in replies:
            reply.add_done_callback(_discard)
        raise
    try:
        async with asyncio.timeout(running.settings.turn_wait_s):
            outcomes = await asyncio.gather(*replies)
    except TimeoutError:
        raise TurnFailed("the turns did not commit in time") from None
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome.value] = counts.get(outcome.value, 0) + 1
    if webhook.status_count():
        counts["status"] = webhook.status_count()
    return {"received": counts}, 200


def _discard(reply: asyncio.Future[TurnOutcome]) -> None:
    if not reply.cancelled():
        reply.exception()  # retrieved, so asyncio does not warn about it
