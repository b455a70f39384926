"""
Two studios on one deployment, for the many-studio tests: the default studio from the
app's settings (en_GB, the fake Graph's first number, the platform's Stripe key, the
example studio file) and a stored one added with the real `booking-assistant studios
add` on the test database while the app runs (es_ES, a number and token of its own, a
Connect account or a Stripe key of its own, a studio file with other hours, its own
artist, password and admin token).

WhatsApp's side speaks per number: `at(running, number)` is the app as Meta reaches it
for one business number (every change it posts names that number in
`value.metadata.phone_number_id`), and `StudioPhone` reads only what was sent from the
number it writes to, so one person writing to both studios is two phones.
"""

from __future__ import annotations

import os
import shutil
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import anyio
import yaml

from fakes.graph import FakeGraphApi, GraphServer, SentMessage
from fakes.stripe_api import FakeStripe, StripeServer
from storage.pool import Pool
from tests.studio_example import example_data, example_without_consent
from tests.waiting import eventually
from tests.web.conftest import Running, test_settings
from tests.web.phone import Phone
from web import create_app
from web.services import directory_of

__all__ = [
    "DEFAULT_ARTIST",
    "DEFAULT_NUMBER",
    "STORED",
    "StripeMode",
    "StudioPhone",
    "Studios",
    "at",
    "lead_of",
    "run_studios_command",
    "two_studios",
]

DEFAULT_NUMBER = "100200300"  # the fake Graph's first number (FakeGraphApi's default)
DEFAULT_ARTIST = "447700900999"
StripeMode = Literal["connect", "own_key"]


@dataclass(frozen=True)
class StoredStudio:
    slug: str = "estudio-sur"
    number: str = "100200411"
    token: str = "stored-studio-graph-token"
    artist: str = "34600900999"
    account: str = "acct_1EstudioSur000001"
    stripe_key: str = "sk_test_estudio_sur_own_key_0001"
    webhook_secret: str = "whsec_estudio_sur_own_endpoint"
    admin_token: str = "estudio-sur-admin-token-0123456789"
    password: str = "estudio-sur-password"
    locale: str = "es_ES"
    timezone: str = "Europe/Madrid"
    deposit_minor: int = 4000
    currency: str = "eur"


STORED = StoredStudio()


class NumberedRunning(Running):
    """The app as Meta reaches it for one business number."""

    number: str = DEFAULT_NUMBER

    async def post_signed(self, payload: dict[str, Any], **headers: str) -> Any:
        for entry in payload.get("entry", []):
            for change in entry.get("changes", []):
                metadata = change.get("value", {}).get("metadata")
                if isinstance(metadata, dict):
                    metadata["phone_number_id"] = self.number
        return await super().post_signed(payload, **headers)


def at(running: Running, number: str) -> Running:
    """`running` as Meta reaches it for `number`."""
    reached = NumberedRunning(running.app, running.client, running.graph, running.pool)
    reached.number = number
    return reached


@dataclass
class StudioPhone(Phone):
    """A person writing to one business number; reads only what that number sent them."""

    def inbox(self) -> list[SentMessage]:
        number = getattr(self.running, "number", DEFAULT_NUMBER)
        return [m for m in super().inbox() if m.phone_number_id == number]


@dataclass
class Studios:
    running: Running  # the one app, reached for the default studio's number
    graph: FakeGraphApi
    stripe: FakeStripe
    stored_id: int
    stripe_mode: StripeMode
    base_settings: dict[str, Any]

    def default(self) -> Running:
        return at(self.running, DEFAULT_NUMBER)

    def stored(self) -> Running:
        return at(self.running, STORED.number)


def stored_studio_file(folder: Path) -> Path:
    """The example studio with other hours, in Madrid, without consent."""
    data = example_data()
    data["timezone"] = STORED.timezone
    data["address"] = "Calle del Ejemplo 7, 28004 Madrid"
    data["hours"] = {day: [["11:00", "20:00"]] for day in data["hours"]}
    data["hours"]["sunday"] = []
    data["hours"]["saturday"] = [["12:00", "15:00"]]
    data.pop("session_presets", None)
    path = folder / "estudio.yml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    return path


def _command() -> list[str]:
    beside = Path(sys.executable).parent / "booking-assistant"
    found = str(beside) if beside.exists() else shutil.which("booking-assistant")
    assert found is not None, "the booking-assistant console script is not installed"
    return [found]


