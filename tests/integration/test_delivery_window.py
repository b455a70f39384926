"""
WhatsApp's 24-hour window, judged at delivery: free-form inside it, the configured
template outside it (or when Meta answers 131047), and nothing at all when the message
has no template. Plus the start-up check of the template configuration.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import yaml

from actors.copy import Composer, CopyError, load_copy
from actors.providers.whatsapp.templates import Templates
from fakes.graph import FakeGraphApi, GraphFailure
from storage.pool import Pool
from tests.integration.relay_harness import (
    ARTIST,
    COMPOSER,
    COPY_DIR,
    Start,
    add_lead,
    enqueue,
    events,
    outcomes,
    relays,
    statuses,
)
from tests.waiting import eventually
from web.settings import Settings

pytestmark = pytest.mark.anyio

LEAD = "447700900777"
LINK = {"amount": "£50.00", "url": "https://pay.test/s/1"}
DEPOSIT_TEMPLATE = {"deposit_link": {"name": "deposit_link_v1", "language": "en_GB"}}
NOW = datetime.now(UTC)


@pytest.fixture
def graph() -> FakeGraphApi:
    fake = FakeGraphApi()
    fake.approve_template("deposit_link_v1", "en_GB", 2)
    fake.approve_template("declined_v1", "en_GB", 0)
    fake.approve_template("artist_booked_v1", "en_GB", 1)
    return fake


@pytest.fixture
async def start(pool: Pool, graph: FakeGraphApi) -> AsyncIterator[Start]:
    async with relays(pool, graph) as start:
        yield start


def copy_with_templates(tmp_path: Path, templates: Mapping[str, list[str]]) -> Composer:
    """The en_GB copy with its `templates:` section replaced."""
    raw = yaml.safe_load((COPY_DIR / "en_GB.yml").read_text(encoding="utf-8"))
    raw["templates"] = dict(templates)
    (tmp_path / "en_GB.yml").write_text(yaml.safe_dump(raw, allow_unicode=True), encoding="utf-8")
    return Composer(load_copy(tmp_path, "en_GB"))


async def _statuses_are(pool: Pool, expected: list[str]) -> bool:
    return await statuses(pool) == expected


# -- at delivery ---------------------------------------------------------------------


async def test_outside_the_window_the_template_goes_without_trying_free_form(
    pool: Pool, graph: FakeGraphApi, start: Start
) -> None:
    await add_lead(pool, LEAD, NOW - timedelta(hours=25))
    await enqueue(pool, LEAD, ["deposit_link"], params=LINK)
    await start(templates=DEPOSIT_TEMPLATE)
    await eventually(lambda: _statuses_are(pool, ["sent"]))
    assert [r.get("type") for r in graph.received] == ["template"]
    (sent,) = graph.sent
    assert sent.body["template"]["language"] == {"code": "en_GB"}
    assert sent.text == "template deposit_link_v1: £50.00 | https://pay.test/s/1"
    assert sent.body["biz_opaque_callback_data"] == f"m:{LEAD}:0"
    assert await outcomes(pool) == [("sent", None)]


async def test_outside_the_window_without_a_template_it_is_suppressed_with_a_warning(
    pool: Pool, graph: FakeGraphApi, start: Start
) -> None:
    """Suppressed, not dead: nothing failed; and the lead's next row still goes."""
    await add_lead(pool, LEAD, NOW - timedelta(hours=25))
    await enqueue(pool, LEAD, ["declined", "deposit_link"], params=LINK)
    await start(templates=DEPOSIT_TEMPLATE)
    await eventually(lambda: _statuses_are(pool, ["suppressed", "sent"]))
    assert [m.template_name for m in graph.sent] == ["deposit_link_v1"]
    (event,) = await events(pool)
    assert (event.level, event.kind, event.lead_key, event.correlation_id) == (
        "warn",
        "outside_window",
        LEAD,
        "corr-relay",
    )
    assert (event.detail["outbox_id"], event.detail["channel"]) == (1, "whatsapp")


async def test_inside_the_window_messages_go_free_form(
    pool: Pool, graph: FakeGraphApi, start: Start
) -> None:
    await add_lead(pool, LEAD, NOW - timedelta(hours=23))
    await enqueue(pool, LEAD, ["deposit_link"], params=LINK)
    await start(templates=DEPOSIT_TEMPLATE)
    await eventually(lambda: _statuses_are(pool, ["sent"]))
    (sent,) = graph.sent
    assert sent.type == "text"
    assert "https://pay.test/s/1" in sent.text


