"""
The studio's policy as data (STUDIO_FILE's `policy:`), over HTTP against the fake Graph
API and the fake Stripe: the sentences the lead reads are made from the same values the
service acts on, so changing a value changes both the words and what happens.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import icalendar
import pytest
import yaml

from fakes.graph import GraphServer, SentMessage
from fakes.stripe_api import FakeStripe, StripeFailure, StripeServer, event
from storage.pool import Pool
from tests.clock import FakeClock
from tests.studio_example import example_data
from tests.waiting import eventually
from tests.web.conftest import ADMIN_TOKEN, Running, running_app, stripe_settings
from tests.web.conftest import test_settings as settings_for
from tests.web.phone import Phone, buttons_of
from tests.web.studio_harness import form_token
from tests.web.test_appointments_http import (
    ARTIST,
    LEAD,
    cancel_from_the_reminder,
    next_with_button,
    post_stripe,
    refunded_once,
    status,
)

pytestmark = pytest.mark.anyio

_OLDER = ("cancel_notice_hours", "reschedule_notice_hours", "max_reschedules")


def policy_studio(tmp_path: Path, policy: dict[str, Any], **top: Any) -> Path:
    """The example studio with `policy:` in place of the three older keys."""
    data = example_data()
    for key in _OLDER:
        data.pop(key)
    data.update(top)
    data["policy"] = policy
    path = tmp_path / "studio.yml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.fixture
def policy() -> dict[str, Any]:
    """The `policy:` block of one test (parametrize this fixture by name)."""
    return {}


@pytest.fixture
def studio_top() -> dict[str, Any]:
    """Other top-level keys of the studio file for one test."""
    return {}


@pytest.fixture
def studio_file(tmp_path: Path, policy: dict[str, Any], studio_top: dict[str, Any]) -> Path:
    return policy_studio(tmp_path, policy, **studio_top)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.now(UTC))


@pytest.fixture
def settings_more() -> dict[str, Any]:
    """More settings for one test (parametrize this fixture by name)."""
    return {}


@pytest.fixture
async def studio_running(
    database_url: str,
    pool: Pool,
    graph_server: GraphServer,
    clock: FakeClock,
    stripe_fake: FakeStripe,
    stripe_server: StripeServer,
    settings_more: dict[str, Any],
    studio_file: Path,
) -> AsyncIterator[Running]:
    """The service with appointments on, the fakes of Graph and Stripe, a test clock."""
    settings = settings_for(
        database_url,
        graph_server,
        studio_file=studio_file,
        artist_whatsapp_number=ARTIST,
        **stripe_settings(stripe_fake, stripe_server),
        timer_poll_s=0.05,
        whatsapp_templates={
            key: {"name": key}
            for key in (
                *("visit_reminder", "aftercare", "healed_photo_request"),
                *("next_session", "no_show"),
            )
        },
        **settings_more,
    )
    async with running_app(settings, pool, graph_server, clock) as running:
        yield running


async def offered(running: Running, locale: str = "en_GB") -> tuple[Phone, Phone, SentMessage]:
    """A lead qualified, confirmed and approved by the artist's button: the list of times."""
    lead = Phone(running, LEAD, locale=locale)
    artist = Phone(running, ARTIST, name="Artist", locale=locale)
    summary = await lead.to_the_summary()
    await lead.tap(summary, "confirm")
    await lead.next_message()  # sent to the artist
    await artist.tap(await next_with_button(artist, f"approve:{LEAD}"), f"approve:{LEAD}")
    return lead, artist, await lead.next_message()


async def the_link(running: Running, lead: Phone, offer: SentMessage) -> SentMessage:
    """The lead picks the first free time: the deposit link's message."""
    await lead.tap(offer, next(row for row in buttons_of(offer) if row.startswith("slot:")))
    await lead.next_message()  # held
    return await lead.next_message()


async def session_of(running: Running, stripe_fake: FakeStripe) -> dict[str, Any]:
    lead_id = await running.pool.fetchval("SELECT lead_id::text FROM leads WHERE lead_key=$1", LEAD)
    session: dict[str, Any] = stripe_fake.sessions_for(lead_id)[-1]
    return session


# -- the words follow the rules ----------------------------------------------------------------

