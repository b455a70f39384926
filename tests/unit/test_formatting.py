"""
Money, dates and times as the lead's language writes them: the functions (the copy's,
and the studio page's time stamps and appointments), and the deposit messages a lead
actually reads (the behaviour's effects rendered by the copy).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest

from actors.copy import Composer, load_copy
from actors.copy.formatting import (
    format_day,
    format_moment,
    format_money,
    format_slot,
    format_span,
    format_when,
)
from actors.lead import (
    DepositLinkCreated,
    DepositSession,
    LeadBehaviour,
    LeadState,
    Message,
    PaymentEventReceived,
    Policy,
    Status,
)
from tests.unit.lead_fixtures import LEAD, NOW, script

COPY_DIR = Path(__file__).resolve().parents[2] / "copy"


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "written"),
    [
        (5000, "gbp", "en_GB", "£50.00"),
        (5000, "eur", "es_ES", "50,00\u00a0€"),
        (5000, "EUR", "en_GB", "€50.00"),  # the deposit's currency, whatever the locale
        (5000, "gbp", "es_ES", "50,00\u00a0GBP"),
        (123456, "gbp", "en_GB", "£1,234.56"),
        (123456, "eur", "es_ES", "1.234,56\u00a0€"),
        (5000, "jpy", "en_GB", "JP¥5,000"),  # yen have no minor unit
        (5, "gbp", "en_GB", "£0.05"),
    ],
)
def test_money_is_written_as_the_locale_writes_it(
    amount: int, currency: str, locale: str, written: str
) -> None:
    assert format_money(amount, currency, locale) == written


THURSDAY_2PM_LONDON = datetime(2025, 12, 4, 14, 0, tzinfo=UTC)  # GMT in December


@pytest.mark.parametrize(
    ("locale", "when", "day"),
    [
        ("en_GB", "Thursday 4 December, 14:00", "Thursday 4 December"),
        ("es_ES", "jueves, 4 de diciembre, 14:00", "jueves, 4 de diciembre"),
    ],
)
def test_a_moment_is_written_with_its_weekday_in_full(locale: str, when: str, day: str) -> None:
    assert format_when(THURSDAY_2PM_LONDON, "Europe/London", locale) == when
    assert format_day(THURSDAY_2PM_LONDON, "Europe/London", locale) == day


@pytest.mark.parametrize(
    ("locale", "short"), [("en_GB", "Thu 4 Dec, 14:00"), ("es_ES", "jue, 4 dic, 14:00")]
)
def test_a_slot_title_is_the_short_form(locale: str, short: str) -> None:
    assert format_slot(THURSDAY_2PM_LONDON, "Europe/London", locale) == short


@pytest.mark.parametrize("locale", ["en_GB", "es_ES"])
def test_every_slot_title_of_a_year_fits_a_whatsapp_list_row(locale: str) -> None:
    """WhatsApp cuts a row's title at 24 characters: no day of any month may be cut."""
    start = datetime(2026, 1, 1, 13, 45, tzinfo=UTC)
    titles = {format_slot(start + timedelta(days=d), "Europe/Madrid", locale) for d in range(366)}
    assert max(len(title) for title in titles) <= 24
    assert not any(title.endswith("…") for title in titles)


def test_the_time_is_the_studios_wall_clock_across_daylight_saving() -> None:
    summer = datetime(2026, 7, 2, 13, 0, tzinfo=UTC)  # 14:00 BST
    assert format_when(summer, "Europe/London", "en_GB") == "Thursday 2 July, 14:00"
    madrid = datetime(2025, 12, 4, 23, 30, tzinfo=timezone(timedelta(hours=-1)))
    # 00:30 UTC on the 5th is 01:30 in Madrid: the date follows the studio's clock too.
    assert (
        format_when(madrid, "Europe/Madrid", "es_ES") == "viernes, 5 de diciembre, 1:30"
    )  # CLDR: H:mm


def test_a_naive_moment_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone-aware"):
        format_when(datetime(2025, 12, 4, 14, 0), "Europe/London", "en_GB")
    with pytest.raises(ValueError, match="timezone-aware"):
        format_moment(datetime(2025, 12, 4, 14, 0), "Europe/London", "en_GB")


# -- the studio page's time stamps and appointments ------------------------------------------

ONE_PM_UTC_IN_DECEMBER = datetime(2025, 12, 4, 13, 0, 5, tzinfo=UTC)


