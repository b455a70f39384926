"""The sentences about the studio's policy, made by the copy from the policy's values:
change a value and the sentence changes, in every locale."""

from __future__ import annotations

from pathlib import Path

import pytest

from actors.copy import Composer, load_copy
from actors.lead.messages import ConfirmSession, SendMessage
from actors.money import Money
from actors.schedule import NoShowRule, StudioPolicy

COPY_DIR = Path(__file__).resolve().parents[2] / "copy"
LEAD = "447700900123"


def composer(locale: str, rules: StudioPolicy) -> Composer:
    return Composer(load_copy(COPY_DIR, locale), rules=rules, deposit=Money(5000, "GBP"))


@pytest.mark.parametrize(
    ("locale", "keeps", "words"),
    [
        ("en_GB", True, "your £80.00 deposit is kept when you don't come"),
        ("en_GB", False, "Your £80.00 deposit will be refunded to your card."),
        ("es_ES", True, "el depósito de £80.00 no se devuelve"),
        ("es_ES", False, "Te devolveremos los £80.00 del depósito a tu tarjeta."),
    ],
)
def test_the_no_show_message_says_what_the_policy_does(
    locale: str, keeps: bool, words: str
) -> None:
    rules = StudioPolicy(no_show=NoShowRule(keeps_deposit=keeps))
    message = SendMessage(LEAD, "no_show", {"when": "1800000000", "amount": "£80.00"})
    assert words in composer(locale, rules).render(message)["text"]["body"]


@pytest.mark.parametrize(
    ("locale", "late", "words"),
    [
        ("en_GB", 30, "more than 30 minutes late"),
        ("en_GB", 15, "more than 15 minutes late"),
        ("es_ES", 30, "más de 30 minutos tarde"),
        ("es_ES", 15, "más de 15 minutos tarde"),
    ],
)
def test_the_late_rule_is_the_files_minutes(locale: str, late: int, words: str) -> None:
    rules = StudioPolicy(no_show=NoShowRule(late_minutes=late))
    assert words in composer(locale, rules).plain("deposit_policy", {"amount": "£50.00"})


@pytest.mark.parametrize(
    ("locale", "words"),
    [
        ("en_GB", "£320.00 to pay on the day: £400.00 less your £80.00 deposit."),
        ("es_ES", "£320.00 a pagar el día de la cita: £400.00 menos tu depósito de £80.00."),
    ],
)
def test_the_last_session_names_the_balance(locale: str, words: str) -> None:
    last = ConfirmSession(LEAD, 1800000000, 2, 2, "£80.00", "£400.00", "£320.00")
    body = composer(locale, StudioPolicy()).render(last)["text"]["body"]
    assert words in body
    first = ConfirmSession(LEAD, 1800000000, 1, 2, "£80.00", "£400.00", "£320.00")
    assert "£320.00" not in composer(locale, StudioPolicy()).render(first)["text"]["body"]