async def run_studios_command(
    database_url: str, *args: str, env: dict[str, str] | None = None
) -> tuple[int, str, str]:
    """`booking-assistant studios <args>` on the test database: exit status, out, err."""
    environ = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": os.environ.get("HOME", "/tmp"),
        "DATABASE_URL": database_url,
        **(env or {}),
    }
    done = await anyio.run_process([*_command(), "studios", *args], env=environ, check=False)
    return done.returncode, done.stdout.decode(), done.stderr.decode()


async def add_stored_studio(database_url: str, folder: Path, stripe_mode: StripeMode) -> None:
    """The stored studio, added as an operator adds it (secrets from the environment)."""
    secrets = {
        "STORED_TOKEN": STORED.token,
        "STORED_ADMIN": STORED.admin_token,
        "STORED_PASSWORD": STORED.password,
        "STORED_STRIPE_KEY": STORED.stripe_key,
        "STORED_WEBHOOK_SECRET": STORED.webhook_secret,
    }
    stripe = (
        ["--stripe-account", STORED.account]
        if stripe_mode == "connect"
        else [
            "--stripe-key",
            "env:STORED_STRIPE_KEY",
            "--stripe-webhook-secret",
            "env:STORED_WEBHOOK_SECRET",
        ]
    )
    status, out, err = await run_studios_command(
        database_url,
        "add",
        STORED.slug,
        "--phone-number-id",
        STORED.number,
        "--access-token",
        "env:STORED_TOKEN",
        "--name",
        "Estudio Sur",
        "--locale",
        STORED.locale,
        "--artist",
        STORED.artist,
        "--studio-file",
        str(stored_studio_file(folder)),
        "--deposit-amount-minor",
        str(STORED.deposit_minor),
        "--deposit-currency",
        STORED.currency,
        "--password",
        "env:STORED_PASSWORD",
        "--admin-token",
        "env:STORED_ADMIN",
        *stripe,
        env=secrets,
    )
    assert status == 0, err
    assert out.startswith(f"added {STORED.slug} (id "), out


@asynccontextmanager
async def two_studios(
    database_url: str,
    pool: Pool,
    graph_server: GraphServer,
    stripe_fake: FakeStripe,
    stripe_server: StripeServer,
    folder: Path,
    *,
    stripe_mode: StripeMode = "connect",
    **overrides: Any,
) -> AsyncIterator[Studios]:
    """One app serving the default studio; the stored studio added while it runs, and
    answering (its cell open) within the 10 seconds every replica has to see it."""
    graph = graph_server.fake
    graph.add_number(STORED.number, STORED.token)
    stripe_fake.connect(STORED.account)
    stripe_fake.add_account(STORED.stripe_key)
    base = {
        "artist_whatsapp_number": DEFAULT_ARTIST,
        "studio_file": example_without_consent(),
        "stripe_api_key": stripe_fake.api_key,
        "stripe_api_base": stripe_server.base_url,
        "stripe_webhook_secret": stripe_fake.webhook_secret,
        "studio_password": "default-studio-password",
        "public_base_url": "https://studios.test",
        **overrides,
    }
    app = create_app(test_settings(database_url, graph_server, **base))
    async with app.test_app() as test_app:
        running = Running(app, test_app.test_client(), graph, pool)
        await add_stored_studio(database_url, folder, stripe_mode)
        stored_id = int(await pool.fetchval("SELECT id FROM studios WHERE slug = $1", STORED.slug))

        def answers() -> bool:
            return directory_of(app.extensions).by_slug(STORED.slug) is not None

        await eventually(answers, timeout_s=10.0, what="the stored studio to answer")
        yield Studios(running, graph, stripe_fake, stored_id, stripe_mode, base)


async def lead_of(pool: Pool, studio_id: int, wa_id: str) -> dict[str, Any] | None:
    """A studio's lead known by `wa_id` (read past the policies, as the test's superuser)."""
    found = await pool.fetchrow(
        """
        SELECT l.lead_key, l.lead_id::text AS lead_id, l.status
        FROM leads l
        WHERE l.studio_id = $1 AND (l.lead_key = $2 OR l.lead_key IN (
            SELECT lead_key FROM lead_identities
            WHERE studio_id = $1 AND kind = 'wa_id' AND value = $2))
        """,
        studio_id,
        wa_id,
    )
    return None if found is None else dict(found)
