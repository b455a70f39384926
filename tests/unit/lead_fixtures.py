"""A small script and event builders for the pure behaviour's tests (no copy file)."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

from actors.lead import (
    MEDIA_ANSWER,
    Answer,
    ArtistActed,
    ArtistAction,
    ArtistEchoed,
    ArtistReplied,
    ContactSynced,
    DeliveryFailed,
    Kind,
    LeadBehaviour,
    MediaKind,
    MessageReceived,
    Option,
    Policy,
    PreferenceChanged,
    Question,
    Script,
    Validation,
    Words,
)
from tests.unit.rendering import stored_message

__all__ = [
    "ARTIST",
    "LEAD",
    "act",
    "artist_says",
    "behaviour",
    "contact",
    "echo",
    "failed",
    "media",
    "media_item",
    "msg",
    "preference",
    "reaction",
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
            waitlist=frozenset({"waitlist"}),
            waitlist_to=frozenset({"to"}),
        ),
    )


def behaviour(
    *,
    pilot: frozenset[str] | None = None,
    artist: str | None = ARTIST,
    templated: frozenset[str] = frozenset(),
    read_receipts: bool = False,
) -> LeadBehaviour:
    policy = Policy(
        artist_number=artist,
        pilot_allowlist=pilot,
        templated=templated,
        read_receipts=read_receipts,
    )
    return LeadBehaviour(script(), policy)


def _received(kind: str, *, ts: int | None = None, **fields: object) -> MessageReceived:
    """A message from the lead (unless `wa_id` says otherwise), newer than the last."""
    n = next(_ids)
    defaults: dict[str, object] = {
        "wa_id": LEAD,
        "sent_at": ts if ts is not None else 1_700_000_000 + n,
    }
    return MessageReceived(
        message_id=f"wa:m{n}",
        received_at=NOW,
        kind=kind,
        **{**defaults, **fields},  # type: ignore[arg-type]
    )


def msg(
    text: str, *, ts: int | None = None, sender: str = LEAD, name: str | None = None
) -> MessageReceived:
    return _received("text", ts=ts, wa_id=sender, text=text, profile_name=name)


def reply(reply_id: str, *, sender: str = LEAD) -> MessageReceived:
    return _received("interactive", wa_id=sender, reply_id=reply_id)


def media(kind: str = "image", media_id: str = "MEDIA1") -> MessageReceived:
    return _received(kind, media_id=media_id if kind in ("image", "document") else None)


def media_item(
    kind: str, media_id: str, *, caption: str | None = None, filename: str | None = None
) -> MessageReceived:
    """A media item of any of Meta's kinds, as the webhook gives it (a sticker's id too)."""
    return _received(kind, media_id=media_id, text=caption, filename=filename)


def reaction(emoji: str, about_key: str | None) -> MessageReceived:
    """A reaction to one of our messages (`about_key`: its copy key)."""
    return _received("reaction", text=emoji, context_id="wamid.ours", about_key=about_key)


def failed(key: str, code: str, *, to: str = LEAD) -> DeliveryFailed:
    """Meta reported our message `key` to `to` failed with `code` (the message as its
    outbox row, written before the kinds were typed, reads back)."""
    n = next(_ids)
    return DeliveryFailed(f"failed:{n}", LEAD, n, code, stored_message({"to": to, "key": key}), NOW)


def preference(value: str) -> PreferenceChanged:
    return PreferenceChanged(f"pref:{next(_ids)}", LEAD, "marketing_messages", value, NOW)


def act(action: ArtistAction, *, via: str = "whatsapp") -> ArtistActed:
    return ArtistActed(
        message_id=f"wa:a{next(_ids)}", wa_id=LEAD, action=action, received_at=NOW, via=via
    )


def artist_says(
    text: str | None,
    *,
    media_id: str | None = None,
    kind: MediaKind = MediaKind.IMAGE,
    via: str = "whatsapp",
    at: datetime = NOW,
) -> ArtistReplied:
    """The artist writing to LEAD (a swipe-reply, a pick from the list, or the admin API)."""
    n = next(_ids)
    return ArtistReplied(
        f"wa:r{n}", LEAD, at, text=text, media_id=media_id, media_kind=kind, via=via
    )


def echo(text: str | None = "See you Friday", *, kind: str = "text") -> ArtistEchoed:
    """The artist writing to LEAD from the WhatsApp Business app (an echo)."""
    n = next(_ids)
    return ArtistEchoed(f"echo:e{n}", LEAD, int(NOW.timestamp()), NOW, kind, text=text)


def contact(action: str = "add", name: str | None = "Ana Lopez") -> ContactSynced:
    """The Business app's address book naming LEAD's number."""
    n = next(_ids)
    return ContactSynced(f"contact:c{n}", LEAD, action, name, NOW)


# Every question of the shipped copy answered, as a lead at the summary has them.
ALL_ANSWERED = (
    Answer("idea", "a rose", "wa:1", 1),
    Answer("placement", "arm", "wa:2", 2),
    Answer("size", "12 cm", "wa:3", 3),
    Answer("colour", "black_grey", "wa:4", 4),
    Answer("timing", "next month", "wa:5", 5),
    Answer("reference", MEDIA_ANSWER, "wa:6", 6, media_id="MEDIA9"),
)