_WORDS = [
    ("en_GB", 72, 1, 48, ["at least 72 hours before", "appointment once, up to 48 hours"]),
    ("en_GB", 24, 2, 12, ["at least 24 hours before", "appointment 2 times, up to 12 hours"]),
    ("es_ES", 72, 1, 48, ["al menos 72 horas antes", "tu cita una vez, hasta 48 horas"]),
    ("es_ES", 24, 2, 12, ["al menos 24 horas antes", "tu cita 2 veces, hasta 12 horas"]),
]


@pytest.mark.parametrize(
    ("settings_more", "policy", "expected"),
    [
        (
            {"locale": locale},
            {"refundable_until_hours": hours, "reschedule": {"max": moves, "notice_hours": notice}},
            expected,
        )
        for locale, hours, moves, notice, expected in _WORDS
    ],
)
async def test_the_deposit_links_sentences_follow_the_studio_file(
    studio_running: Running, settings_more: dict[str, Any], expected: list[str]
) -> None:
    """One value in STUDIO_FILE, two places: the sentence the lead reads with the link."""
    lead, _, offer = await offered(studio_running, settings_more["locale"])
    link = await the_link(studio_running, lead, offer)
    for sentence in expected:
        assert sentence in link.text


@pytest.mark.parametrize(("settings_more", "policy"), [({}, {})])
async def test_without_a_refund_rule_the_lead_reads_non_refundable(
    studio_running: Running,
) -> None:
    lead, _, offer = await offered(studio_running)
    link = await the_link(studio_running, lead, offer)
    assert "The deposit is non-refundable if you cancel." in link.text
    assert "can't be moved here" in link.text


# -- the refund window, from the same value ----------------------------------------------------

_EARLY = {"min_notice_hours": 240, "reminder_offsets_minutes": [7200, 720]}


@pytest.mark.parametrize(("studio_top", "policy"), [(_EARLY, {"refundable_until_hours": 100})])
@pytest.mark.parametrize(("minutes_before", "refunded"), [(7200, True), (720, False)])
async def test_a_leads_cancel_is_refunded_inside_the_policys_window_only(
    studio_running: Running,
    stripe_fake: FakeStripe,
    clock: FakeClock,
    minutes_before: int,
    refunded: bool,
) -> None:
    """`refundable_until_hours: 100`: cancelled five days ahead, the deposit comes back,
    once; twelve hours ahead, it is kept. The message names the rule that applied."""
    running = studio_running
    lead, _, offer = await offered(running)
    start = int(next(r for r in buttons_of(offer) if r.startswith("slot:")).removeprefix("slot:"))
    link = await the_link(running, lead, offer)
    assert "at least 100 hours before" in link.text
    paid = stripe_fake.complete((await session_of(running, stripe_fake))["id"])
    assert await post_stripe(running, event("checkout.session.completed", paid)) == 200
    await lead.next_message()  # booked
    if not refunded:
        clock.advance(start - 7200 * 60 - clock.now().timestamp())
        await next_with_button(lead, "visit_cancel")  # five days before: not taken up
    stripe_fake.fail_next(StripeFailure.lost_response())
    cancelled = await cancel_from_the_reminder(running, clock, start, lead, minutes_before)
    if refunded:
        assert "at least 100 hours ahead, your £50.00 deposit will be refunded" in cancelled.text
        await refunded_once(running, stripe_fake, str(paid["payment_intent"]))
    else:
        assert "less than 100 hours ahead, your £50.00 deposit is kept" in cancelled.text
        await lead.settle()
        assert stripe_fake.refund_requests() == []
    assert await status(running) == "CANCELLED"


# -- a piece of several sessions ----------------------------------------------------------------


async def approved_by_admin(running: Running, query: str) -> tuple[Phone, Phone, SentMessage]:
    """A lead qualified and confirmed, approved through the admin API with `query`."""
    lead, artist = Phone(running, LEAD), Phone(running, ARTIST, name="Artist")
    summary = await lead.to_the_summary()
    await lead.tap(summary, "confirm")
    await lead.next_message()
    response = await running.client.post(
        f"/admin/leads/{LEAD}/approve?{query}", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
    )
    assert response.status_code == 200, await response.get_data()
    return lead, artist, await lead.next_message()


def first_slot(offer: SentMessage) -> int:
    return int(next(r for r in buttons_of(offer) if r.startswith("slot:")).removeprefix("slot:"))


