"""
The inbox ids of what reaches a lead's actor, made here and nowhere else. Pure.

The inbox keeps one row per id, so whatever a source can deliver twice must get the
same id twice, and the prefix keeps the sources apart:

    wa:<wamid>               a WhatsApp message (Meta's message id)
    stripe:<event id>        a Stripe webhook event
    admin:<uuid>             an admin action (every request is a new action)
    timer:<id>:<due>         a timer firing (a re-armed timer keeps its row, so its
                             due time names the firing too)
    stripe-session:<id>      the Checkout Session the deposit channel made
    failed:<outbox id>       Meta reported one of our messages failed (once per row)
    pref:<wa_id>:<category>:<value>:<time>   Meta's user_preferences for a lead
    echo:<wamid>             the artist's message from the WhatsApp Business app
    contact:<phone>:<action>:<time>   the Business app's address book named a lead
"""

from __future__ import annotations

from uuid import UUID

__all__ = [
    "admin_action_message_id",
    "contact_message_id",
    "delivery_failed_message_id",
    "deposit_link_message_id",
    "echo_message_id",
    "preference_message_id",
    "stripe_event_message_id",
    "timer_message_id",
    "whatsapp_message_id",
]


def whatsapp_message_id(wamid: str) -> str:
    return f"wa:{wamid}"


def stripe_event_message_id(event_id: str) -> str:
    return f"stripe:{event_id}"


def admin_action_message_id(action_id: UUID) -> str:
    return f"admin:{action_id}"


def timer_message_id(timer_id: int, due_at: int) -> str:
    """`due_at` in seconds since the epoch."""
    return f"timer:{timer_id}:{due_at}"


def deposit_link_message_id(session_id: str) -> str:
    return f"stripe-session:{session_id}"


def delivery_failed_message_id(outbox_id: int) -> str:
    """Once per row: however many reports and redeliveries say it failed."""
    return f"failed:{outbox_id}"


def preference_message_id(wa_id: str, category: str, value: str, timestamp: int) -> str:
    return f"pref:{wa_id}:{category}:{value}:{timestamp}"


def echo_message_id(wamid: str) -> str:
    """An echo has Meta's id of the artist's message: never one of the lead's."""
    return f"echo:{wamid}"


def contact_message_id(phone: str, action: str, timestamp: int) -> str:
    return f"contact:{phone}:{action}:{timestamp}"
