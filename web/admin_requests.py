"""
The admin API's requests: path and query parameters in. Pydantic, because this is an
edge; the OpenAPI document (`web.openapi`) is generated from these same classes.

Cursors are opaque to callers: URL-safe base64 of `<list>:<last key>`, so a cursor from
one list is refused (422) by another instead of being read as something else.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any, ClassVar, Self

from pydantic import BaseModel, ConfigDict, Field, PrivateAttr, model_validator

from actors.lead import ArtistAction, Status
from actors.money import MAX_MINOR

__all__ = [
    "ACTIONS",
    "MAX_DELIVERY_ID",
    "MAX_KEY_LENGTH",
    "WA_ID_PATTERN",
    "ActionQuery",
    "ActorsQuery",
    "DeadLettersQuery",
    "LeadsQuery",
    "RefusedQuery",
    "ReplyBody",
    "encode_cursor",
    "is_lead_key",
]

# URL spelling -> the artist's action: approve, decline, take-over, hand-back, resume, opt-out
# Set time takes its time from the studio page's form (`/studio/leads/<id>/set-time`).
ACTIONS: dict[str, ArtistAction] = {
    a.value.replace("_", "-"): a for a in ArtistAction if a is not ArtistAction.SET_TIME
}
WA_ID_PATTERN = r"^[0-9]{1,32}$"  # what WhatsApp ids look like (documented, not enforced)
MAX_KEY_LENGTH = 160  # a parent BSUID: 2 + 5 + 128 characters
MAX_DELIVERY_ID = 2**63 - 1  # outbox ids are bigint
_CURSOR_PATTERN = r"^[A-Za-z0-9_-]+$"


def is_lead_key(value: str) -> bool:
    """Whether `value` could name a lead (so it is safe to look up: no NUL, no surrogates)."""
    return 0 < len(value) <= MAX_KEY_LENGTH and value.isprintable()


def encode_cursor(kind: str, key: str) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{key}".encode()).decode().rstrip("=")


def _decode_cursor(kind: str, token: str) -> str:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode()
    except (binascii.Error, ValueError):
        raise ValueError("not a cursor") from None
    found, _, key = raw.partition(":")
    if found != kind or not key:
        raise ValueError("not a cursor of this list")
    return key


class _PageQuery(BaseModel):
    model_config = ConfigDict(frozen=True, extra="ignore")
    _cursor_kind: ClassVar[str]

    cursor: str | None = Field(
        default=None,
        max_length=512,
        pattern=_CURSOR_PATTERN,
        description="`next_cursor` of the previous page; omit for the first page",
    )
    limit: int = Field(default=50, ge=1, le=200, description="page size")
    _after: str | None = PrivateAttr(default=None)

    @model_validator(mode="before")
    @classmethod
    def _blank_is_absent(cls, data: Any) -> Any:
        if isinstance(data, dict):
            return {k: v for k, v in data.items() if v != ""}
        return data

    @model_validator(mode="after")
    def _read_cursor(self) -> Self:
        if self.cursor is not None:
            self._after = self._check_key(_decode_cursor(self._cursor_kind, self.cursor))
        return self

    def _check_key(self, key: str) -> str:
        if not is_lead_key(key):
            raise ValueError("not a cursor of this list")
        return key

    @property
    def after(self) -> str | None:
        """The last key of the previous page."""
        return self._after


class ReplyBody(BaseModel):
    """The artist's words to a lead (`POST /admin/leads/{wa_id}/reply`)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    text: str = Field(
        min_length=1,
        max_length=4096,  # WhatsApp's longest text message
        pattern=r"^[^\x00]*[^\s\x00][^\x00]*$",  # words, and no NUL (Postgres text cannot hold it)
        description="what the lead reads, from the business number; the done word "
        "(copy: words.done) hands the lead back instead",
    )


class ActorsQuery(_PageQuery):
    _cursor_kind = "actor"


class LeadsQuery(_PageQuery):
    _cursor_kind = "lead"

    status: Status | None = Field(default=None, description="only leads in this status")


class ActionQuery(BaseModel):
    """What an action may carry besides its name (approve: another session length or
    deposit; refund: an amount)."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    session_minutes: int | None = Field(
        default=None,
        ge=1,
        le=24 * 60,
        description="approve, with appointments on: the session's length, other than the"
        " studio's default_session_minutes",
    )
    deposit_minor: int | None = Field(
        default=None,
        gt=0,
        le=MAX_MINOR,
        description="approve: this lead's deposit in the studio currency's minor units"
        " (5000 is £50.00, or ¥5,000); default DEPOSIT_AMOUNT_MINOR",
    )
    quote_minor: int | None = Field(
        default=None,
        gt=0,
        le=MAX_MINOR,
        description="approve: the piece's price in minor units; with the policy's"
        " percent_of_quote it sets the deposit; kept as the final price",
    )
    sessions: int | None = Field(
        default=None, ge=1, le=10, description="approve: the sessions the piece takes (1-10)"
    )
    amount_minor: int | None = Field(
        default=None,
        gt=0,
        le=MAX_MINOR,
        description="refund: how much of the paid deposit, in minor units; default all left",
    )


class DeadLettersQuery(_PageQuery):
    _cursor_kind = "dead"

    def _check_key(self, key: str) -> str:
        if not key.isascii() or not key.isdigit() or not 0 < int(key) <= MAX_DELIVERY_ID:
            raise ValueError("not a cursor of this list")
        return key

    @property
    def before_id(self) -> int | None:
        return int(self._after) if self._after is not None else None


class RefusedQuery(_PageQuery):
    _cursor_kind = "refused"

    def _check_key(self, key: str) -> str:
        if not key.isascii() or not key.isdigit() or not 0 < int(key) <= MAX_DELIVERY_ID:
            raise ValueError("not a cursor of this list")
        return key

    @property
    def before_id(self) -> int | None:
        return int(self._after) if self._after is not None else None