async def lead_money(running: Running) -> dict[str, Any]:
    response = await running.client.get(
        f"/admin/leads/{LEAD}", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
    )
    money: dict[str, Any] = (await response.get_json())["money"]
    return money


@pytest.mark.parametrize(
    ("policy", "settings_more"),
    [({"refundable_until_hours": 72}, {"public_base_url": "https://studio.example"})],
)
async def test_a_two_session_piece_books_both_with_one_deposit_off_the_final_price(
    studio_running: Running, stripe_fake: FakeStripe, clock: FakeClock
) -> None:
    running = studio_running
    lead, _, offer = await approved_by_admin(
        running, "deposit_minor=8000&quote_minor=40000&sessions=2"
    )
    start = first_slot(offer)
    link = await the_link(running, lead, offer)
    assert "£80.00 deposit" in link.text
    session = await session_of(running, stripe_fake)
    assert session["amount_total"] == 8000
    paid = stripe_fake.complete(session["id"])
    assert await post_stripe(running, event("checkout.session.completed", paid)) == 200
    first = await lead.next_message()
    assert "your deposit of £80.00 is paid" in first.text
    assert "for session 1 of 2 on" in first.text
    assert "Where: Unit 4, 12 Example Street" in first.text

    # Session 1 ends (two hours), aftercare two hours later: and the next session's button.
    clock.advance(start + 4 * 3600 + 60 - clock.now().timestamp())
    nudge = await next_with_button(lead, "next_session")
    # Days after the lead last wrote: the template, with session 2 of 2 and the button.
    assert (nudge.template_name, nudge.text) == ("next_session", "template next_session: 2 | 2")
    assert await status(running) == "BOOKED"  # between sessions: booked, with no time

    await lead.tap(nudge, "next_session", at=int(clock.now().timestamp()))  # days later
    offer = await lead.next_message()
    assert offer.text.startswith("Pick a time for your next session.")
    second = first_slot(offer)
    assert second > start
    await lead.tap(offer, f"slot:{second}", at=int(clock.now().timestamp()))
    confirmed = await lead.next_message()
    assert "session 2 of 2" in confirmed.text
    assert "£320.00 to pay on the day: £400.00 less your £80.00 deposit." in confirmed.text
    assert confirmed.text.endswith("Where: Unit 4, 12 Example Street, London E1 6AN")
    assert await status(running) == "BOOKED"
    lead_id = await running.pool.fetchval("SELECT lead_id::text FROM leads WHERE lead_key=$1", LEAD)
    assert len(stripe_fake.sessions_for(lead_id)) == 1  # one deposit for the piece
    live = await running.pool.fetchval(
        "SELECT extract(epoch FROM starts_at)::bigint FROM appointments"
        " WHERE status = 'live' AND kind = 'appointment'"
    )
    assert live == second
    money = await lead_money(running)
    assert (money["quote_minor"], money["balance_minor"]) == (40000, 32000)
    assert (money["sessions"], money["sessions_booked"]) == (2, 2)
    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    url = (await (await running.client.get("/admin/calendar", headers=auth)).get_json())["url"]
    feed = await (await running.client.get(url.removeprefix("https://studio.example"))).get_data()
    (second_event,) = icalendar.Calendar.from_ical(feed).walk("VEVENT")
    described = str(second_event["DESCRIPTION"])  # on the artist's phone
    assert "Session 2 of 2" in described
    assert "Balance to pay on the day: £320.00" in described

    # The last session ends: done, with no third nudge.
    clock.advance(second + 4 * 3600 + 60 - clock.now().timestamp())
    aftercare = await lead.next_message()
    while "Aftercare" not in aftercare.text and aftercare.template_name != "aftercare":
        aftercare = await lead.next_message()
    await lead.settle()
    assert all("next_session" not in buttons_of(m) for m in await lead.unread())
    assert await status(running) == "DONE"


@pytest.mark.parametrize(("policy"), [{"deposit": {"percent_of_quote": 20, "minimum": "30.00"}}])
@pytest.mark.parametrize(("quote", "deposit"), [(40000, 8000), (10000, 3000)])
async def test_a_percent_of_quote_deposit_is_the_amount_linked_and_paid(
    studio_running: Running, stripe_fake: FakeStripe, quote: int, deposit: int
) -> None:
    """20% of £400.00 is £80.00; of £100.00 it would be £20.00, under the £30.00 minimum."""
    running = studio_running
    lead, _, offer = await approved_by_admin(running, f"quote_minor={quote}")
    link = await the_link(running, lead, offer)
    session = await session_of(running, stripe_fake)
    assert session["amount_total"] == deposit
    written = f"£{deposit // 100}.00"
    assert f"{written} deposit" in link.text
    paid = stripe_fake.complete(session["id"])
    assert await post_stripe(running, event("checkout.session.completed", paid)) == 200
    assert f"your deposit of {written} is paid" in (await lead.next_message()).text
    assert await status(running) == "BOOKED"