async def test_131047_becomes_the_template(pool: Pool, graph: FakeGraphApi, start: Start) -> None:
    """We thought the window open (or did not know); Meta says no: the template goes."""
    graph.close_window(LEAD)
    await enqueue(pool, LEAD, ["deposit_link"], params=LINK)  # no leads row: unknown
    await start(templates=DEPOSIT_TEMPLATE)
    await eventually(lambda: _statuses_are(pool, ["sent"]))
    assert [r.get("type") for r in graph.received] == ["text", "template"]
    assert [m.template_name for m in graph.sent] == ["deposit_link_v1"]
    assert await outcomes(pool) == [("sent", None)]


async def test_131047_without_a_template_is_suppressed_not_dead_lettered(
    pool: Pool, graph: FakeGraphApi, start: Start
) -> None:
    graph.fail_next(GraphFailure.outside_window())
    await add_lead(pool, LEAD, NOW - timedelta(hours=1))
    await enqueue(pool, LEAD, ["declined"])
    await start()
    await eventually(lambda: _statuses_are(pool, ["suppressed"]))
    assert graph.sent == []
    assert [(e.level, e.kind) for e in await events(pool)] == [("warn", "outside_window")]


async def test_the_artist_gets_free_form_even_when_the_leads_window_is_closed(
    pool: Pool, graph: FakeGraphApi, start: Start, tmp_path: Path
) -> None:
    """We do not track the artist's window: free-form first, the template on 131047."""
    composer = copy_with_templates(tmp_path, {"artist_booked": ["{name}"]})
    await add_lead(pool, LEAD, NOW - timedelta(days=3))
    notice = {"name": "Ana", "number": LEAD, "link": ""}
    await enqueue(pool, LEAD, ["artist_booked"], to=ARTIST, params=notice)
    templates = {"artist_booked": {"name": "artist_booked_v1"}}  # language: the locale
    await start(templates=templates, composer=composer)
    await eventually(lambda: _statuses_are(pool, ["sent"]))
    assert [m.type for m in graph.to(ARTIST)] == ["text"]

    graph.close_window(ARTIST)
    await enqueue(pool, LEAD, ["artist_booked"], to=ARTIST, params=notice, prefix="again")
    await eventually(lambda: _statuses_are(pool, ["sent", "sent"]))
    assert graph.to(ARTIST)[-1].text == "template artist_booked_v1: Ana"


async def test_a_template_meta_refuses_is_dead_lettered(
    pool: Pool, graph: FakeGraphApi, start: Start
) -> None:
    """A template name Meta does not know (132001) will not start working by retrying."""
    await add_lead(pool, LEAD, NOW - timedelta(hours=30))
    await enqueue(pool, LEAD, ["deposit_link"], params=LINK)
    await start(templates={"deposit_link": {"name": "not_approved", "language": "en_GB"}})
    await eventually(lambda: _statuses_are(pool, ["dead"]))
    assert await outcomes(pool) == [("dead", "132001")]
    assert [e.kind for e in await events(pool)] == ["dead_letter"]


# -- at start-up -----------------------------------------------------------------------


def test_a_configured_template_without_copy_parameters_refuses_to_start() -> None:
    with pytest.raises(CopyError, match=r"templates\.greeting"):
        Templates.from_config(COMPOSER, {"greeting": {"name": "hello"}}, default_language="en_GB")


def test_template_parameters_may_use_only_the_messages_placeholders(
    tmp_path: Path,
) -> None:
    composer = copy_with_templates(tmp_path, {"declined": ["{name}"]})
    with pytest.raises(CopyError, match=r"templates\.declined.*name"):
        Templates.from_config(composer, {"declined": {"name": "d"}}, default_language="en_GB")


def test_a_template_entry_needs_a_name() -> None:
    with pytest.raises(CopyError, match=r"WHATSAPP_TEMPLATES\['declined'\]"):
        Templates.from_config(COMPOSER, {"declined": {"language": "en"}}, default_language="en")


def test_templates_come_from_the_environment_as_json(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("WHATSAPP_TEMPLATES", json.dumps(DEPOSIT_TEMPLATE))
    settings = Settings()
    assert settings.whatsapp_templates == DEPOSIT_TEMPLATE
    templates = Templates.from_config(
        COMPOSER, settings.whatsapp_templates, default_language=settings.locale
    )
    assert templates.keys() == {"deposit_link"}
