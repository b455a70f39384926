"""
Design approval: the artist's design goes to the lead with Approve / Ask for changes,
and the lead's answer comes back to the artist. Pure: a part of the lead's `decide`.

    offered        the artist's picture as a design (the studio page's "Send as design
                   for approval", or a WhatsApp reply whose caption starts with a word
                   of the copy's `words.design`): `OfferDesign` to the lead, inside
                   WhatsApp's 24 hours only (no template stands for it)
    on_message     the lead's tap on the latest design's buttons (an older design's get
                   `design_outdated`), or, after "Ask for changes", their next words:
                   the change request, to the artist (`artist_design_changes`, which the
                   artist can swipe-reply to with the next design)

Each change request is a revision; past STUDIO_FILE's `design_free_revisions` each adds
`design_drawing_fee_minor` to what the lead owes at the studio (`Designs.fees`, part of
the balance). No status changes: a design is talked about whatever the booking's stage.
"""

from __future__ import annotations

import re
from dataclasses import replace

from actors.lead.artist_side import (
    inside_window,
    reply_not_sent,
    reply_recorded,
    tell_artist,
    who,
)
from actors.lead.designs_record import ChangeRequest, Design, DesignStatus
from actors.lead.messages import OfferDesign, SendMedia, SendMessage, media_kind
from actors.lead.model import (
    ArtistReplied,
    Decision,
    Effect,
    LeadState,
    MediaKind,
    MessageReceived,
    RecordEvent,
)
from actors.lead.script import Policy, Words
from actors.lead.status import Status

__all__ = ["DESIGN_APPROVE", "DESIGN_BUTTONS", "DESIGN_CHANGES", "DesignRules", "design_tap"]

DESIGN_APPROVE = "design_approve"
DESIGN_CHANGES = "design_changes"
DESIGN_BUTTONS = frozenset({DESIGN_APPROVE, DESIGN_CHANGES})
_TAP = re.compile(r"^(?P<button>design_approve|design_changes):(?P<number>\d{1,6})$")
_MAX_CHANGE_TEXT = 1000  # kept in the lead's file; the artist gets it whole
_NO_DESIGN_STATUSES = frozenset({Status.OPTOUT})


def design_tap(reply_id: str | None) -> tuple[str, int] | None:
    """The button and the design number a tap names (`design_approve:2`), or None."""
    found = _TAP.match(reply_id or "")
    return None if found is None else (found.group("button"), int(found.group("number")))


