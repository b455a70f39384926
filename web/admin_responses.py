"""
The admin API's answers: JSON out. Pydantic, because this is an edge; the OpenAPI
document (`web.openapi`) is generated from these same classes, and the requests'
shapes are in `web.admin_requests`.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable
from datetime import datetime
from typing import Any, Literal
from uuid import UUID

from pydantic import AliasChoices, BaseModel, ConfigDict, Field

from actors import ActorInfo, TurnOutcome
from actors.commands import ReplyDelivery
from actors.lead import Answer, Status
from actors.queries import ConsentShown, DesignSummary, LeadFile, LeadMoney, MediaContent

__all__ = [
    "ActionResult",
    "ActorOut",
    "ActorPage",
    "AnswerOut",
    "AttemptOut",
    "CalendarAddress",
    "DeadLetterPage",
    "DeliveryOut",
    "DepositSessionOut",
    "ErrorBody",
    "EventOut",
    "IdentityOut",
    "InboxOut",
    "LatestAnswerOut",
    "LeadDetail",
    "LeadOut",
    "LeadPage",
    "MediaContentOut",
    "MediaOut",
    "PricingOut",
    "RedriveResult",
    "RefusedItemOut",
    "RefusedPage",
    "ReplyResult",
    "SnapshotOut",
    "TimerOut",
]


# Built straight from the stored rows (`model_validate(row)`): field names follow the
# columns, except that a lead is named by its wa_id (`lead_key` in the database).


def _wa_id() -> Any:
    return Field(validation_alias=AliasChoices("wa_id", "lead_key"))


class _Out(BaseModel):
    # Every field is always present in a response, so the document says so.
    model_config = ConfigDict(
        frozen=True, from_attributes=True, json_schema_serialization_defaults_required=True
    )


class ErrorBody(_Out):
    error: str
    details: list[str] = []


class StudioStripeOut(_Out):
    key: Literal["set"] | None  # a secret: only whether it is set
    account: str | None  # a Connect account id


class StudioOut(_Out):
    """A studio as `studios list --json` prints it."""

    slug: str
    id: int
    phone_number_id: str | None
    name: str | None
    enabled: bool
    locale: str
    artist: str | None
    stripe: StudioStripeOut
    appointments: bool
    sheet: bool


class StudioList(_Out):
    items: list[StudioOut]


class ActorOut(_Out):
    wa_id: str = _wa_id()
    status: Status | None = Field(description="null until the actor has loaded its lead")
    mailbox_depth: int
    last_activity: datetime
    replica: str = Field(description="hostname:pid of the process running the actor")

    @classmethod
    def of(cls, info: ActorInfo, replica: str) -> ActorOut:
        return cls.model_validate({**vars(info), "replica": replica})


class ActorPage(_Out):
    items: list[ActorOut]
    next_cursor: str | None


class PreviousIdentifierOut(_Out):
    kind: Literal["wa_id", "user_id", "parent_user_id"]
    value: str
    until: datetime = Field(description="when it stopped being current")


class IdentityOut(_Out):
    """Who the lead is, as WhatsApp named them; every identifier here finds the lead."""

    wa_id: str | None = Field(description="the phone; null for a lead known only by BSUID")
    user_id: str | None = Field(description="the business-scoped user id (BSUID)")
    parent_user_id: str | None = Field(description="the parent BSUID (US.ENT.…)")
    username: str | None = Field(description="the WhatsApp username, without '@'")
    previous: list[PreviousIdentifierOut] = Field(
        description="identifiers it had before (a changed number or BSUID): still found by"
    )


class LeadOut(_Out):
    wa_id: str = Field(
        validation_alias=AliasChoices("wa_id", "lead_key"),
        description="the lead's key: its phone, or (first known by BSUID) its lead id",
    )
    lead_id: UUID
    identity: IdentityOut
    status: Status
    version: int
    last_inbound_at: datetime | None
    created_at: datetime
    updated_at: datetime


class LeadPage(_Out):
    items: list[LeadOut]
    next_cursor: str | None


class SnapshotOut(LeadOut):
    state: dict[str, Any] = Field(description="the lead's state as its actor stores it")


class AnswerOut(_Out):
    seq: int
    question: str = Field(validation_alias=AliasChoices("question", "question_key"))
    value: str
    media_id: str | None
    message_id: str
    answered_at: datetime


class LatestAnswerOut(_Out):
    question: str
    value: str
    seq: int
    media_id: str | None
    message_id: str


class InboxOut(_Out):
    message_id: str
    outcome: str
    correlation_id: str | None
    received_at: datetime
    payload: dict[str, Any]
    deleted_by_lead: bool = Field(
        default=False, description="the lead deleted this message on WhatsApp (kept here)"
    )


class EventOut(_Out):
    id: int
    at: datetime
    level: Literal["info", "warn", "error"]
    kind: str
    correlation_id: str | None
    detail: dict[str, Any]


class AttemptOut(_Out):
    attempt: int
    outcome: str
    error_code: str | None
    error_detail: str | None
    provider_message_id: str | None
    correlation_id: str | None
    at: datetime


class PricingOut(_Out):
    """Meta's `pricing` of one message, as its first status carrying it said."""

    category: str = Field(description="marketing, utility, authentication, service, ...")
    type: str | None = Field(description="regular, free_customer_service, free_entry_point")
    pricing_model: str | None = Field(description="PMP (per message) or CBP (conversation)")
    billable: bool | None


