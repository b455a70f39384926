"""Builders of Meta's WhatsApp webhook payloads, signed the way Meta signs them."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

__all__ = [
    "batch",
    "button_message",
    "contact_sync",
    "encode",
    "media_message",
    "message",
    "message_echo",
    "preference_update",
    "reaction_message",
    "state_sync",
    "status_entry",
    "status_update",
    "sticker_message",
    "text_message",
    "webhook",
    "webhook_field",
    "with_context",
]


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def message(wa_id: str, message_id: str, timestamp: int, kind: str, body: Any) -> dict[str, Any]:
    """One of `messages[]`: its sender, id, time and type, and the object of that type."""
    return {
        "from": wa_id,
        "id": message_id,
        "timestamp": str(timestamp),
        "type": kind,
        kind: body,
    }


def text_message(wa_id: str, message_id: str, body: str, timestamp: int) -> dict[str, Any]:
    return message(wa_id, message_id, timestamp, "text", {"body": body})


def button_message(
    wa_id: str, message_id: str, reply_id: str, title: str, timestamp: int
) -> dict[str, Any]:
    picked = {"type": "button_reply", "button_reply": {"id": reply_id, "title": title}}
    return message(wa_id, message_id, timestamp, "interactive", picked)


def list_reply_message(
    wa_id: str, message_id: str, row_id: str, title: str, timestamp: int
) -> dict[str, Any]:
    picked = {"type": "list_reply", "list_reply": {"id": row_id, "title": title}}
    return message(wa_id, message_id, timestamp, "interactive", picked)


def webhook(
    messages: list[dict[str, Any]],
    *,
    names: dict[str, str] | None = None,
    statuses: list[dict[str, Any]] | None = None,
) -> dict[str, Any]:
    """One entry, one change, carrying `messages` (and contacts for their senders)."""
    senders = sorted({m["from"] for m in messages if "from" in m})
    value: dict[str, Any] = {
        "messaging_product": "whatsapp",
        "metadata": {"display_phone_number": "15550001111", "phone_number_id": "100200300"},
        "contacts": [
            {"profile": {"name": (names or {}).get(s, "Test Lead")}, "wa_id": s} for s in senders
        ],
        "messages": messages,
    }
    if statuses is not None:
        value["statuses"] = statuses
        if not messages:
            del value["messages"], value["contacts"]
    return {
        "object": "whatsapp_business_account",
        "entry": [{"id": "880000000", "changes": [{"field": "messages", "value": value}]}],
    }


def batch(groups: list[list[dict[str, Any]]]) -> dict[str, Any]:
    """Several entries, each with its own change: how Meta batches across numbers."""
    entries = [webhook(group)["entry"][0] for group in groups]
    return {"object": "whatsapp_business_account", "entry": entries}


def status_update(recipient: str, wamid: str, status: str = "delivered") -> dict[str, Any]:
    return status_entry(recipient, wamid, status, timestamp=1700000000)


def status_entry(
    recipient: str,
    wamid: str,
    status: str,
    *,
    timestamp: int,
    error_code: int | None = None,
    callback: str | None = None,
    pricing: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """One of `statuses[]` as Meta writes it: sent / delivered / read, or failed with
    `errors[]`; `callback` is the `biz_opaque_callback_data` the send carried; `pricing`
    in place of the default one (a service message, free in the customer service window)."""
    entry: dict[str, Any] = {
        "id": wamid,
        "status": status,
        "timestamp": str(timestamp),
        "recipient_id": recipient,
    }
    if status != "failed":
        entry["conversation"] = {"id": f"conv-{recipient}", "origin": {"type": "service"}}
        entry["pricing"] = pricing or {
            "billable": False,
            "pricing_model": "PMP",
            "category": "service",
            "type": "free_customer_service",
        }
    else:
        entry["errors"] = [
            {
                "code": error_code,
                "title": _ERROR_TITLES.get(error_code or 0, "Message failed to send"),
                "message": _ERROR_TITLES.get(error_code or 0, "Message failed to send"),
                "error_data": {"details": "scripted by the fake"},
            }
        ]
    if callback is not None:
        entry["biz_opaque_callback_data"] = callback
    return entry


_ERROR_TITLES = {
    131047: "Re-engagement message",
    131026: "Message undeliverable",
    131056: "(Business Account, Consumer Account) pair rate limit hit",
}


def reaction_message(
    wa_id: str, message_id: str, reacted_to: str, emoji: str, timestamp: int
) -> dict[str, Any]:
    reaction = {"message_id": reacted_to, "emoji": emoji}
    return message(wa_id, message_id, timestamp, "reaction", reaction)


def sticker_message(wa_id: str, message_id: str, timestamp: int) -> dict[str, Any]:
    sticker = {
        "mime_type": "image/webp",
        "sha256": "c3RpY2tlcg==",
        "id": f"sticker-{message_id}",
        "animated": False,
    }
    return message(wa_id, message_id, timestamp, "sticker", sticker)


def media_message(
    wa_id: str,
    message_id: str,
    media_id: str,
    timestamp: int,
    *,
    kind: str = "image",
    mime_type: str = "image/jpeg",
    caption: str | None = None,
    sha256: str | None = None,
    filename: str | None = None,
) -> dict[str, Any]:
    """An image, video, audio or document message (`caption`, `sha256`, a document's
    `filename` when given)."""
    item = {
        "id": media_id,
        "mime_type": mime_type,
        "caption": caption,
        "sha256": sha256,
        "filename": filename,
    }
    return message(
        wa_id, message_id, timestamp, kind, {k: v for k, v in item.items() if v is not None}
    )


def preference_update(wa_id: str, value: str, timestamp: int) -> dict[str, Any]:
    """Meta's user_preferences webhook: marketing messages stopped or resumed."""
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "880000000",
                "changes": [
                    {
                        "field": "user_preferences",
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": "15550001111",
                                "phone_number_id": "100200300",
                            },
                            "contacts": [{"profile": {"name": "Test Lead"}, "wa_id": wa_id}],
                            "user_preferences": [
                                {
                                    "wa_id": wa_id,
                                    "detail": f"User requested to {value} marketing messages",
                                    "category": "marketing_messages",
                                    "value": value,
                                    "timestamp": timestamp,
                                }
                            ],
                        },
                    }
                ],
            }
        ],
    }


