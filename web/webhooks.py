"""
WhatsApp's webhook: the subscription handshake (a Quart route) and each delivery.

A delivery (`take_whatsapp_batch`, served by `web.whatsapp_endpoint`): verify the raw
bytes, parse (NUL and lone surrogates replaced first: `web.clean_json`), hand to the
actors as one command (`TakeWhatsApp`), count what it held. Only the envelope decides
400; each item is validated on its own, and one that cannot be taken (or whose turn
failed on a bug) is refused: kept as it came (`RecordRefusedItems`) while the rest is
answered. The POST answers 200 only when every message it takes has been committed
(processed, or deliberately skipped as a duplicate or out of order), and with them its
statuses (kept and applied, and a failure told to its lead), user preferences and
refused items. Failures map to 401 / 400 / 503 in `web.errors`.
"""

from __future__ import annotations

import hmac
import json
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import structlog
from pydantic import ValidationError
from quart import Blueprint, ResponseReturnValue, request

from actors.commands import (
    FailedItem,
    IncomingContact,
    IncomingEcho,
    IncomingMessage,
    IncomingPreference,
    RecordRefusedItems,
    RecordUnroutedChange,
    RefusedItem,
    TakeWhatsApp,
)
from actors.lead import ContactSynced
from actors.providers.whatsapp import Pricing, StatusReport
from web.clean_json import NotJson, clean_text, load_clean_json
from web.errors import MalformedBody
from web.json_items import item_text
from web.services import Directory, Services, services
from web.signatures import verify_meta_signature
from web.whatsapp_models import (
    Batch,
    InvalidItem,
    ItemPath,
    MetaStatus,
    MetaWebhook,
    ReceivedContact,
    ReceivedEcho,
)

__all__ = ["WHATSAPP_PATH", "DeliveryTaken", "blueprint", "take_whatsapp_batch"]

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


@dataclass(frozen=True)
class DeliveryTaken:
    """What a delivery held, by outcome (`refused` among them), and its refused items
    by list (`messages`, ...), for /metrics."""

    counts: dict[str, int]
    refused: dict[str, int]


async def take_whatsapp_batch(
    directory: Directory, body: bytes, signature: str | None, correlation_id: str
) -> DeliveryTaken:
    """Verify, parse and hand one signed delivery from Meta to the actors of each studio
    it names: what it held, by outcome.

    One Meta app serves every studio's number, so the signature is the deployment's;
    each change goes to the studio whose `phone_number_id` its metadata names, and one
    for a number that is no enabled studio's is acknowledged and recorded, never a lead
    (the default studio without a number takes what no stored studio's number names,
    as a deployment of one studio always has). Served by `web.whatsapp_endpoint`;
    raises what `web.errors` turns into an answer.
    """
    default = directory.default()
    if default is None:
        raise RuntimeError("the service is not running")
    secret = default.settings.whatsapp_app_secret
    verify_meta_signature(secret.get_secret_value().encode() if secret else b"", body, signature)
    try:
        payload = load_clean_json(body)
    except NotJson as error:
        raise MalformedBody(f"not JSON: {error}") from None
    parts = split_by_number(payload)
    counts: Counter[str] = Counter()
    refused: Counter[str] = Counter()
    for number, part in parts:
        running = _studio_of(directory, number)
        if running is None and directory.look_again is not None:
            await directory.look_again()  # a studio added a moment ago is opened now
            running = _studio_of(directory, number)
        if running is None:
            assert number is not None
            disabled = directory.disabled(number)  # recorded under it; else the default's
            kind = "unknown_phone_number_id" if disabled is None else "studio_disabled"
            await (disabled or default).actors.handle(
                RecordUnroutedChange(kind, number, correlation_id)
            )
            counts["no_studio"] += 1
            continue
        # One part is the body itself: its refused items are cut from the text as it came.
        text = body.decode("utf-8", errors="replace") if len(parts) == 1 else None
        taken = await _take_part(running, part, text, correlation_id)
        counts.update(taken.counts)
        refused.update(taken.refused)
    return DeliveryTaken(dict(counts), dict(refused))


def split_by_number(payload: Any) -> list[tuple[str | None, Any]]:
    """Each studio's part of one delivery: its changes, grouped by the number they came
    for, in the order they came. A body of another shape is one part, checked as before
    (and refused whole, 400, when its envelope is wrong)."""
    if not isinstance(payload, dict) or not isinstance(payload.get("entry"), list):
        return [(None, payload)]
    groups: dict[str | None, list[Any]] = {}
    for entry in payload["entry"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("changes"), list):
            return [(None, payload)]
        for change in entry["changes"]:
            value = change.get("value") if isinstance(change, dict) else None
            metadata = value.get("metadata") if isinstance(value, dict) else None
            number = metadata.get("phone_number_id") if isinstance(metadata, dict) else None
            key = number if isinstance(number, str) else None
            groups.setdefault(key, []).append({**entry, "changes": [change]})
    if len(groups) <= 1:
        return [(next(iter(groups), None), payload)]
    return [(number, {**payload, "entry": entries}) for number, entries in groups.items()]


def _studio_of(directory: Directory, number: str | None) -> Services | None:
    default = directory.default()
    if number is None:
        return default
    found = directory.by_number(number)
    if found is not None:
        return found
    if default is not None and default.settings.whatsapp_phone_number_id is None:
        return None if directory.disabled(number) is not None else default
    return None