class DeliveryOut(_Out):
    id: int
    wa_id: str = _wa_id()
    channel: str
    status: Literal["pending", "sent", "dead", "suppressed"]
    attempts: int
    next_attempt_at: datetime
    lease_until: datetime | None
    provider_message_id: str | None
    last_error: str | None
    idempotency_key: str
    correlation_id: str | None
    payload: dict[str, Any]
    created_at: datetime
    finished_at: datetime | None
    delivery_state: Literal["sent", "delivered", "read", "failed"] | None = Field(
        description="Meta's latest report on the message (only moves forward); null: none yet"
    )
    delivery_error: str | None = Field(description="the error code Meta gave for a failure")
    delivery_attempts: list[AttemptOut]
    pricing: PricingOut | None = Field(
        description="what Meta said the message costs (the first status that carried "
        "`pricing`); null: no status carried it yet"
    )


class TimerOut(_Out):
    id: int
    kind: str
    status: Literal["pending", "fired", "cancelled"]
    due_at: datetime
    lease_until: datetime | None
    created_at: datetime
    finished_at: datetime | None


class DepositSessionOut(_Out):
    session_id: str
    attempt: int
    url: str
    expires_at: datetime
    payment_intent: str | None
    created_at: datetime


class MediaOut(_Out):
    id: int = Field(description="the kept item's id (GET /admin/media/{id})")
    wa_id: str = _wa_id()
    media_id: str = Field(description="Meta's media id")
    message_id: str | None
    mime_type: str | None
    caption: str | None
    sha256: str | None
    size: int | None
    status: Literal["stored", "bad_checksum", "too_large", "failed"] = Field(
        description="only a stored item has its bytes; the others are never the lead's image"
    )
    created_at: datetime


class MediaContentOut(_Out):
    item: MediaOut
    content_base64: str | None = Field(description="the bytes, base64; null unless stored")

    @classmethod
    def of(cls, found: MediaContent) -> MediaContentOut:
        content = None if found.content is None else base64.b64encode(found.content).decode()
        return cls.model_validate({"item": found.item, "content_base64": content})


class MoneyOut(_Out):
    """The lead's deposit, in minor units of the studio's currency (null: none)."""

    currency: str = Field(description="ISO 4217, upper case: DEPOSIT_CURRENCY")
    asked_minor: int | None = Field(description="the deposit asked (the approval's own)")
    paid_minor: int | None = Field(description="what Stripe took")
    refunded_minor: int | None = Field(description="every refund asked of Stripe, added up")
    refundable_minor: int = Field(description="what a refund can still give back (0: nothing)")
    kept_minor: int | None = Field(description="a no-show's deposit the studio keeps")
    quote_minor: int | None = Field(description="the piece's price, given at approval")
    balance_minor: int | None = Field(description="the price less the deposit: the final day's")
    sessions: int = Field(description="the sessions the piece takes")
    sessions_booked: int = Field(description="sessions booked so far (the current one counted)")


class ConsentOut(_Out):
    """The lead's consent before the appointment (STUDIO_FILE's `consent: true`)."""

    status: Literal["missing", "complete", "refused_minor", "deleted"]
    record: dict[str, Any] | None = Field(
        description="the kept record (PRODUCT.md's fields); null until complete or refused"
    )
    sha256: str | None = Field(description="SHA-256 of the record's canonical JSON (RFC 8785)")


class WaitlistOut(_Out):
    model_config = ConfigDict(
        frozen=True,
        json_schema_serialization_defaults_required=True,
        serialize_by_alias=True,  # "from", a Python keyword, as the field's name
    )

    from_: str = Field(alias="from", description="the first day the lead can come (YYYY-MM-DD)")
    to: str = Field(description="the last day (YYYY-MM-DD)")
    joined_at: str = Field(description="when the lead joined the waitlist (ISO 8601)")


