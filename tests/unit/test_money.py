"""
Money read and written as each locale does (Babel's CLDR data), exact in the currency's
own minor unit; and the Checkout Session's lifetime, counted when the request goes out.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from actors.money import Money, MoneyError, known_currency, parse_money
from actors.providers.stripe.checkout import MAX_TTL_S, MIN_TTL_S, WINDOW_S, lifetime


@pytest.mark.parametrize(
    ("typed", "currency", "locale", "minor"),
    [
        ("80", "gbp", "en_GB", 8000),
        ("80.50", "gbp", "en_GB", 8050),
        ("£80", "gbp", "en_GB", 8000),
        ("£1,200", "gbp", "en_GB", 120000),
        ("80 GBP", "gbp", "en_GB", 8000),
        ("  80 gbp ", "GBP", "en_GB", 8000),
        ("80,50 €", "eur", "es_ES", 8050),
        ("80,50\u00a0€", "eur", "es_ES", 8050),  # as CLDR writes it, pasted back
        ("80 €", "eur", "es_ES", 8000),
        ("1.200,50 €", "eur", "es_ES", 120050),
        ("¥5000", "jpy", "en_GB", 5000),
        ("JP¥5,000", "jpy", "en_GB", 5000),
        ("5,000", "jpy", "en_GB", 5000),
        ("12.345", "kwd", "en_GB", 12345),  # three decimals
        ("$80", "usd", "en_GB", 8000),  # "US$" in en_GB, "$" bare
    ],
)
def test_an_amount_typed_as_the_locale_writes_it_is_read_exactly(
    typed: str, currency: str, locale: str, minor: int
) -> None:
    assert parse_money(typed, currency, locale) == Money(minor, currency)


@pytest.mark.parametrize(
    ("typed", "currency", "locale", "why"),
    [
        ("abc", "gbp", "en_GB", "Type the deposit in GBP, like 80 or £80.50."),
        ("", "gbp", "en_GB", "Type the deposit in GBP, like 80 or £80.50."),
        ("$80", "gbp", "en_GB", "That is another currency"),
        ("80 USD", "gbp", "en_GB", "That is another currency"),
        ("€80", "gbp", "en_GB", "That is another currency"),
        ("¥5000.5", "jpy", "en_GB", "JPY takes no decimals."),
        ("80.505", "gbp", "en_GB", "GBP takes at most 2 decimals."),
        ("0", "gbp", "en_GB", "The amount must be more than zero."),
        ("-5", "gbp", "en_GB", "The amount must be more than zero."),
        ("1000000", "gbp", "en_GB", "That is more than Stripe takes: at most £999,999.99."),
        ("1e3", "gbp", "en_GB", "Type the deposit in GBP"),
        ("NaN", "gbp", "en_GB", "Type the deposit in GBP"),
        ("80,50", "gbp", "en_GB", "Type the deposit in GBP"),  # a comma groups in English
    ],
)
def test_what_is_no_amount_of_the_currency_is_refused_saying_why(
    typed: str, currency: str, locale: str, why: str
) -> None:
    with pytest.raises(MoneyError, match=why.replace("$", r"\$").replace(".", r"\.")):
        parse_money(typed, currency, locale)


@pytest.mark.parametrize(
    ("minor", "currency", "locale", "written"),
    [
        (8000, "gbp", "en_GB", "£80.00"),
        (8000, "eur", "es_ES", "80,00\u00a0€"),
        (5000, "gbp", "es_ES", "50,00\u00a0GBP"),
        (5000, "jpy", "en_GB", "JP¥5,000"),
        (12345, "kwd", "en_GB", "KWD12.345"),  # CLDR's en_GB spelling
    ],
)
def test_money_is_written_by_babel_in_its_own_decimals(
    minor: int, currency: str, locale: str, written: str
) -> None:
    assert Money(minor, currency).format(locale) == written


def test_a_currency_babel_does_not_know_is_refused() -> None:
    with pytest.raises(MoneyError):
        known_currency("xyz")
    with pytest.raises(MoneyError):
        Money(100, "xyz")
    with pytest.raises(MoneyError):
        Money(100, "gbp") + Money(100, "eur")
    assert Money(100, "gbp") + Money(50, "GBP") == Money(150, "GBP")


WRITTEN = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize("ttl_s", [MIN_TTL_S, 3600, 23 * 3600, MAX_TTL_S])
@pytest.mark.parametrize("delay_s", [0, 1, WINDOW_S - 1, WINDOW_S, 3 * 3600, 30 * 3600])
def test_a_session_sent_however_late_expires_within_stripes_bounds(
    ttl_s: int, delay_s: int
) -> None:
    now = WRITTEN + timedelta(seconds=delay_s)
    sent = lifetime("deposit:447700900123:1", WRITTEN, now, ttl_s)
    left = sent.expires_at - int(now.timestamp())
    assert MIN_TTL_S + 60 <= left <= MAX_TTL_S - 60  # a minute's margin either side
    again = lifetime("deposit:447700900123:1", WRITTEN, now + timedelta(seconds=1), ttl_s)
    if (delay_s + 1) // WINDOW_S == delay_s // WINDOW_S:  # a retry in the same window
        assert again == sent  # identical parameters and key: Stripe replays
    late = delay_s >= WINDOW_S
    assert sent.idempotency_key.endswith(f"/late{delay_s // WINDOW_S}") is late