def with_context(message: dict[str, Any], replied_to: str, business: str) -> dict[str, Any]:
    """`message` as a swipe-to-reply on our message `replied_to` (sent from `business`)."""
    return {**message, "context": {"from": business, "id": replied_to}}


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()


BUSINESS_NUMBER = "15550001111"  # the display number of the fake business


def webhook_field(field: str, name: str, items: list[Any]) -> dict[str, Any]:
    """One change of webhook field `field` whose value carries `items` under `name`."""
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "880000000",
                "changes": [
                    {
                        "field": field,
                        "value": {
                            "messaging_product": "whatsapp",
                            "metadata": {
                                "display_phone_number": BUSINESS_NUMBER,
                                "phone_number_id": "100200300",
                            },
                            name: items,
                        },
                    }
                ],
            }
        ],
    }


def message_echo(
    to: str | None,
    message_id: str,
    timestamp: int,
    kind: str = "text",
    body: Any = None,
    *,
    to_user_id: str | None = None,
) -> dict[str, Any]:
    """One of `message_echoes[]` (field `smb_message_echoes`): what the artist sent from
    the WhatsApp Business app on the business number, shaped as a message."""
    echo: dict[str, Any] = {
        "from": BUSINESS_NUMBER,
        "id": message_id,
        "timestamp": str(timestamp),
        "type": kind,
        kind: body if body is not None else {"body": "Hi, it's Mika from the studio"},
    }
    if to is not None:
        echo["to"] = to
    if to_user_id is not None:
        echo["to_user_id"] = to_user_id
    return echo


def contact_sync(
    phone: str,
    action: str,
    timestamp: int,
    *,
    full_name: str | None = None,
    first_name: str | None = None,
) -> dict[str, Any]:
    """One of `state_sync[]` (field `smb_app_state_sync`): a contact of the Business app."""
    contact: dict[str, Any] = {"phone_number": phone}
    if full_name is not None:
        contact["full_name"] = full_name
    if first_name is not None:
        contact["first_name"] = first_name
    return {
        "type": "contact",
        "contact": contact,
        "action": action,
        "metadata": {"timestamp": str(timestamp)},
    }


def state_sync(items: list[dict[str, Any]]) -> dict[str, Any]:
    return webhook_field("smb_app_state_sync", "state_sync", items)
