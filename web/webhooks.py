"""
WhatsApp's webhook: the subscription handshake (a Quart route) and each delivery.

A delivery (`take_whatsapp_batch`, served by `web.whatsapp_lane`): verify the raw
bytes, parse, hand to the actors, count what it held. The POST answers 200 only when
every message of the batch has been committed (processed, or deliberately skipped as a
duplicate or out of order), and with them its statuses (kept and applied, and a
failure told to its lead) and user preferences. Failures map to 401 / 400 / 503 in
`web.errors`.
"""

from __future__ import annotations

import asyncio
import hmac

import structlog
from pydantic import ValidationError
from quart import Blueprint, ResponseReturnValue, request

from actors import Inbound, TurnFailed, TurnOutcome
from actors.providers.whatsapp.statuses import SentMessageRef
from web.errors import MalformedBody
from web.services import Services, services
from web.signatures import verify_meta_signature
from web.whatsapp_models import MetaWebhook
from web.whatsapp_routing import route, route_preference, status_reports

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
    """Never reached: `web.whatsapp_lane` answers this before Quart sees it. Listed so
    Quart's map of routes, and the Allow of its 405 answers, know the route."""
    raise RuntimeError(f"POST {WHATSAPP_PATH} is served by web.whatsapp_lane")


async def take_whatsapp_batch(
    running: Services, body: bytes, signature: str | None, correlation_id: str
) -> dict[str, int]:
    """Verify, parse and commit one signed delivery from Meta: what it held, by outcome.

    Served by `web.whatsapp_lane`; raises what `web.errors` turns into an answer.
    """
    secret = running.settings.whatsapp_app_secret
    verify_meta_signature(secret.get_secret_value().encode() if secret else b"", body, signature)
    try:
        webhook = MetaWebhook.model_validate_json(body)
    except ValidationError as error:
        raise MalformedBody(f"{error.error_count()} validation errors") from error

    now = running.clock.now()
    loop = asyncio.get_running_loop()
    replies: list[asyncio.Future[TurnOutcome]] = []
    received_messages = list(webhook.received())
    about = await running.statuses.about(
        [r.message.about_id for r in received_messages if r.message.about_id]
    )
    routed: list[Inbound | TurnOutcome] = [
        await route(
            received,
            desk=running.artist_desk,
            now=now,
            correlation_id=correlation_id,
            about_key=_key_of(about.get(received.message.about_id or "")),
        )
        for received in received_messages
    ]
    routed += [
        route_preference(p, now=now, correlation_id=correlation_id) for p in webhook.preferences()
    ]
    try:
        for each in routed:
            reply: asyncio.Future[TurnOutcome] = loop.create_future()
            if isinstance(each, TurnOutcome):  # the artist was asked which lead: committed
                reply.set_result(each)
            else:
                running.runtime.tell(each, reply)
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
    # Not under a timeout here: a unit cancelled mid-statement would lose its connection.
    await running.statuses.record(
        status_reports(webhook.statuses()),
        correlation_id=correlation_id,
        wait_s=running.settings.turn_wait_s,
    )
    counts: dict[str, int] = {}
    for outcome in outcomes:
        counts[outcome.value] = counts.get(outcome.value, 0) + 1
    if webhook.status_count():
        counts["status"] = webhook.status_count()
    return counts


def _key_of(ref: SentMessageRef | None) -> str | None:
    return ref.key if ref is not None else None


def _discard(reply: asyncio.Future[TurnOutcome]) -> None:
    if not reply.cancelled():
        reply.exception()  # retrieved, so asyncio does not warn about it