async def _take_part(
    running: Services, payload: Any, text: str | None, correlation_id: str
) -> DeliveryTaken:
    """One studio's part of a delivery, to its actors."""
    try:
        batch = MetaWebhook.model_validate(payload).batch()
    except ValidationError as error:
        raise MalformedBody(f"{error.error_count()} validation errors") from error
    now = running.actors.now()
    reports, status_paths, unreadable = _status_reports(batch)
    taken = await running.actors.handle(
        TakeWhatsApp(
            messages=tuple(
                IncomingMessage(received.event(now), received.record())
                for received in batch.messages
            ),
            preferences=tuple(
                IncomingPreference(preference.event(now), preference.record())
                for preference in batch.preferences
            ),
            statuses=reports,
            correlation_id=correlation_id,
            echoes=tuple(_echo(received, now) for received in batch.echoes),
            contacts=tuple(_contact(received, now) for received in batch.contacts),
        )
    )
    refused = _refused(batch, unreadable, status_paths, taken.failed, text, payload)
    counts = dict(taken.counts)
    if refused:
        await running.actors.handle(RecordRefusedItems(WHATSAPP_PATH, refused, correlation_id))
        counts["refused"] = len(refused)
        log.warning(
            "webhook.items_refused",
            refused=[f"{item.field}: {item.reason}" for item in refused][:_MAX_LOGGED],
        )
    return DeliveryTaken(counts, dict(Counter(item.field for item in refused)))


_MAX_LOGGED = 5


def _refused(
    batch: Batch,
    unreadable: list[InvalidItem],
    status_paths: list[ItemPath],
    failed: tuple[FailedItem, ...],
    text: str | None,
    payload: Any,
) -> tuple[RefusedItem, ...]:
    """The items that could not be taken and those whose turn failed on a bug, each
    with its JSON text as it came."""
    where: list[tuple[str, ItemPath, str]] = [
        (item.field, item.path, item.reason) for item in (*batch.invalid, *unreadable)
    ]
    for failure in failed:
        match failure.kind:
            case "messages":
                where.append(("messages", batch.messages[failure.index].path, failure.reason))
            case "preferences":
                path = batch.preferences[failure.index].path
                where.append(("user_preferences", path, failure.reason))
            case "statuses":
                where.append(("statuses", status_paths[failure.index], failure.reason))
            case "echoes":
                path = batch.echoes[failure.index].path
                where.append(("message_echoes", path, failure.reason))
            case "contacts":
                where.append(("state_sync", batch.contacts[failure.index].path, failure.reason))
    if not where:
        return ()
    return tuple(
        RefusedItem(field, reason, clean_text(_raw(text, payload, path)))
        for field, path, reason in where
    )


def _raw(text: str | None, payload: Any, path: ItemPath) -> str:
    """The item's JSON text as it came; re-encoded only if it cannot be found in it (or
    the item is of a part of the body, whose paths are not the body's)."""
    found = None if text is None else item_text(text, path)
    if found is not None:
        return found
    value = payload
    for part in path:
        value = value[part]
    return json.dumps(value, ensure_ascii=False)


def status_reports(statuses: list[MetaStatus]) -> list[StatusReport]:
    """Meta's statuses as the actors keep them (unknown states left out)."""
    return [_report(status) for status in statuses if status.status in _STATES]


def _report(status: MetaStatus) -> StatusReport:
    """Raises ValueError (or OverflowError) for a time no calendar holds."""
    pricing = status.pricing
    return StatusReport(
        provider_message_id=status.id,
        state=status.status,
        error_code=status.error_code,
        recipient=status.recipient,
        reported_at=(datetime.fromtimestamp(status.timestamp, UTC) if status.timestamp else None),
        pricing=None
        if pricing is None
        else Pricing(pricing.category, pricing.type, pricing.pricing_model, pricing.billable),
        recipient_phone=status.recipient_id,
        recipient_user_id=status.recipient_user_id,
        recipient_parent_user_id=status.recipient_parent_user_id,
    )


def _status_reports(
    batch: Batch,
) -> tuple[tuple[StatusReport, ...], list[ItemPath], list[InvalidItem]]:
    """Each status that can be taken (unknown states left out), where each sat, and the
    ones that cannot be read as a report (a time out of any calendar): refused alone."""
    reports: list[StatusReport] = []
    paths: list[ItemPath] = []
    unreadable: list[InvalidItem] = []
    for status, path in zip(batch.statuses, batch.status_paths, strict=True):
        if status.status not in _STATES:
            continue
        try:
            reports.append(_report(status))
        except (ValueError, OverflowError, OSError):
            unreadable.append(InvalidItem("statuses", path, "timestamp: out of range"))
            continue
        paths.append(path)
    return tuple(reports), paths, unreadable


def _echo(received: ReceivedEcho, now: datetime) -> IncomingEcho:
    echo = received.echo
    return IncomingEcho(
        wamid=echo.id,
        to=echo.to,
        to_user_id=echo.to_user_id,
        sent_at=echo.timestamp,
        received_at=now,
        kind=echo.kind,
        text=echo.body_text(),
        media_id=echo.media_id(),
        original_id=echo.original_id,
        record=received.record(),
    )


def _contact(received: ReceivedContact, now: datetime) -> IncomingContact:
    action = received.sync.action
    event = ContactSynced(received.message_id, received.phone, action, received.name, now)
    return IncomingContact(event, received.record())


_STATES = frozenset({"sent", "delivered", "read", "failed"})