# -- no-show -----------------------------------------------------------------------------------

PASSWORD = "studio-password-for-policy"


async def signed_in(running: Running) -> None:
    token = await form_token(await running.client.get("/studio/login"))
    answer = await running.client.post(
        "/studio/login/password", form={"csrf": token, "password": PASSWORD}
    )
    assert answer.status_code == 303


async def booked_and_paid(
    running: Running, stripe_fake: FakeStripe
) -> tuple[Phone, Phone, int, str]:
    """A lead booked into the first free time and paid: the lead, the artist, the start,
    the payment intent."""
    lead, artist, offer = await offered(running)
    start = first_slot(offer)
    await the_link(running, lead, offer)
    paid = stripe_fake.complete((await session_of(running, stripe_fake))["id"])
    assert await post_stripe(running, event("checkout.session.completed", paid)) == 200
    assert "is paid" in (await lead.next_message()).text
    return lead, artist, start, str(paid["payment_intent"])


async def page_act(running: Running, action: str, **fields: str) -> Any:
    """The lead page's form for `action`, posted as the page posts it."""
    lead_id = await running.pool.fetchval("SELECT lead_id::text FROM leads WHERE lead_key=$1", LEAD)
    page = await running.client.get(f"/studio/leads/{lead_id}")
    token = await form_token(page)
    return await running.client.post(
        f"/studio/leads/{lead_id}/act", form={"csrf": token, "action": action, **fields}
    )


@pytest.mark.parametrize(
    ("policy", "settings_more"),
    [({"no_show": {"keeps_deposit": True, "late_minutes": 30}}, {"studio_password": PASSWORD})],
)
@pytest.mark.parametrize("via", ["page", "artist's button"])
async def test_a_no_show_keeps_the_deposit_from_the_page_or_the_artists_button(
    studio_running: Running, stripe_fake: FakeStripe, clock: FakeClock, via: str
) -> None:
    running = studio_running
    lead, artist, start, intent = await booked_and_paid(running, stripe_fake)
    clock.advance(start + 2 * 3600 + 60 - clock.now().timestamp())  # the session's end
    ended = await next_with_button(artist, f"no_show:{LEAD}")
    assert "has ended. Did they come?" in ended.text
    assert set(buttons_of(ended)) == {f"came:{LEAD}", f"no_show:{LEAD}"}
    if via == "page":
        await signed_in(running)
        answer = await page_act(running, "no_show", confirm="yes")
        assert answer.status_code == 303
    else:  # the button asks first, naming the money; only "Yes" acts
        await artist.tap(ended, f"no_show:{LEAD}", at=int(clock.now().timestamp()))
        asked = await next_with_button(artist, f"sure_no_show:{LEAD}")
        assert asked.text.startswith("Mark Ana")
        assert asked.text.endswith("Keeps their £50.00 deposit, as the studio's policy says.")
        assert await status(running) == "BOOKED"
        await artist.tap(asked, f"sure_no_show:{LEAD}", at=int(clock.now().timestamp()))
    told = await lead.next_message()
    while told.template_name != "no_show":  # days after the lead wrote: the template
        told = await lead.next_message()
    assert await status(running) == "NO_SHOW"
    await lead.settle()
    assert stripe_fake.refunds_of(intent) == []
    money = await lead_money(running)
    assert (money["kept_minor"], money["refundable_minor"]) == (5000, 5000)
    noted = await running.pool.fetchval("SELECT count(*) FROM system_events WHERE kind = 'no_show'")
    assert noted == 1