class DesignOut(_Out):
    """The artist's designs for the lead (actors.lead.designs) and the lead's answers."""

    status: Literal["none", "sent", "changes_requested", "approved"] = Field(
        description="the latest design's: none sent, sent, changes asked for, approved"
    )
    designs: int = Field(description="how many designs were sent")
    revisions: int = Field(description="change requests the lead made")
    free_revisions: int = Field(description="change requests that cost nothing")
    approved_at: datetime | None = Field(description="when the lead approved the latest")


class LeadDetail(_Out):
    lead_id: UUID
    identity: IdentityOut
    snapshot: SnapshotOut
    money: MoneyOut
    design: DesignOut
    balance_minor: int | None = Field(
        description="owed at the studio beyond the deposit: the price less the deposit, "
        "and the drawing fees of change requests past the free ones (null: nothing known)"
    )
    answers: list[AnswerOut] = Field(description="every answer as given, by seq")
    latest_answers: list[LatestAnswerOut] = Field(
        description="the latest answer per question (highest seq wins), in question order"
    )
    inbox: list[InboxOut]
    events: list[EventOut]
    outbox: list[DeliveryOut]
    timers: list[TimerOut]
    deposit_sessions: list[DepositSessionOut]
    media: list[MediaOut] = Field(description="media the lead sent, as kept (no bytes)")
    consent: ConsentOut | None = Field(
        default=None, description="with STUDIO_FILE's consent: true; else null"
    )
    waitlist: WaitlistOut | None = Field(
        default=None, description="WAITLISTED: the days the lead waits for a freed time"
    )

    @classmethod
    def of(
        cls,
        found: LeadFile,
        latest: Iterable[Answer],
        money: LeadMoney,
        design: DesignSummary,
        waitlist: dict[str, str] | None = None,
        consent: ConsentShown | None = None,
    ) -> LeadDetail:
        snapshot = {**vars(found.lead), "identity": found.identity}
        return cls.model_validate(
            {
                "lead_id": found.lead.lead_id,
                "identity": found.identity,
                "snapshot": snapshot,
                "money": money,
                "waitlist": waitlist,
                "design": design,
                "balance_minor": money.balance_minor,
                "answers": found.answers,
                "latest_answers": list(latest),
                "inbox": found.inbox,
                "events": found.events,
                "outbox": found.outbox,
                "timers": found.timers,
                "deposit_sessions": found.deposit_sessions,
                "media": found.media,
                "consent": None if consent is None else _consent(consent),
            }
        )


def _consent(shown: ConsentShown) -> dict[str, object]:
    """`missing` until a record is kept; then the record's own status."""
    status = shown.status if shown.record is not None and shown.status else "missing"
    return {"status": status, "record": shown.record, "sha256": shown.sha256}


class ActionResult(_Out):
    wa_id: str
    action: str
    message_id: str = Field(description="the inbox id of the action: admin:<uuid>")
    outcome: TurnOutcome
    status: Status = Field(description="the lead's status after the action's turn")
    version: int


class ReplyResult(_Out):
    wa_id: str
    message_id: str = Field(description="the inbox id of the reply: admin:<uuid>")
    outcome: TurnOutcome
    delivery: ReplyDelivery = Field(
        description="free_text: going now, the lead wrote within 24 hours; template: "
        "going as the configured template, the 24 hours are over; not_sent: see "
        "reason; handed_back: the done word handed the lead back; not_applicable: "
        "the done word, and the lead was not with the artist"
    )
    reason: str | None = Field(description="not_sent: the copy key saying why")
    why: str | None = Field(description="not_sent: why, in the copy's words")
    status: Status = Field(description="the lead's status after the reply's turn")
    version: int


class DeadLetterPage(_Out):
    items: list[DeliveryOut]
    next_cursor: str | None


class CalendarAddress(_Out):
    """The address the artist's phone subscribes to (it carries the feed's key)."""

    url: str
    key_source: Literal["setting", "database"]  # STUDIO_CALENDAR_KEY, or kept in the database
    rotated_at: datetime | None  # when the kept key was made; None for the setting's


class RedriveResult(_Out):
    id: int
    status: Literal["pending"]


class RefusedItemOut(_Out):
    """A webhook item that could not be taken, as it came."""

    id: int
    route: str = Field(description="the webhook it came to: /webhooks/whatsapp")
    field: str = Field(
        description="the list it came in: messages, statuses, user_preferences, "
        "message_echoes, state_sync"
    )
    reason: str = Field(
        description="the fields at fault and why (`from: Field required`), or the class of "
        "the error its turn failed on"
    )
    raw: str = Field(description="the item's JSON text, exactly as it came")
    correlation_id: str | None = Field(description="the delivery's X-Request-ID")
    received_at: datetime


class RefusedPage(_Out):
    items: list[RefusedItemOut]
    next_cursor: str | None
