"""A small script and event builders for the pure behaviour's tests (no copy file)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from actors.lead import (
    MEDIA_ANSWER,
    Answer,
    ArtistActed,
    ArtistAction,
    ArtistReplied,
    Kind,
    LeadBehaviour,
    MessageReceived,
    Option,
    Policy,
    Question,
    Script,
    Validation,
    Words,
)

__all__ = [
    "ARTIST",
    "LEAD",
    "act",
    "artist_says",
    "behaviour",
    "media",
    "msg",
    "reply",
    "script",
]

LEAD = "447700900123"
ARTIST = "447700900999"
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
_ids = itertools.count(1)


def script() -> Script:
    return Script(
        questions=(
            Question("idea", Kind.TEXT, validation=Validation(min_length=3)),
            Question(
                "placement",
                Kind.LIST,
                options=(
                    Option("arm", "Arm"),
                    Option("leg", "Leg"),
                    Option("other", "Other", follow_up=True),
                ),
            ),
            Question("size", Kind.TEXT, validation=Validation(size_cm=(1, 100))),
            Question(
                "colour",
                Kind.BUTTONS,
                options=(Option("colour", "Colour"), Option("black_grey", "Black & grey")),
            ),
            Question("timing", Kind.TEXT, validation=Validation(date=True)),
            Question("reference", Kind.MEDIA),
        ),
        words=Words(
            opt_out=frozenset({"stop", "unsubscribe"}),
            opt_in=frozenset({"start"}),
            human=("human", "talk to the artist"),
            skip=frozenset({"skip", "no"}),
            date_hints=frozenset({"next", "month", "mar", "flexible"}),
            confirm=frozenset({"yes"}),
            edit=frozenset({"edit"}),
            done=frozenset({"done"}),
            size_units={"cm": 1.0, "mm": 0.1, "in": 2.54, "inch": 2.54, "inches": 2.54, '"': 2.54},
        ),
    )


def behaviour(
    *,
    pilot: frozenset[str] | None = None,
    artist: str | None = ARTIST,
    templated: frozenset[str] = frozenset(),
) -> LeadBehaviour:
    policy = Policy(artist_number=artist, pilot_allowlist=pilot, templated=templated)
    return LeadBehaviour(script(), policy)


def msg(
    text: str, *, ts: int | None = None, sender: str = LEAD, name: str | None = None
) -> MessageReceived:
    n = next(_ids)
    return MessageReceived(
        message_id=f"wa:m{n}",
        wa_id=sender,
        sent_at=ts if ts is not None else 1_700_000_000 + n,
        received_at=NOW,
        kind="text",
        text=text,
        profile_name=name,
    )


def reply(reply_id: str, *, sender: str = LEAD) -> MessageReceived:
    n = next(_ids)
    return MessageReceived(
        message_id=f"wa:m{n}",
        wa_id=sender,
        sent_at=1_700_000_000 + n,
        received_at=NOW,
        kind="interactive",
        reply_id=reply_id,
    )


def media(kind: str = "image", media_id: str = "MEDIA1") -> MessageReceived:
    n = next(_ids)
    return MessageReceived(
        message_id=f"wa:m{n}",
        wa_id=LEAD,
        sent_at=1_700_000_000 + n,
        received_at=NOW,
        kind=kind,
        media_id=media_id if kind in ("image", "document") else None,
    )


def act(action: ArtistAction, *, via: str = "whatsapp") -> ArtistActed:
    return ArtistActed(
        message_id=f"wa:a{next(_ids)}", wa_id=LEAD, action=action, received_at=NOW, via=via
    )


def artist_says(
    text: str | None,
    *,
    media_id: str | None = None,
    via: str = "whatsapp",
    at: datetime = NOW,
) -> ArtistReplied:
    """The artist writing to LEAD (a swipe-reply, a pick from the list, or the admin API)."""
    return ArtistReplied(f"wa:r{next(_ids)}", LEAD, at, text=text, media_id=media_id, via=via)


# Every question of the shipped copy answered, as a lead at the summary has them.
ALL_ANSWERED = (
    Answer("idea", "a rose", "wa:1", 1),
    Answer("placement", "arm", "wa:2", 2),
    Answer("size", "12 cm", "wa:3", 3),
    Answer("colour", "black_grey", "wa:4", 4),
    Answer("timing", "next month", "wa:5", 5),
    Answer("reference", MEDIA_ANSWER, "wa:6", 6, media_id="MEDIA9"),
)