@pytest.mark.parametrize("policy", [{"no_show": {"keeps_deposit": False}}])
async def test_a_no_show_under_a_refunding_policy_gives_the_deposit_back(
    studio_running: Running, stripe_fake: FakeStripe, clock: FakeClock
) -> None:
    running = studio_running
    lead, _, start, intent = await booked_and_paid(running, stripe_fake)
    clock.advance(start + 60 - clock.now().timestamp())  # the appointment has started
    response = await running.client.post(
        f"/admin/leads/{LEAD}/no-show", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
    )
    assert response.status_code == 200, await response.get_data()
    told = await lead.next_message()
    while told.template_name != "no_show":
        told = await lead.next_message()
    await eventually(lambda: len(stripe_fake.refunds_of(intent)) == 1, what="the refund")
    assert await status(running) == "NO_SHOW"


# -- reschedules: how many, with what notice ----------------------------------------------------


async def reschedule_from_the_reminder(
    running: Running, clock: FakeClock, lead: Phone, start: int, minutes_before: int
) -> SentMessage:
    """The reminder `minutes_before` the start comes; the lead taps Reschedule: the reply."""
    clock.advance(start - minutes_before * 60 - clock.now().timestamp())
    reminder = await next_with_button(lead, "visit_reschedule")
    await lead.tap(reminder, "visit_reschedule", at=int(clock.now().timestamp()))
    return await lead.next_message()


_MOVES = {"max": 1, "notice_hours": 48}


@pytest.mark.parametrize(
    ("studio_top", "policy"), [(_EARLY, {"reschedule": _MOVES, "refundable_until_hours": 72})]
)
async def test_one_move_with_48_hours_notice_then_no_more(
    studio_running: Running, stripe_fake: FakeStripe, clock: FakeClock
) -> None:
    """`reschedule: {max: 1, notice_hours: 48}`: five days ahead the lead may move it, once;
    the moved appointment cannot be moved again, and the reminder says so in the file's words."""
    running = studio_running
    lead, artist, start, _ = await booked_and_paid(running, stripe_fake)
    offer = await reschedule_from_the_reminder(running, clock, lead, start, 7200)
    assert offer.text.startswith("Sure. Pick a new time")
    moved_to = max(int(r.removeprefix("slot:")) for r in buttons_of(offer) if r.startswith("slot:"))
    await lead.tap(offer, f"slot:{moved_to}", at=int(clock.now().timestamp()))
    assert (await lead.next_message()).text.startswith("Done: your appointment is now on")
    assert await status(running) == "BOOKED"

    refused = await reschedule_from_the_reminder(running, clock, lead, moved_to, 7200)
    assert "can no longer be moved here" in refused.text
    told = [m.text for m in await artist.unread()]
    assert any("past the reschedule policy" in text for text in told)


@pytest.mark.parametrize(
    ("studio_top", "policy"), [(_EARLY, {"reschedule": _MOVES, "refundable_until_hours": 72})]
)
async def test_a_move_inside_the_notice_is_refused(
    studio_running: Running, stripe_fake: FakeStripe, clock: FakeClock
) -> None:
    """Twelve hours before, under 48 hours' notice: refused, the time stays as it was."""
    running = studio_running
    lead, _, start, _ = await booked_and_paid(running, stripe_fake)
    clock.advance(start - 7200 * 60 - clock.now().timestamp())
    await next_with_button(lead, "visit_reschedule")  # five days before: not taken up
    refused = await reschedule_from_the_reminder(running, clock, lead, start, 720)
    assert "can no longer be moved here" in refused.text
    live = await running.pool.fetchval(
        "SELECT extract(epoch FROM starts_at)::bigint FROM appointments WHERE status = 'live'"
    )
    assert live == start


# -- a drawing fee -------------------------------------------------------------------------------


@pytest.mark.parametrize("policy", [{"drawing_fee": "25.00", "refundable_until_hours": 72}])
async def test_a_drawing_fee_is_its_own_line_and_never_refunded(
    studio_running: Running, stripe_fake: FakeStripe
) -> None:
    """`drawing_fee: "25.00"`: the Checkout Session has the deposit and the fee as two lines,
    the lead reads the rule, pays £75.00 and is booked; the artist's cancel refunds the
    £50.00 deposit in full, never the fee."""
    running = studio_running
    lead, _, offer = await offered(running)
    link = await the_link(running, lead, offer)
    assert "The £25.00 drawing fee is paid with it" in link.text
    (create,) = stripe_fake.create_requests()
    lines = create.params["line_items"]
    assert [int(line["price_data"]["unit_amount"]) for line in lines] == [5000, 2500]
    assert lines[1]["price_data"]["product_data"]["name"] == "Drawing fee"
    session = await session_of(running, stripe_fake)
    assert session["amount_total"] == 7500
    paid = stripe_fake.complete(session["id"])
    assert await post_stripe(running, event("checkout.session.completed", paid)) == 200
    assert "your deposit of £50.00 is paid" in (await lead.next_message()).text
    assert await status(running) == "BOOKED"

    response = await running.client.post(
        f"/admin/leads/{LEAD}/cancel", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
    )
    assert response.status_code == 200, await response.get_data()
    intent = str(paid["payment_intent"])
    await eventually(lambda: len(stripe_fake.refunds_of(intent)) == 1, what="the refund")
    assert [r["amount"] for r in stripe_fake.refunds_of(intent)] == [5000]


