"""
The Money type and its one parser.

The exponent is the currency's own, from Babel's CLDR data (JPY and KRW 0, GBP and EUR 2,
KWD and BHD 3): "80" is 8000 pence but 80 yen. The parser reads what a person types in the
studio's locale ("80", "80.50", "£80", "80,50 €", "¥5000", "80 GBP") and refuses, with the
reason in words, another currency, more decimals than the currency has, zero or less, and
more than Stripe's ceiling.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from functools import cache

from babel.numbers import (
    NumberFormatError,
    format_currency,
    get_currency_precision,
    get_currency_symbol,
    get_decimal_symbol,
    get_group_symbol,
    is_currency,
    list_currencies,
    parse_decimal,
)

__all__ = ["MAX_MINOR", "Money", "MoneyError", "known_currency", "parse_money"]

MAX_MINOR = 99_999_999  # Stripe's ceiling for an amount, in minor units
_SPACES = re.compile(r"[\s\u00a0\u202f]+")
_MINUS = ("-", "\u2212")


class MoneyError(ValueError):
    """An amount that cannot be taken; the message says why, in words a person reads.

    `why` names the reason for a page that says it in another language: `type_in`,
    `other_currency`, `not_positive`, `decimals`, `too_much` (`code`, `hint`, `places`,
    `most`, `examples` carry the values), or `other`.
    """

    def __init__(
        self, message: str, why: str = "other", *, code: str = "", hint: str = "",
        places: int = 0, most: str = "", examples: tuple[str, str] = ("", ""),
    ) -> None:  # fmt: skip
        super().__init__(message)
        self.why, self.code, self.hint, self.places, self.most = why, code, hint, places, most
        self.examples = examples  # the hint's two amounts, for a page in another language


def known_currency(code: str) -> str:
    """The ISO 4217 code, upper case, when Babel knows it; else a MoneyError."""
    upper = code.strip().upper()
    if not re.fullmatch(r"[A-Z]{3}", upper) or not is_currency(upper):
        raise MoneyError(f"{code!r} is not an ISO 4217 currency code Babel knows")
    return upper


@dataclass(frozen=True)
class Money:
    """An exact amount: `minor` units (pence, cents; yen have none) of `currency`."""

    minor: int
    currency: str  # ISO 4217, upper case

    def __post_init__(self) -> None:
        object.__setattr__(self, "currency", known_currency(self.currency))
        if isinstance(self.minor, bool) or not isinstance(self.minor, int):
            raise TypeError("Money takes whole minor units")

    @property
    def exponent(self) -> int:
        return int(get_currency_precision(self.currency))

    @property
    def amount(self) -> Decimal:
        """In the main unit, exact: 8000 GBP minor units is Decimal("80.00")."""
        return Decimal(self.minor).scaleb(-self.exponent)

    def format(self, locale: str) -> str:
        """As the locale writes it: "£80.00", "80,00 €", "JP¥5,000", "50,00 GBP"."""
        return str(format_currency(self.amount, self.currency, locale=locale))

    def plain(self) -> str:
        """The amount alone, for a form field: "80.00", "5000" (a dot, no grouping)."""
        return f"{self.amount:f}"

    def __add__(self, other: Money) -> Money:
        return Money(self.minor + self._same(other).minor, self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money(self.minor - self._same(other).minor, self.currency)

    def _same(self, other: Money) -> Money:
        if other.currency != self.currency:
            raise MoneyError(f"cannot mix {self.currency} and {other.currency}")
        return other


def parse_money(text: str, currency: str, locale: str) -> Money:
    """What a person typed, in `locale`, as an amount of `currency`; MoneyError says why not."""
    code = known_currency(currency)
    examples = _examples(code, locale)
    hint = " or ".join(examples)  # "80 or £80.50"

    def type_in() -> MoneyError:
        """Not an amount at all: what to type instead."""
        return MoneyError(
            f"Type the deposit in {code}, like {hint}.",
            "type_in",
            code=code,
            hint=hint,
            examples=examples,
        )

    bare = _SPACES.sub("", text)
    if not bare:
        raise type_in()
    number = _without_own_sign(bare, code, locale)
    if any(unicodedata.category(c) == "Sc" for c in number) or _other_code(number):
        raise MoneyError(
            f"That is another currency: type the deposit in {code}, like {hint}.",
            "other_currency", code=code, hint=hint, examples=examples,
        )  # fmt: skip
    if number.startswith(_MINUS):
        raise MoneyError("The amount must be more than zero.", "not_positive")
    marks = {str(get_decimal_symbol(locale)), str(get_group_symbol(locale)), ".", ","}
    if not number or not all(c.isdigit() or c in marks for c in number):
        raise type_in()
    try:
        value = parse_decimal(number, locale=locale, strict=True)
    except (NumberFormatError, InvalidOperation):
        raise type_in() from None
    if not value.is_finite():
        raise type_in()
    exponent = int(get_currency_precision(code))
    minor = value.scaleb(exponent)
    if minor != minor.to_integral_value():
        places = "no decimals" if exponent == 0 else f"at most {exponent} decimals"
        raise MoneyError(f"{code} takes {places}.", "decimals", code=code, places=exponent)
    if minor <= 0:
        raise MoneyError("The amount must be more than zero.", "not_positive")
    money = Money(int(minor), code)
    if money.minor > MAX_MINOR:
        most = Money(MAX_MINOR, code).format(locale)
        raise MoneyError(f"That is more than Stripe takes: at most {most}.", "too_much", most=most)
    return money


def _without_own_sign(text: str, code: str, locale: str) -> str:
    """The text less the currency's code or sign (as the locale writes it, or bare),
    once, before or after the number."""
    upper = text.upper()
    for sign in _signs(code, locale):
        if upper.startswith(sign.upper()):
            return text[len(sign) :]
        if upper.endswith(sign.upper()):
            return text[: -len(sign)]
    return text


@cache
def _signs(code: str, locale: str) -> tuple[str, ...]:
    """The code, the locale's sign ("JP¥") and the bare sign ("¥"), longest first."""
    symbol = str(get_currency_symbol(code, locale=locale))
    english = str(get_currency_symbol(code, locale="en"))
    signs = {code, symbol, english, symbol.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ")}
    signs.add(english.lstrip("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))
    return tuple(sorted((s for s in signs if s), key=len, reverse=True))


def _other_code(text: str) -> bool:
    letters = "".join(c for c in text if c.isalpha()).upper()
    return len(letters) == 3 and letters in _codes()


@cache
def _codes() -> frozenset[str]:
    return frozenset(list_currencies())


def _examples(code: str, locale: str) -> tuple[str, str]:
    """Two example amounts the locale writes: "80" and "£80.50"."""
    exponent = int(get_currency_precision(code))
    whole = Money(80 * 10**exponent, code)
    example = Money(8050 * 10 ** max(exponent - 2, 0), code) if exponent else Money(5000, code)
    return whole.plain().split(".")[0], example.format(locale)
