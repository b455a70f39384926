"""A message as the relay gets it: the outbox's JSON, decoded by the lead's codec."""

from __future__ import annotations

from typing import Any

from actors.lead import Message, effect_from_json

__all__ = ["stored_message"]


def stored_message(stored: dict[str, Any]) -> Message:
    effect = effect_from_json("whatsapp", stored)
    assert isinstance(effect, Message)
    return effect