# -- destructive actions ask first ---------------------------------------------------------------


async def confirmed_lead(running: Running) -> Phone:
    """A lead who answered everything and confirmed: waiting for the artist."""
    lead = Phone(running, LEAD)
    summary = await lead.to_the_summary()
    await lead.tap(summary, "confirm")
    await lead.next_message()
    return lead


async def timers_quiet(running: Running, clock: FakeClock) -> None:
    """Every timer due by the test clock has fired."""

    async def quiet() -> bool:
        due = await running.pool.fetchval(
            "SELECT count(*) FROM timers WHERE status = 'pending' AND due_at <= $1", clock.now()
        )
        return bool(due == 0)

    await eventually(quiet, what="the due timers to fire")


async def outbox_rows(running: Running) -> int:
    found: int = await running.pool.fetchval("SELECT count(*) FROM outbox")
    return found


_ASKED = [
    ("decline", {}, False, ["Decline Ana?", "nothing is charged"], "REJECTED"),
    ("opt_out", {}, False, ["Opt Ana out?", "no more messages"], "OPTOUT"),
    ("cancel", {}, True, ["Refunds all £50.00 of their £50.00 deposit to their card."],
     "CANCELLED"),
    ("refund", {"amount": "30", "refund_number": "1"}, True,
     ["Refunds £30.00 of their £50.00 deposit to their card.", "£20.00 stays paid."], "BOOKED"),
    ("no_show", {}, True, ["Keeps their £50.00 deposit, as the studio"], "NO_SHOW"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("policy", "settings_more"), [({"refundable_until_hours": 72}, {"studio_password": PASSWORD})]
)
@pytest.mark.parametrize(("action", "fields", "booked", "words", "after"), _ASKED)
async def test_a_destructive_action_changes_nothing_until_its_second_tap(
    studio_running: Running,
    stripe_fake: FakeStripe,
    clock: FakeClock,
    action: str,
    fields: dict[str, str],
    booked: bool,
    words: list[str],
    after: str,
) -> None:
    running = studio_running
    if booked:
        lead, _, start, intent = await booked_and_paid(running, stripe_fake)
        if action == "no_show":
            clock.advance(start + 60 - clock.now().timestamp())
            await timers_quiet(running, clock)  # the reminders now past have gone
    else:
        lead, intent = await confirmed_lead(running), ""
    await lead.settle()
    before, rows = await status(running), await outbox_rows(running)
    await signed_in(running)

    asked = await page_act(running, action, **fields)  # the first tap
    assert asked.status_code == 200
    page = await asked.get_data(as_text=True)
    for sentence in words:
        assert sentence in page
    assert "Nothing has changed yet." in page
    assert 'name="confirm" value="yes"' in page
    await lead.settle()
    assert (await status(running), await outbox_rows(running)) == (before, rows)
    assert stripe_fake.refund_requests() == []

    lead_id = await running.pool.fetchval("SELECT lead_id::text FROM leads WHERE lead_key=$1", LEAD)
    second = {"csrf": await form_token(asked), "action": action, "confirm": "yes", **fields}
    done = await running.client.post(f"/studio/leads/{lead_id}/act", form=second)
    assert done.status_code == 303
    assert await status(running) == after
    again = await running.client.post(f"/studio/leads/{lead_id}/act", form=second)
    # The same confirmation again changes nothing more (a refund's £30.00 is now more than
    # the £20.00 left: refused, saying so).
    assert again.status_code == (422 if action == "refund" else 303)
    if action in ("cancel", "refund"):
        await eventually(lambda: len(stripe_fake.refunds_of(intent)) == 1, what="one refund")
        await lead.settle()
        assert len(stripe_fake.refunds_of(intent)) == 1


_EACH = {"refundable_until_hours": 72, "sessions": {"deposit_each_session": True}}


@pytest.mark.parametrize(
    ("policy", "settings_more"), [(_EACH, {"public_base_url": "https://studio.example"})]
)
async def test_each_session_of_a_piece_books_on_its_own_deposit(
    studio_running: Running, stripe_fake: FakeStripe, clock: FakeClock
) -> None:
    """`deposit_each_session: true`: the second session's pick holds its time and sends a
    Checkout link of its own for the deposit; the session is booked only when Stripe's
    signed webhook says it is paid, and the balance takes off both deposits."""
    running = studio_running
    lead, _, offer = await approved_by_admin(
        running, "deposit_minor=8000&quote_minor=40000&sessions=2"
    )
    start = first_slot(offer)
    await the_link(running, lead, offer)
    paid = stripe_fake.complete((await session_of(running, stripe_fake))["id"])
    assert await post_stripe(running, event("checkout.session.completed", paid)) == 200
    assert "for session 1 of 2 on" in (await lead.next_message()).text

    clock.advance(start + 4 * 3600 + 60 - clock.now().timestamp())
    nudge = await next_with_button(lead, "next_session")
    await lead.tap(nudge, "next_session", at=int(clock.now().timestamp()))
    offer = await lead.next_message()
    second = first_slot(offer)
    await lead.tap(offer, f"slot:{second}", at=int(clock.now().timestamp()))
    assert "is held for you" in (await lead.next_message()).text
    link = await lead.next_message()
    assert link.text.startswith("Session 2 is yours once its own deposit is paid")
    assert "£80.00 deposit here: https://" in link.text
    assert await status(running) == "BOOKING_PENDING"
    lead_id = await running.pool.fetchval("SELECT lead_id::text FROM leads WHERE lead_key=$1", LEAD)
    sessions = stripe_fake.sessions_for(lead_id)
    assert [s["amount_total"] for s in sessions] == [8000, 8000]  # a Checkout Session each
    assert sessions[1]["url"] in link.text
    booked = await running.pool.fetchval(
        "SELECT count(*) FROM appointments WHERE status = 'live' AND kind = 'appointment'"
    )
    assert booked == 0  # held, not booked, until its deposit is paid

    again = stripe_fake.complete(sessions[1]["id"])
    assert await post_stripe(running, event("checkout.session.completed", again)) == 200
    confirmed = await lead.next_message()
    while confirmed.text.startswith("A quick reminder"):  # the link's, due by the test clock
        confirmed = await lead.next_message()
    assert "session 2 of 2" in confirmed.text
    assert "£240.00 to pay on the day: £400.00 less your £160.00 deposit." in confirmed.text
    assert confirmed.text.endswith("Where: Unit 4, 12 Example Street, London E1 6AN")
    assert await status(running) == "BOOKED"
    live = await running.pool.fetchval(
        "SELECT extract(epoch FROM starts_at)::bigint FROM appointments"
        " WHERE status = 'live' AND kind = 'appointment'"
    )
    assert live == second
    money = await lead_money(running)
    assert (money["paid_minor"], money["balance_minor"]) == (16000, 24000)
    assert (money["sessions"], money["sessions_booked"]) == (2, 2)
    auth = {"Authorization": f"Bearer {ADMIN_TOKEN}"}
    url = (await (await running.client.get("/admin/calendar", headers=auth)).get_json())["url"]
    feed = await (await running.client.get(url.removeprefix("https://studio.example"))).get_data()
    (second_event,) = icalendar.Calendar.from_ical(feed).walk("VEVENT")
    assert "Balance to pay on the day: £240.00" in str(second_event["DESCRIPTION"])

    # The artist cancels the second session: its own deposit comes back, once.
    response = await running.client.post(f"/admin/leads/{LEAD}/cancel", headers=auth)
    assert response.status_code == 200, await response.get_data()
    intent = str(again["payment_intent"])
    await eventually(lambda: len(stripe_fake.refunds_of(intent)) == 1, what="the refund")
    assert [r["amount"] for r in stripe_fake.refunds_of(intent)] == [8000]
    assert stripe_fake.refunds_of(str(paid["payment_intent"])) == []
