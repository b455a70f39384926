"""
WhatsApp as people use it, as rules of the lead's behaviour. Pure.

    reactions and stickers   a 👍 on the summary confirms it; any other reaction, and any
                             sticker, is recorded with no reply (never "I can't read that")
    read and typing          a lead's message that gets a reply is first marked read, with
                             the typing indicator, when the policy says so: the first reply
                             carries it (`mark_read`), and the sender marks the message read
                             just before that reply goes
    media kept               an image, video, audio or document from a lead is fetched
                             from Meta and kept with its caption (`FetchMedia`)
    failed deliveries        Meta's 131047 (outside the 24-hour window) resends the
                             message as its template; another failure of a message that
                             matters tells the artist (once: the failure is one event)
    marketing preferences    Meta's user_preferences are recorded on the lead
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace

from actors.lead.model import (
    Decision,
    DeliveryFailed,
    Event,
    FetchMedia,
    LeadState,
    MessageReceived,
    Outcome,
    PreferenceChanged,
    RecordEvent,
    SendMedia,
    SendMessage,
    WhatsAppMessage,
)
from actors.lead.script import Policy

__all__ = [
    "KEPT_MEDIA_KINDS",
    "MATTERS",
    "OUTSIDE_WINDOW",
    "SILENT_KINDS",
    "confirms_summary",
    "on_delivery_failed",
    "on_preference",
    "with_receipts_and_media",
]

SILENT_KINDS = frozenset({"reaction", "sticker"})
KEPT_MEDIA_KINDS = frozenset({"image", "video", "audio", "document"})
OUTSIDE_WINDOW = "131047"
_THUMBS_UP = "\U0001f44d"  # 👍, with or without a skin tone after it
_SUMMARY_KEYS = frozenset({"summary", "summary_reask"})
# The messages whose loss the artist must hear of: the deposit link and the booking
# confirmation, and the artist's own words relayed to the lead.
MATTERS = frozenset(
    {"deposit_link", "deposit_link_again", "booked", "artist_reply", "artist_reply_media"}
    | {"deposit_link_session"}
)


def confirms_summary(message: MessageReceived) -> bool:
    """A 👍 reaction to our summary: as good as tapping Yes."""
    return (
        message.kind == "reaction"
        and (message.text or "").startswith(_THUMBS_UP)
        and message.about_key in _SUMMARY_KEYS
    )


def with_receipts_and_media(policy: Policy, event: Event, decision: Decision) -> Decision:
    """`decision` with the read receipt on the first reply and the media fetch added."""
    if not isinstance(event, MessageReceived) or decision.outcome is Outcome.OUT_OF_ORDER:
        return decision
    lead = event.wa_id
    if lead == policy.artist_number:
        return decision
    effects = list(decision.effects)
    if policy.read_receipts:
        for i, effect in enumerate(effects):
            if isinstance(effect, WhatsAppMessage) and effect.to == lead:
                effects[i] = replace(effect, mark_read=event.message_id.removeprefix("wa:"))
                break
    if event.kind in KEPT_MEDIA_KINDS and event.media_id:
        # The caption is the text the lead wrote on it.
        kept = (event.media_id, event.message_id, event.mime_type, event.text, event.sha256)
        effects.append(FetchMedia(lead, *kept))
    if effects == list(decision.effects):
        return decision  # nothing to add: no new Decision on the hot path
    return replace(decision, effects=tuple(effects))


def on_delivery_failed(
    policy: Policy, state: LeadState, failed: DeliveryFailed, who: Mapping[str, str]
) -> Decision:
    """What a failed delivery needs: the template instead, or the artist told."""
    effect = failed.effect
    key = None if effect is None or isinstance(effect, SendMedia) else effect.key
    record = RecordEvent(
        "warn",
        "delivery_failed",
        {"outbox_id": failed.outbox_id, "error_code": failed.error_code, "key": key},
    )
    to_lead = effect is not None and effect.to == state.wa_id
    if (
        failed.error_code == OUTSIDE_WINDOW
        and effect is not None
        and not isinstance(effect, SendMedia)
        and to_lead
        and not effect.as_template
    ):
        # Read once already: the resend does not mark the message read again.
        return Decision(state, (replace(effect, as_template=True, mark_read=None), record))
    artist = policy.artist_number
    if key in MATTERS and to_lead and artist is not None:
        notice = SendMessage(
            to=artist,
            key="artist_delivery_failed",
            params={**who, "error": failed.error_code or "-"},
        )
        return Decision(state, (notice, record))
    return Decision(state, (record,))


def on_preference(state: LeadState, changed: PreferenceChanged) -> Decision:
    """Kept on the lead; no message goes because of it."""
    if changed.category != "marketing_messages":
        return Decision(state, outcome=Outcome.NOT_APPLICABLE)
    detail = {"category": changed.category, "value": changed.value}
    return Decision(
        replace(state, marketing=changed.value), (RecordEvent("info", "marketing", detail),)
    )
