"""Builders of Meta's WhatsApp webhook payloads, signed the way Meta signs them."""

from __future__ import annotations

import hashlib
import hmac
import json
from typing import Any

__all__ = [
    "batch",
    "button_message",
    "encode",
    "sign",
    "status_update",
    "text_message",
    "webhook",
]


def sign(secret: str, body: bytes) -> str:
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def text_message(wa_id: str, message_id: str, body: str, timestamp: int) -> dict[str, Any]:
    return {
        "from": wa_id,
        "id": message_id,
        "timestamp": str(timestamp),
        "type": "text",
        "text": {"body": body},
    }


def button_message(
    wa_id: str, message_id: str, reply_id: str, title: str, timestamp: int
) -> dict[str, Any]:
    return {
        "from": wa_id,
        "id": message_id,
        "timestamp": str(timestamp),
        "type": "interactive",
        "interactive": {"type": "button_reply", "button_reply": {"id": reply_id, "title": title}},
    }


def list_reply_message(
    wa_id: str, message_id: str, row_id: str, title: str, timestamp: int
) -> dict[str, Any]:
    return {
        "from": wa_id,
        "id": message_id,
        "timestamp": str(timestamp),
        "type": "interactive",
        "interactive": {"type": "list_reply", "list_reply": {"id": row_id, "title": title}},
    }


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
    return {
        "id": wamid,
        "status": status,
        "timestamp": "1700000000",
        "recipient_id": recipient,
    }


def encode(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload, separators=(",", ":")).encode()
