"""
STUDIO_FILE: the studio's hours and appointment policies, read and checked at start-up.

The YAML's shape is fixed (README.md, "Appointments"; `studio.example.yml`). Anything
wrong in it is one line naming the file's key: `hours.monday[1]: opens after it closes`.
"""

from __future__ import annotations

import re
from datetime import time
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import yaml
from babel.numbers import is_currency
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from actors.money import MoneyError, parse_money
from actors.schedule import (
    WEEKDAYS,
    DepositRule,
    MessagePrices,
    NoShowRule,
    Opening,
    RescheduleRule,
    SessionPreset,
    StudioFile,
    StudioPolicy,
)

__all__ = ["StudioFileError", "load_studio"]

_CLOCK = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$|^24:00$")
_Minutes = Annotated[int, Field(ge=0)]


class StudioFileError(ValueError):
    """The studio file cannot be read or does not have the fixed shape (one line)."""


class _Hours(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    monday: list[tuple[str, str]]
    tuesday: list[tuple[str, str]]
    wednesday: list[tuple[str, str]]
    thursday: list[tuple[str, str]]
    friday: list[tuple[str, str]]
    saturday: list[tuple[str, str]]
    sunday: list[tuple[str, str]]


def _between(low: int, high: int) -> Any:
    """A whole number in [low, high], refused in the spec's words ("got 0")."""

    def check(value: int | None) -> int | None:
        if value is not None and not low <= value <= high:
            raise ValueError(f"must be between {low} and {high} (got {value})")
        return value

    return check


class _Deposit(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    amount: str | int | None = None  # "50.00": a dot for decimals
    percent_of_quote: int | None = None
    minimum: str | int | None = None

    _percent = field_validator("percent_of_quote")(_between(1, 100))


class _Reschedule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    max: _Minutes = 0
    notice_hours: _Minutes = 0


class _NoShow(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    keeps_deposit: bool = True
    late_minutes: int | None = None

    _late = field_validator("late_minutes")(_between(1, 24 * 60))


class _Sessions(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    deposit_each_session: bool = False  # true: each session's pick sends its own link


class _Policy(BaseModel):
    """`policy:` as written; each key optional, its default today's behaviour."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    deposit: _Deposit = _Deposit()
    refundable_until_hours: _Minutes | None = None
    reschedule: _Reschedule = _Reschedule()
    no_show: _NoShow = _NoShow()
    sessions: _Sessions = _Sessions()
    drawing_fee: str | int | None = None


# The older top-level keys, and where each one lives in `policy:`.
_OLDER_KEYS = {
    "cancel_notice_hours": "policy.refundable_until_hours",
    "reschedule_notice_hours": "policy.reschedule.notice_hours",
    "max_reschedules": "policy.reschedule.max",
}


class _Preset(BaseModel):
    """One session length offered at approval: its label (the studio's words) and minutes."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    label: str = Field(min_length=1, max_length=40)
    minutes: int = Field(ge=1, le=24 * 60)

    @field_validator("label")
    @classmethod
    def _label_line(cls, value: str) -> str:
        if not value.strip() or any(c in value for c in "\r\n"):
            raise ValueError("give the preset's label on one line")
        return value.strip()


class _StudioFile(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    timezone: str
    hours: _Hours
    slot_step_minutes: int = Field(gt=0)
    default_session_minutes: int = Field(gt=0, le=24 * 60)
    buffer_minutes: _Minutes
    horizon_days: int = Field(gt=0, le=366)
    min_notice_hours: _Minutes
    # A file of before `policy:`: these three stand for its refund and reschedule rules.
    reschedule_notice_hours: _Minutes | None = None
    max_reschedules: _Minutes | None = None
    cancel_notice_hours: _Minutes | None = None
    reminder_offsets_minutes: list[Annotated[int, Field(gt=0)]] = [2880, 720]
    aftercare_after_hours: _Minutes
    healed_photo_after_days: _Minutes
    design_free_revisions: _Minutes = 2  # change requests to a design that cost nothing
    design_drawing_fee_minor: _Minutes = 0  # minor units of DEPOSIT_CURRENCY, per one past them
    message_prices: dict[str, Any] | None = None
    policy: _Policy | None = None
    address: str | None = Field(default=None, min_length=1, max_length=200)
    session_presets: list[_Preset] = []

    @field_validator("address")
    @classmethod
    def _one_line(cls, value: str | None) -> str | None:
        if value is not None and (not value.strip() or any(c in value for c in "\r\n")):
            raise ValueError("give the studio's address on one line")
        return value.strip() if value is not None else None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA timezone {value!r}") from None
        return value


def _clock(text: str, where: str) -> time:
    if not _CLOCK.match(text):
        raise StudioFileError(f"{where}: {text!r} is not a time as HH:MM")
    if text == "24:00":
        return time.max
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def _openings(day: str, ranges: list[tuple[str, str]]) -> tuple[Opening, ...]:
    openings: list[Opening] = []
    for n, (opens, closes) in enumerate(ranges):
        where = f"hours.{day}[{n}]"
        opening = Opening(_clock(opens, where), _clock(closes, where))
        if opening.opens >= opening.closes:
            raise StudioFileError(f"{where}: opens at {opens}, not before it closes at {closes}")
        if openings and opening.opens < openings[-1].closes:
            raise StudioFileError(f"{where}: starts before the one before it ends")
        openings.append(opening)
    return tuple(openings)


def load_studio(path: Path, currency: str = "gbp") -> StudioFile:
    """
    Read and check the studio file; its amounts are in `currency` (DEPOSIT_CURRENCY).

    Raises:
        StudioFileError: one line, naming the key that is wrong.
    """
    try:
        raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise StudioFileError(f"cannot read {path}: {error.strerror or error}") from None
    except yaml.YAMLError as error:
        raise StudioFileError(f"{path} is not YAML: {' '.join(str(error).split())}") from None
    try:
        parsed = _StudioFile.model_validate(raw)
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        where = ".".join(str(part) for part in first["loc"]) or "the file"
        message = str(first["msg"]).removeprefix("Value error, ")
        raise StudioFileError(f"{where}: {message[:1].lower()}{message[1:]}") from None
    hours = {
        weekday: _openings(day, getattr(parsed.hours, day)) for weekday, day in enumerate(WEEKDAYS)
    }
    if not any(hours.values()):
        raise StudioFileError("hours: the studio is closed every day")
    if not parsed.reminder_offsets_minutes or len(set(parsed.reminder_offsets_minutes)) != len(
        parsed.reminder_offsets_minutes
    ):
        raise StudioFileError("reminder_offsets_minutes: give at least one, each once")
    policies = parsed.model_dump(
        exclude={
            "timezone",
            "hours",
            "reminder_offsets_minutes",
            "message_prices",
            "policy",
            "session_presets",
        },
        exclude_none=True,
    )
    _older_or_policy(parsed)
    offsets = tuple(sorted(parsed.reminder_offsets_minutes, reverse=True))
    return StudioFile(
        timezone=ZoneInfo(parsed.timezone),
        hours=hours,
        reminder_offsets_minutes=offsets,
        message_prices=None if parsed.message_prices is None else _prices(parsed.message_prices),
        policy=None if parsed.policy is None else _policy(parsed.policy, currency),
        session_presets=tuple(SessionPreset(p.label, p.minutes) for p in parsed.session_presets),
        **policies,
    )


def _older_or_policy(parsed: _StudioFile) -> None:
    """A file has `policy:` or the three older keys, never both, never neither."""
    for key, place in _OLDER_KEYS.items():
        given = getattr(parsed, key) is not None
        if given and parsed.policy is not None:
            raise StudioFileError(f"{key}: a file with policy: gives it as {place}")
        if not given and parsed.policy is None:
            raise StudioFileError(f"{key}: field required (or give policy: with {place})")


def _policy(policy: _Policy, currency: str) -> StudioPolicy:
    """`policy:` as the behaviour and the copy read it: amounts in minor units."""
    deposit = policy.deposit
    return StudioPolicy(
        deposit=DepositRule(
            amount=_amount(deposit.amount, "policy.deposit.amount", currency),
            percent_of_quote=deposit.percent_of_quote,
            minimum=_amount(deposit.minimum, "policy.deposit.minimum", currency),
        ),
        refundable_until_hours=policy.refundable_until_hours,
        reschedule=RescheduleRule(policy.reschedule.max, policy.reschedule.notice_hours),
        no_show=NoShowRule(policy.no_show.keeps_deposit, policy.no_show.late_minutes),
        deposit_each_session=policy.sessions.deposit_each_session,
        drawing_fee=_amount(policy.drawing_fee, "policy.drawing_fee", currency),
    )


def _amount(text: str | int | None, where: str, currency: str) -> int | None:
    """An amount of the file ("50.00", a dot for decimals) in the currency's minor units."""
    if text is None:
        return None
    try:
        return parse_money(str(text), currency, "en").minor
    except MoneyError as error:
        raise StudioFileError(f"{where}: {str(error).replace('deposit', 'amount')}") from None


def _prices(table: dict[str, Any]) -> MessagePrices:
    """`message_prices:`: the currency, and the price of one billable message by category
    (marketing, utility, authentication, ...), in the currency's major unit."""
    currency = str(table.get("currency") or "").upper()
    if not is_currency(currency):
        raise StudioFileError("message_prices.currency: give an ISO 4217 code (gbp, eur, ...)")
    prices: dict[str, Decimal] = {}
    for category, price in table.items():
        if category == "currency":
            continue
        try:
            amount = Decimal(str(price)) if isinstance(price, int | float | str) else None
        except InvalidOperation:
            amount = None
        if amount is None or not amount.is_finite() or amount < 0 or isinstance(price, bool):
            raise StudioFileError(f"message_prices.{category}: {price!r} is not a price")
        prices[str(category)] = amount
    return MessagePrices(currency, prices)
