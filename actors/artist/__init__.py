"""The artist's actor: the artist's own messages, and the studio's requests to the artist."""

from __future__ import annotations

from actors.artist.behaviour import LINK_TTL_S, LIST_ROWS, ArtistBehaviour
from actors.artist.codec import artist_state_from_json, artist_state_to_json
from actors.artist.links import SignInLinks, token_hash
from actors.artist.model import (
    ARTIST_KEY,
    ArtistDecision,
    ArtistEvent,
    ArtistState,
    ArtistWrote,
    ForwardToLead,
    IssueSignInLink,
    KeptMessage,
    LeadWaiting,
    PaymentUnrouted,
    SignInRequested,
)

__all__ = [
    "ARTIST_KEY",
    "LINK_TTL_S",
    "LIST_ROWS",
    "ArtistBehaviour",
    "ArtistDecision",
    "ArtistEvent",
    "ArtistState",
    "ArtistWrote",
    "ForwardToLead",
    "IssueSignInLink",
    "KeptMessage",
    "LeadWaiting",
    "PaymentUnrouted",
    "SignInLinks",
    "SignInRequested",
    "artist_state_from_json",
    "artist_state_to_json",
    "token_hash",
]
