"""
The operator's book of studios as a deployment lives it: a change for a number that is
no studio's, a studio added, disabled and enabled while the service runs (each replica
follows within 10 s), the operator's list, and the `studios` command's refusals.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from actors.tenants import StudioBook
from fakes.meta import text_message, webhook
from storage import Database
from tests.waiting import eventually
from tests.web.conftest import ADMIN_TOKEN, Running
from tests.web.phone import meta_timestamp

pytestmark = pytest.mark.anyio

NORTH_NUMBER = "5550001"
NORTH_TOKEN = "north-admin-token-0123456789abcd"


def _to(number: str, wa_id: str, message_id: str, text: str) -> dict[str, Any]:
    payload = webhook([text_message(wa_id, message_id, text, meta_timestamp())])
    payload["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = number
    return payload


async def _events(running: Running, kind: str) -> list[dict[str, Any]]:
    rows = await running.pool.fetch(
        "SELECT studio_id, detail FROM system_events WHERE kind = $1", kind
    )
    return [{"studio_id": r["studio_id"], **r["detail"]} for r in rows]


async def _status(running: Running, path: str, token: str) -> int:
    answer = await running.client.get(path, headers={"Authorization": f"Bearer {token}"})
    return answer.status_code


async def test_a_change_for_no_studios_number_is_acknowledged_and_makes_no_lead(
    running: Running,
) -> None:
    answer = await running.post_signed(_to("999000111", "447700900111", "wamid.NOBODY", "hi"))

    assert answer.status_code == 200
    assert (await answer.get_json())["received"] == {"no_studio": 1}
    assert await running.pool.fetchval("SELECT count(*) FROM leads") == 0
    assert await running.pool.fetchval("SELECT count(*) FROM outbox") == 0
    events = await _events(running, "unknown_phone_number_id")
    assert events == [{"studio_id": 1, "phone_number_id": "999000111", "changes": 1}]
    assert running.graph.sent == []


async def test_a_studio_added_disabled_and_enabled_is_followed_without_a_restart(
    running: Running, database_url: str
) -> None:
    async with Database.open(database_url, min_size=1, max_size=2) as db:
        book = StudioBook(db)
        await book.add("north", NORTH_NUMBER, {"admin_token": NORTH_TOKEN, "locale": "es_ES"})

        async def opened() -> bool:  # its page answers (no token is tried: none counts)
            return (await running.client.get("/s/north/studio/login")).status_code == 200

        await eventually(opened, timeout_s=10)
        assert await _status(running, "/s/north/admin/leads", NORTH_TOKEN) == 200
        # Its token opens its own API only; the operator's opens it too.
        assert await _status(running, "/admin/leads", NORTH_TOKEN) == 401
        assert await _status(running, "/s/north/admin/leads", ADMIN_TOKEN) == 200
        assert await _status(running, "/s/nowhere/admin/leads", ADMIN_TOKEN) == 404

        await book.set_enabled("north", False)

        async def closed() -> bool:
            return (await running.client.get("/s/north/studio/login")).status_code == 404

        await eventually(closed, timeout_s=10)
        assert await _status(running, "/s/north/admin/leads", NORTH_TOKEN) == 401
        assert await _status(running, "/s/north/admin/leads", ADMIN_TOKEN) == 200
        answer = await running.post_signed(
            _to(NORTH_NUMBER, "447700900222", "wamid.DISABLED", "hola")
        )
        assert (await answer.get_json())["received"] == {"no_studio": 1}
        assert await running.pool.fetchval("SELECT count(*) FROM leads") == 0
        disabled = await _events(running, "studio_disabled")
        assert [(e["studio_id"], e["phone_number_id"]) for e in disabled] == [(2, NORTH_NUMBER)]

        await book.set_enabled("north", True)
        await eventually(opened, timeout_s=10)
        assert await _status(running, "/s/north/admin/leads", NORTH_TOKEN) == 200
        answer = await running.post_signed(
            _to(NORTH_NUMBER, "447700900222", "wamid.ENABLED", "hola")
        )
        assert (await answer.get_json())["received"] == {"processed": 1}
        north_leads = await running.pool.fetch("SELECT studio_id, lead_key FROM leads")
        assert [r["studio_id"] for r in north_leads] == [2]
        assert north_leads[0]["lead_key"] != "447700900222"  # keyed by its own lead id


async def test_the_operator_lists_every_studio_and_no_secret(
    running: Running, database_url: str
) -> None:
    async with Database.open(database_url, min_size=1, max_size=2) as db:
        await StudioBook(db).add(
            "north",
            NORTH_NUMBER,
            {"admin_token": NORTH_TOKEN, "stripe_key": "sk_test_north", "name": "North Ink"},
        )
    answer = await running.client.get(
        "/admin/studios", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"}
    )
    assert answer.status_code == 200
    listed = (await answer.get_json())["items"]
    assert [s["slug"] for s in listed] == ["default", "north"]
    north = listed[1]
    assert north["stripe"] == {"key": "set", "account": None}
    assert north["name"] == "North Ink"
    assert north["enabled"] is True
    assert "sk_test_north" not in json.dumps(listed)
    assert NORTH_TOKEN not in json.dumps(listed)

    async def opened() -> bool:
        return (await running.client.get("/s/north/studio/login")).status_code == 200

    await eventually(opened, timeout_s=10)
    assert await _status(running, "/admin/studios", NORTH_TOKEN) == 401
    assert await _status(running, "/s/north/admin/studios", NORTH_TOKEN) == 404


def _studios(database_url: str, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "web.cli", "studios", *args],
        env={**os.environ, "DATABASE_URL": database_url, "LOG_LEVEL": "warning", **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.slow
async def test_the_studios_command_refuses_in_one_line_and_stores_nothing(
    running: Running, database_url: str, tmp_path: Path
) -> None:
    broken = tmp_path / "broken.yml"
    broken.write_text("hours: [not, a, week\n", encoding="utf-8")
    refusals = {
        ("add", "Default", "--phone-number-id", "5550009"): "a slug is 2-40 characters",
        ("add", "default", "--phone-number-id", "5550009"): "reserved",
        ("add", "south", "--phone-number-id", "100200300"): "--phone-number-id",
        ("add", "south", "--phone-number-id", "5550009", "--locale", "fr_FR"): "--locale",
        ("add", "south", "--phone-number-id", "5550009", "--stripe-key", "pk_x"): "--stripe-key",
        ("add", "south", "--phone-number-id", "5550009", "--studio-file", str(broken)): (
            "--studio-file"
        ),
        ("add", "south", "--phone-number-id", "5550009", "--password", "env:NOT_SET"): (
            "--password: the environment has no NOT_SET"
        ),
        ("set", "default", "--name", "X"): "only through its environment",
        ("disable", "nowhere"): "nowhere: no such studio",
    }
    for args, why in refusals.items():
        done = _studios(database_url, *args, WHATSAPP_PHONE_NUMBER_ID="100200300")
        assert done.returncode == 2, (args, done.stderr)
        lines = done.stderr.strip().splitlines()
        assert len(lines) == 1, (args, done.stderr)
        assert why in lines[0], (args, done.stderr)
    assert await running.pool.fetchval("SELECT count(*) FROM studios") == 1

    added = _studios(
        database_url,
        "add",
        "south",
        "--phone-number-id",
        "5550009",
        "--password",
        "env:SOUTH_PASSWORD",
        SOUTH_PASSWORD="a-long-studio-password",
    )
    assert added.returncode == 0, added.stderr
    assert added.stdout.strip() == "added south (id 2)"
    listed = _studios(database_url, "list", "--json")
    assert "a-long-studio-password" not in listed.stdout
    assert [s["slug"] for s in json.loads(listed.stdout)] == ["default", "south"]
    again = _studios(database_url, "add", "south", "--phone-number-id", "5550010")
    assert again.returncode == 2
    assert "already" in again.stderr
