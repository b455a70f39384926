"""
Pydantic models of the Stripe events we act on. Open to unknown fields and types: we
only insist on what routing and the booking rules read.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

__all__ = ["StripeEvent", "StripeObject"]


class _Open(BaseModel):
    model_config = ConfigDict(extra="allow", frozen=True)


class StripeObject(_Open):
    id: str | None = None
    object: str | None = None
    client_reference_id: str | None = None
    metadata: dict[str, Any] = {}
    payment_status: str | None = None
    amount_total: int | None = None
    amount: int | None = None
    amount_refunded: int | None = None  # a Charge's refunds so far
    currency: str | None = None
    payment_intent: str | None = None

    @field_validator("payment_intent", mode="before")
    @classmethod
    def _expanded_id(cls, value: Any) -> Any:
        """An expanded payment intent is an object; we only need its id."""
        return value.get("id") if isinstance(value, dict) else value

    @property
    def session_id(self) -> str | None:
        return self.id if self.object == "checkout.session" else None

    @property
    def money(self) -> int | None:
        """The amount the event is about: a session's total, a refunded charge's refunds
        so far, any other object's amount."""
        if self.amount_total is not None:
            return self.amount_total
        if self.object == "charge" and self.amount_refunded:
            return self.amount_refunded
        return self.amount


class _Data(_Open):
    object: StripeObject


class StripeEvent(_Open):
    id: str = Field(pattern=r"^evt_")
    object: Literal["event"]
    type: str
    livemode: bool
    created: int
    data: _Data
    account: str | None = None  # a Connect platform's event: the connected account's id
