"""
The artist's WhatsApp Business app on the business number (Meta's coexistence), as rules
of the lead's behaviour. Pure.

    echo      the artist wrote to the lead from the app (`smb_message_echoes`): WhatsApp
              sent it already, so it is only recorded as the artist's (`artist_echoed`,
              via business_app), never sent again. A lead the bot is talking to is taken
              over exactly as when the artist relays from their phone: the bot is silent
              until the lead is handed back. A person who is not a lead yet becomes one
              with the artist (the bot never greets someone the artist already wrote to);
              handed back, they get the first question. An echoed edit or deletion is
              recorded (`artist_echo_edited`, `artist_echo_deleted`) and changes nothing.
    contact   the app's address book names the lead's number (`smb_app_state_sync`): the
              name is filled when the lead has none, never overwritten; a removal, or a
              contact with no name, changes nothing
"""

from __future__ import annotations

from dataclasses import replace

from actors.lead.model import (
    ArtistEchoed,
    ContactSynced,
    Decision,
    Effect,
    LeadState,
    Outcome,
    RecordEvent,
)
from actors.lead.status import Status
from actors.lead.transitions import move

__all__ = ["BUSINESS_APP", "TAKEN_OVER_BY_ECHO", "on_contact", "on_echo"]

S = Status
BUSINESS_APP = "business_app"  # the `via` of what the artist wrote in the app
# Where the bot is talking to the lead: an echo takes the conversation over.
TAKEN_OVER_BY_ECHO = frozenset({S.NEW, S.QUALIFYING, S.CONFIRMING, S.STALE, S.SCHEDULING})
_NAMING = frozenset({"add", "edit"})


def on_echo(state: LeadState, echo: ArtistEchoed, first_question: str) -> Decision:
    """The artist's own message, recorded; the bot falls silent if it was talking.

    Args:
        first_question: where a lead taken over before any question resumes.
    """
    if echo.kind == "revoke":
        deleted = {"original_message_id": echo.original_id, "via": BUSINESS_APP}
        return Decision(state, (RecordEvent("info", "artist_echo_deleted", deleted),))
    if echo.kind == "edit":
        edited = {"original_message_id": echo.original_id, "text": echo.text, "via": BUSINESS_APP}
        return Decision(state, (RecordEvent("info", "artist_echo_edited", edited),))
    recorded = RecordEvent(
        "info", "artist_echoed", {"message_id": echo.message_id, "kind": echo.kind}
    )
    effects: tuple[Effect, ...] = (recorded,)
    if state.status in TAKEN_OVER_BY_ECHO:
        resume = S.QUALIFYING if state.status in (S.NEW, S.STALE) else state.status
        question = state.current_question
        if state.status is S.NEW:
            question = first_question  # handed back, they are asked from the start
        state = replace(
            move(state, S.NEEDS_ARTIST_REPLY, echo),
            resume_status=resume,
            current_question=question,
        )
        effects = (recorded, RecordEvent("info", "handover", {"reason": "reason_business_app"}))
    return Decision(state, effects)


def on_contact(state: LeadState, synced: ContactSynced) -> Decision:
    """The contact's name on a lead that has none; anything else changes nothing."""
    if synced.action not in _NAMING or not synced.name or state.name:
        return Decision(state, outcome=Outcome.NOT_APPLICABLE)
    named = RecordEvent("info", "contact_named", {"action": synced.action})
    return Decision(replace(state, name=synced.name), (named,))
