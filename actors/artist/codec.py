"""
The artist's snapshot, both ways. Nothing else reads it by key, but for migration 0017,
which made the first snapshot from the messages kept before the artist was an actor.
"""

from __future__ import annotations

from typing import Any

from actors.artist.model import ArtistState, KeptMessage

__all__ = ["artist_state_from_json", "artist_state_to_json"]


def artist_state_to_json(state: ArtistState) -> dict[str, Any]:
    return {
        "pending": [
            {
                "message_id": kept.message_id,
                "text": kept.text,
                "media_id": kept.media_id,
                "kind": kept.kind,
                "filename": kept.filename,
            }
            for kept in state.pending
        ]
    }


def artist_state_from_json(data: dict[str, Any] | None) -> ArtistState:
    if not data:
        return ArtistState()
    return ArtistState(
        pending=tuple(
            KeptMessage(
                str(kept["message_id"]),
                kept.get("text"),
                kept.get("media_id"),
                kept.get("kind"),
                kept.get("filename"),
            )
            for kept in data.get("pending", [])
        )
    )