@pytest.mark.parametrize(
    ("zone", "locale", "stamp", "exact"),
    [
        ("Europe/Madrid", "es_ES", "4 dic, 14:00", "4 dic, 14:00:05"),
        ("Europe/London", "en_GB", "4 Dec, 13:00", "4 Dec, 13:00:05"),
        ("UTC", "en_GB", "4 Dec, 13:00", "4 Dec, 13:00:05"),  # no STUDIO_FILE: as before
        ("America/New_York", "en_US", "Dec 4, 8:00\u202fAM", "Dec 4, 8:00:05\u202fAM"),
    ],
)
def test_a_time_stamp_is_the_day_month_and_time_on_the_studios_clock(
    zone: str, locale: str, stamp: str, exact: str
) -> None:
    """Every message and event on the studio page: short, in the locale's order, and
    with seconds only where events may come within the same minute."""
    assert format_moment(ONE_PM_UTC_IN_DECEMBER, zone, locale) == stamp
    assert format_moment(ONE_PM_UTC_IN_DECEMBER, zone, locale, seconds=True) == exact


def test_a_summer_time_stamp_is_shifted_by_british_summer_time() -> None:
    assert format_moment(datetime(2026, 7, 2, 13, 0, tzinfo=UTC), "Europe/London", "en_GB") == (
        "2 Jul, 14:00"
    )


@pytest.mark.parametrize(
    ("zone", "locale", "span"),
    [
        ("Europe/Madrid", "es_ES", "jueves, 4 de diciembre de 2025, 14:00\u201316:00"),
        ("Europe/London", "en_GB", "Thursday, 4 December 2025, 13:00\u201315:00"),
        # A 12-hour locale: the hours and one "AM" (CLDR's "h:mm - h:mm a", thin spaces).
        (
            "America/New_York",
            "en_US",
            "Thursday, December 4, 2025, 8:00\u2009\u2013\u200910:00\u202fAM",
        ),
    ],
)
def test_an_appointment_is_its_day_with_the_year_and_its_hours(
    zone: str, locale: str, span: str
) -> None:
    end = ONE_PM_UTC_IN_DECEMBER + timedelta(hours=2)
    assert format_span(ONE_PM_UTC_IN_DECEMBER, end, zone, locale) == span


def test_an_appointment_past_midnight_on_the_studios_clock_names_both_days() -> None:
    start = datetime(2025, 12, 4, 22, 0, tzinfo=UTC)  # 23:00 in Madrid
    span = format_span(start, start + timedelta(hours=2), "Europe/Madrid", "es_ES")
    dash = "\u2009\u2013\u2009"  # CLDR's "{0} to {1}": an en dash between thin spaces
    assert (
        span == f"jueves, 4 de diciembre de 2025, 23:00{dash}viernes, 5 de diciembre de 2025, 1:00"
    )


# -- the deposit messages as the lead reads them ---------------------------------------------

SESSION = DepositSession(1, "cs_test_1", "https://pay.test/cs_test_1", 1_900_000_000)


def _read(locale: str, currency: str) -> list[str]:
    """The link and the booking confirmation, rendered in `locale`'s copy."""
    behaviour = LeadBehaviour(
        script(), Policy(deposit_amount=5000, deposit_currency=currency, locale=locale)
    )
    state = LeadState(LEAD, status=Status.BOOKING_PENDING, deposit_attempt=1)
    created = DepositLinkCreated("m1", LEAD, 1, SESSION.session_id, SESSION.url, 1, NOW)
    linked = behaviour.decide(state, created)
    paid = PaymentEventReceived(
        "m2", LEAD, "evt_1", "checkout.session.completed", NOW, livemode=False,
        session_id=SESSION.session_id, payment_status="paid", amount=5000, currency=currency,
        payment_intent="pi_1",
    )  # fmt: skip
    booked = behaviour.decide(linked.state, paid)
    composer = Composer(load_copy(COPY_DIR, locale))
    sent = [
        e for e in (*linked.effects, *booked.effects) if isinstance(e, Message) and e.to == LEAD
    ]
    return [composer.render(message)["text"]["body"] for message in sent]


@pytest.mark.parametrize(
    ("locale", "currency", "phrases"),
    [
        ("en_GB", "gbp", ["pay the £50.00 deposit", "you get the full £50.00 back"]),
        (
            "es_ES",
            "eur",
            ["el depósito de 50,00\u00a0€", "te devolvemos los 50,00\u00a0€ íntegros"],
        ),
        ("es_ES", "gbp", ["el depósito de 50,00\u00a0GBP", "los 50,00\u00a0GBP íntegros"]),
        ("en_GB", "eur", ["pay the €50.00 deposit", "the full €50.00 back"]),
    ],
)
def test_the_lead_reads_the_deposit_as_their_language_writes_it(
    locale: str, currency: str, phrases: list[str]
) -> None:
    link, booked = _read(locale, currency)
    for phrase in phrases:
        assert phrase in link
    assert phrases[-1] in booked  # the policy, amount included, comes with the booking too
    assert "GBP" not in link or (currency == "gbp" and locale != "en_GB")