class DesignRules:
    """Designs, for one configuration (STUDIO_FILE's free revisions and fee)."""

    def __init__(self, policy: Policy, words: Words) -> None:
        self._policy = policy
        self._words = words
        studio = policy.studio
        self._free = 2 if studio is None else studio.design_free_revisions
        self._fee = 0 if studio is None else studio.design_drawing_fee_minor

    # -- the artist sends a design ---------------------------------------------------

    def offered(self, state: LeadState, replied: ArtistReplied) -> Decision | None:
        """The artist's picture as a design for the lead to approve; None when it is no
        design (the reply goes on as any reply)."""
        if replied.media_id is None or replied.media_kind is not MediaKind.IMAGE:
            return None
        caption = (replied.text or "").strip()
        note = caption if replied.design else self._words.design_note(caption)
        if note is None:
            return None
        if state.status in _NO_DESIGN_STATUSES:
            return reply_not_sent(
                state, replied, self._policy.artist_number, "reason_opted_out", design=True
            )
        if not inside_window(state, replied):
            return reply_not_sent(
                state, replied, self._policy.artist_number, "reason_window", design=True
            )
        number = state.designs.latest + 1
        at = int(replied.received_at.timestamp())
        designs = replace(
            state.designs,
            sent=(*state.designs.sent, Design(number, at, note)),
            awaiting_changes=False,
            free_revisions=self._free,
        )
        offer = OfferDesign(state.wa_id, replied.media_id, number, note)
        sent = RecordEvent("info", "design_sent", {"design": number, "note": note or None})
        return Decision(
            replace(state, designs=designs), (offer, sent, _recorded(replied, "free_text"))
        )

    # -- the lead answers ------------------------------------------------------------

    def on_message(self, state: LeadState, message: MessageReceived) -> Decision | None:
        """A tap on a design's buttons, or the change request after "Ask for changes";
        None when the message is neither."""
        tapped = design_tap(message.reply_id)
        if tapped is not None:
            button, number = tapped
            if number != state.designs.latest:
                return Decision(state, (self._say(state, "design_outdated"),))
            if button == DESIGN_APPROVE:
                return self._approved(state, message)
            return self._changes_asked(state)
        if state.designs.awaiting_changes and not message.reply_id:
            text = (message.text or "").strip()
            if text:
                return self._change_request(state, message, text)
        return None

    def _approved(self, state: LeadState, message: MessageReceived) -> Decision:
        designs = state.designs
        if designs.status is DesignStatus.APPROVED:
            return Decision(state, (self._say(state, "design_approved"),))
        latest = replace(designs.sent[-1], outcome=DesignStatus.APPROVED)
        designs = replace(
            designs,
            sent=(*designs.sent[:-1], latest),
            awaiting_changes=False,
            approved_at=message.sent_at,
        )
        state = replace(state, designs=designs)
        effects: list[Effect] = [self._say(state, "design_approved")]
        effects.extend(self._tell(state, "artist_design_approved"))
        effects.append(RecordEvent("info", "design_approved", {"design": latest.number}))
        return Decision(state, tuple(effects))

    def _changes_asked(self, state: LeadState) -> Decision:
        designs = state.designs
        latest = replace(designs.sent[-1], outcome=DesignStatus.CHANGES_REQUESTED)
        designs = replace(
            designs, sent=(*designs.sent[:-1], latest), awaiting_changes=True, approved_at=None
        )
        state = replace(state, designs=designs)
        fee = self._fee_for(designs.revisions + 1)
        if fee:
            written = self._policy.money(fee).format(self._policy.locale)
            ask = SendMessage(state.wa_id, "design_changes_fee", {"fee": written})
        else:
            ask = self._say(state, "design_changes_ask")
        return Decision(state, (ask,))

    def _change_request(self, state: LeadState, message: MessageReceived, text: str) -> Decision:
        designs = state.designs
        revision = designs.revisions + 1
        fee = self._fee_for(revision)
        change = ChangeRequest(revision, text[:_MAX_CHANGE_TEXT], message.sent_at, fee)
        designs = replace(designs, changes=(*designs.changes, change), awaiting_changes=False)
        state = replace(state, designs=designs)
        effects: list[Effect] = [self._say(state, "design_changes_sent")]
        told = self._tell(state, "artist_design_changes", text=text, revision=str(revision))
        effects.extend(told)
        if told and message.media_id:  # their sketch of the change, as it came
            artist = self._policy.artist_number
            assert artist is not None
            params = {**who(state), "text": text}
            kind = media_kind(message.kind)
            effects.append(
                SendMedia(artist, message.media_id, "artist_forward_media", params, kind=kind)
            )
        detail: dict[str, str | int | bool | None] = {"revision": revision, "text": change.text}
        if fee:
            detail["fee_minor"] = fee
        effects.append(RecordEvent("info", "design_changes", detail))
        return Decision(state, tuple(effects))

    # -- helpers -----------------------------------------------------------------------

    def _fee_for(self, revision: int) -> int:
        """The drawing fee revision `revision` adds (0: a free one, or no fee)."""
        return self._fee if revision > self._free else 0

    def _say(self, state: LeadState, key: str) -> SendMessage:
        return SendMessage(state.wa_id, key)

    def _tell(self, state: LeadState, key: str, **params: str) -> tuple[Effect, ...]:
        return tell_artist(self._policy.artist_number, state, key, **params)


def _recorded(replied: ArtistReplied, delivery: str, reason: str | None = None) -> RecordEvent:
    return reply_recorded(replied, delivery, reason, design=True)
