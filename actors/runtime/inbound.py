"""
One message for one lead's actor, and the one constructor per source that makes it.

    Inbound.from_whatsapp       a lead's message, or the artist's tap on a lead's button
                                or words to a lead (routed by `actors.artist.desk`)
    Inbound.from_stripe         a verified Stripe event routed to its lead
    Inbound.from_admin          the artist's action through the admin API
    Inbound.from_admin_reply    the artist's words to a lead through the admin API
    Inbound.from_timer          a due timer firing
    Inbound.from_deposit_link   the Checkout Session the deposit channel made
    Inbound.from_delivery_failure  Meta reported one of the lead's messages failed
    ArtistInbound.of            a message from the artist's own number, a sign-in link
                                asked for, or a payment event no lead claims: a turn
                                of the artist's actor (`ARTIST_KEY`)
    ArtistInbound.forwarded     what the artist's actor forwarded to a lead

Each takes the lead and the inbox id from the event it carries, so the three never
disagree; the inbox ids come from `actors.runtime.message_ids`. WhatsApp and Stripe events are
parsed from their payloads at the edge; the others are built here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from uuid import UUID

from actors.artist import ARTIST_KEY, ArtistEvent, ForwardToLead
from actors.lead import (
    ArtistActed,
    ArtistAction,
    ArtistEchoed,
    ArtistReplied,
    ConsentDeleted,
    ContactSynced,
    DeliveryFailed,
    DepositLinkCreated,
    Event,
    MediaKind,
    Message,
    MessageReceived,
    PaymentEventReceived,
    PreferenceChanged,
    SlotFreed,
    TimerFired,
    TimerKind,
)
from actors.runtime.message_ids import (
    admin_action_message_id,
    delivery_failed_message_id,
    deposit_link_message_id,
    timer_message_id,
)

__all__ = ["ArtistInbound", "Inbound"]


@dataclass(frozen=True)
class Inbound:
    """What an actor's mailbox holds: the event, and what the inbox keeps of it."""

    lead_key: str
    message_id: str  # the inbox's key: a second delivery of it is a duplicate
    event: Event
    record: dict[str, Any]  # what the inbox stores for this message
    correlation_id: str

    @classmethod
    def from_whatsapp(
        cls,
        event: MessageReceived
        | ArtistActed
        | ArtistReplied
        | ArtistEchoed
        | ContactSynced
        | PreferenceChanged,
        record: dict[str, Any],
        correlation_id: str,
    ) -> Inbound:
        """`record` is Meta's message (or user preference, echo, contact) as received."""
        return cls._carrying(event, record, correlation_id)

    @classmethod
    def from_stripe(
        cls, event: PaymentEventReceived, record: dict[str, Any], correlation_id: str
    ) -> Inbound:
        """`record` is Stripe's event as received."""
        return cls._carrying(event, record, correlation_id)

    @classmethod
    def from_admin(
        cls,
        wa_id: str,
        action: ArtistAction,
        *,
        action_id: UUID,
        now: datetime,
        correlation_id: str,
        deposit_amount: int | None = None,
        session_minutes: int | None = None,
        refund_amount: int | None = None,
        refund_number: int | None = None,
        quote: int | None = None,
        sessions: int | None = None,
        starts_at: int | None = None,
    ) -> Inbound:
        """With APPROVE, `deposit_amount` (minor units) and `session_minutes` when other
        than the defaults; with REFUND, `refund_amount` (None: all that is left); with
        SET_TIME, `starts_at` (epoch seconds)."""
        event = ArtistActed(
            admin_action_message_id(action_id),
            wa_id,
            action,
            now,
            via="admin",
            deposit_amount=deposit_amount,
            session_minutes=session_minutes,
            refund_amount=refund_amount,
            refund_number=refund_number,
            quote=quote,
            sessions=sessions,
            starts_at=starts_at,
        )
        record: dict[str, Any] = {
            "via": "admin",
            "action": action.value,
            "wa_id": wa_id,
            "at": now.isoformat(),
        }
        if session_minutes is not None:
            record["session_minutes"] = session_minutes
        if deposit_amount is not None:
            record["deposit_amount"] = deposit_amount
        if refund_amount is not None:
            record["refund_amount"] = refund_amount
        if refund_number is not None:
            record["refund_number"] = refund_number
        if quote is not None:
            record["quote"] = quote
        if sessions is not None:
            record["sessions"] = sessions
        if starts_at is not None:
            record["starts_at"] = starts_at
        return cls._carrying(event, record, correlation_id)

    @classmethod
    def from_admin_reply(
        cls,
        wa_id: str,
        text: str,
        *,
        action_id: UUID,
        now: datetime,
        correlation_id: str,
        media_id: str | None = None,
        media_kind: MediaKind = MediaKind.IMAGE,
        filename: str | None = None,
        design: bool = False,
    ) -> Inbound:
        """The inbox keeps the words (and a file sent from the page: its kept row's id)
        with the artist as their author; `design`: a picture sent for approval."""
        event = ArtistReplied(
            admin_action_message_id(action_id),
            wa_id,
            now,
            text=text,
            media_id=media_id,
            media_kind=media_kind,
            filename=filename,
            via="admin",
            design=design,
        )
        record: dict[str, Any] = {
            "via": "admin",
            "action": "design" if design else "reply",
            "wa_id": wa_id,
            "at": now.isoformat(),
            "author": "artist",
            "relayed": {"text": text, "media_id": media_id},
        }
        return cls._carrying(event, record, correlation_id)

    @classmethod
    def from_timer(
        cls, *, timer_id: int, lead_key: str, kind: TimerKind, due_at: int, now: datetime
    ) -> Inbound:
        """`due_at` in seconds since the epoch; the firing is its own correlation id."""
        message_id = timer_message_id(timer_id, due_at)
        event = TimerFired(message_id, lead_key, timer_id, kind, due_at, now)
        return cls._carrying(event, {"timer_id": timer_id, "kind": kind.value}, message_id)

    @classmethod
    def from_slot_freed(
        cls,
        *,
        wa_id: str,
        starts_at: int,
        ends_at: int,
        outbox_id: int,
        now: datetime,
        taken: bool = False,
    ) -> Inbound:
        """A freed time offered to one waitlisted lead: one turn per lead and freeing (the
        outbox row's id), however often the row is retried."""
        message_id = f"waitlist:{outbox_id}:{wa_id}"
        event = SlotFreed(message_id, wa_id, starts_at, ends_at, now, taken=taken)
        record = {"starts_at": starts_at, "ends_at": ends_at, "taken": taken}
        return cls._carrying(event, record, message_id)

    @classmethod
    def from_consent_deleted(
        cls, *, wa_id: str, record_id: int, appointment_start: int, now: datetime
    ) -> Inbound:
        """A consent record deleted after its retention: one turn per record, however
        often the job asks."""
        message_id = f"consent-deleted:{record_id}"
        event = ConsentDeleted(message_id, wa_id, appointment_start, now)
        return cls._carrying(event, {"appointment_start": appointment_start}, message_id)

    @classmethod
    def from_deposit_link(
        cls,
        *,
        wa_id: str,
        attempt: int,
        session_id: str,
        url: str,
        expires_at: int,
        now: datetime,
        correlation_id: str | None,
    ) -> Inbound:
        """`correlation_id` is the outbox row's; without one, the link's own id."""
        message_id = deposit_link_message_id(session_id)
        event = DepositLinkCreated(message_id, wa_id, attempt, session_id, url, expires_at, now)
        record = {"session_id": session_id, "attempt": attempt}
        return cls._carrying(event, record, correlation_id or message_id)

    @classmethod
    def from_delivery_failure(
        cls,
        *,
        wa_id: str,
        outbox_id: int,
        error_code: str | None,
        effect: Message | None,
        now: datetime,
        correlation_id: str,
    ) -> Inbound:
        """Once per outbox row, however many reports say it failed."""
        message_id = delivery_failed_message_id(outbox_id)
        event = DeliveryFailed(message_id, wa_id, outbox_id, error_code, effect, now)
        record = {"outbox_id": outbox_id, "error_code": error_code}
        return cls._carrying(event, record, correlation_id)

    @classmethod
    def _carrying(cls, event: Event, record: dict[str, Any], correlation_id: str) -> Inbound:
        return cls(event.wa_id, event.message_id, event, record, correlation_id)


@dataclass(frozen=True)
class ArtistInbound:
    """What the artist's actor's mailbox holds: the event, and what the inbox keeps."""

    message_id: str
    event: ArtistEvent
    record: dict[str, Any]
    correlation_id: str
    lead_key: str = ARTIST_KEY  # the actor's key (the mailbox's, the lock's, the lane's)

    @classmethod
    def of(cls, event: ArtistEvent, record: dict[str, Any], correlation_id: str) -> ArtistInbound:
        return cls(event.message_id, event, record, correlation_id)

    def forwarded(self, forward: ForwardToLead) -> Inbound:
        """The lead's turn for what the artist's actor forwarded: the inbox keeps the
        artist's message, with the artist as its author and the words relayed."""
        record = dict(self.record)
        if forward.said is not None:
            record = {**record, "author": "artist", "relayed": dict(forward.said)}
        return Inbound._carrying(forward.event, record, self.correlation_id)
