"""The appointments' words as the lead reads them: the slots' list and "{when}"."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from actors.copy import Composer, load_copy
from actors.lead import ConfirmBooking, OfferSlots, SendBookingNotice, SendMessage
from actors.providers.whatsapp.templates import Templates

COPY = Path(__file__).resolve().parents[2] / "copy"
LONDON = ZoneInfo("Europe/London")
SUMMER = int(datetime(2026, 7, 2, 13, 0, tzinfo=UTC).timestamp())  # 14:00 BST
WINTER = int(datetime(2026, 12, 3, 14, 0, tzinfo=UTC).timestamp())  # 14:00 GMT


@pytest.mark.parametrize("locale", ["en_GB", "es_ES"])
def test_the_slots_are_a_list_in_the_studio_time_with_later_dates(locale: str) -> None:
    composer = Composer(load_copy(COPY, locale), timezone=LONDON)
    body = composer.render(
        OfferSlots("447700900123", 120, (SUMMER, WINTER), "2026-12-05", intro="slots_intro")
    )
    rows = body["interactive"]["action"]["sections"][0]["rows"]
    assert [r["id"] for r in rows] == [
        f"slot:{SUMMER}",
        f"slot:{WINTER}",
        "later:2026-12-05",
        "none_fit",
    ]
    assert [r["title"] for r in rows[:2]] == {
        "en_GB": ["Thu 2 Jul, 14:00", "Thu 3 Dec, 14:00"],
        "es_ES": ["jue, 2 jul, 14:00", "jue, 3 dic, 14:00"],
    }[locale]
    assert rows[2]["title"] == {"en_GB": "Later dates", "es_ES": "Más fechas"}[locale]
    assert rows[3]["title"] == {"en_GB": "None of these", "es_ES": "Ninguna me va bien"}[locale]
    assert all(len(r["title"]) <= 24 for r in rows)
    assert "120" in body["interactive"]["body"]["text"]


@pytest.mark.parametrize(
    ("locale", "where"),
    [("en_GB", "Where: Unit 4, 12 Calle Mayor"), ("es_ES", "Dónde: Unit 4, 12 Calle Mayor")],
)
def test_the_confirmation_ends_with_the_studios_address(locale: str, where: str) -> None:
    composer = Composer(load_copy(COPY, locale), timezone=LONDON)
    booked = ConfirmBooking("447700900123", "£50.00", WINTER, "Unit 4, 12 Calle Mayor")
    text = composer.render(booked)["text"]["body"]
    paragraphs = text.split("\n\n")
    assert paragraphs[-1] == where
    assert paragraphs[-2] == composer.plain("deposit_policy", {"amount": "£50.00"})
    without = composer.render(ConfirmBooking("447700900123", "£50.00", WINTER))["text"]["body"]
    assert without == "\n\n".join(paragraphs[:-1])  # no address: no line


def test_when_is_written_in_the_studio_time_and_the_reminder_has_its_buttons() -> None:
    composer = Composer(load_copy(COPY, "en_GB"), timezone=LONDON)
    body = composer.render(
        SendMessage(to="447700900123", key="visit_reminder", params={"when": str(SUMMER)})
    )
    assert "on Thursday 2 July, 14:00." in body["interactive"]["body"]["text"]
    ids = [b["reply"]["id"] for b in body["interactive"]["action"]["buttons"]]
    assert ids == ["visit_confirm", "visit_reschedule", "visit_cancel"]
    assert composer.template_parameters("visit_reminder", {"when": str(SUMMER)}, ()) == [
        "Thursday 2 July, 14:00"
    ]


def test_a_spanish_lead_reads_the_time_as_spanish_writes_it() -> None:
    composer = Composer(load_copy(COPY, "es_ES"), timezone=ZoneInfo("Europe/Madrid"))
    body = composer.render(
        SendMessage(to="34600000001", key="visit_reminder", params={"when": str(WINTER)})
    )
    assert "jueves, 3 de diciembre, 15:00" in body["interactive"]["body"]["text"]


def test_the_artist_booking_carries_the_cancel_button_for_that_lead() -> None:
    composer = Composer(load_copy(COPY, "en_GB"), timezone=LONDON)
    body = composer.render(
        SendBookingNotice(
            "447700900999",
            "447700900123",
            {"name": "Ana", "number": "+447700900123", "link": "https://wa.me/447700900123"},
            WINTER,
        )
    )
    assert [b["reply"]["id"] for b in body["interactive"]["action"]["buttons"]] == [
        "cancel:447700900123"
    ]
    assert "Ana (+447700900123, https://wa.me/447700900123)" in body["interactive"]["body"]["text"]


def test_the_reminder_template_carries_its_buttons_ids_as_quick_reply_payloads() -> None:
    composer = Composer(load_copy(COPY, "en_GB"), timezone=LONDON)
    templates = Templates.from_config(
        composer, {"visit_reminder": {"name": "reminder_v1"}}, default_language="en_GB"
    )
    sent = templates.message(
        SendMessage(to="447700900123", key="visit_reminder", params={"when": str(SUMMER)})
    )
    assert sent is not None
    body, *buttons = sent["template"]["components"]
    assert body["parameters"] == [{"type": "text", "text": "Thursday 2 July, 14:00"}]
    assert [(b["sub_type"], b["index"], b["parameters"][0]["payload"]) for b in buttons] == [
        ("quick_reply", "0", "visit_confirm"),
        ("quick_reply", "1", "visit_reschedule"),
        ("quick_reply", "2", "visit_cancel"),
    ]
