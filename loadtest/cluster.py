"""
Everything a load test runs against: a database of its own, the fakes of the Graph API,
Stripe and Sheets (with a Google token endpoint), and N `serve` replicas on that one
database, each sending through its own path on the fake Graph API (so every accepted
message says which replica sent it).

The database is new for the run and dropped after it: on DATABASE_URL's server when it
is set, otherwise on an embedded Postgres of the run's own in a temporary directory,
which the chaos mode may restart. An external server is restarted only by the command
the operator names (`--postgres-restart-command`).
"""

from __future__ import annotations

import asyncio
import contextlib
import shlex
import subprocess
import tempfile
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg

from fakes.google import new_signing_key, public_pem, service_account_file
from fakes.graph import FakeGraphApi
from fakes.graph_process import GraphProcess
from fakes.sheets import FakeSheets, SheetsServer
from fakes.stripe_api import FakeStripe, StripeServer
from loadtest.replicas import ServiceLauncher, ServiceProcess, service_env
from loadtest.studios import Studio, add_studios, options_from, plan_studios
from storage import Database as ServiceDatabase

__all__ = [
    "ARTIST_NUMBER",
    "Cluster",
    "Database",
    "open_cluster",
    "scratch_database",
    "sender_of",
]

ARTIST_NUMBER = "447700000001"
APP_SECRET = "loadtest-app-secret"
VERIFY_TOKEN = "loadtest-verify-token"
GRAPH_VERSION = "v21.0"
_OPEN_S = 0.5  # what opening one studio's cell may take a replica on a busy machine


def _with(dsn: str, *, database: str | None = None, **query: str) -> str:
    parts = urlsplit(dsn)
    params = dict(parse_qsl(parts.query))
    params.update(query)
    path = f"/{database}" if database is not None else parts.path
    return urlunsplit((parts.scheme, parts.netloc, path, urlencode(params), parts.fragment))


@dataclass
class Database:
    """The run's database, and how to restart the server under it."""

    dsn: str
    restart: Callable[[], None] | None  # None: no way to restart this server

    async def fetch(self, sql: str, *args: Any) -> list[asyncpg.Record]:
        con = await asyncpg.connect(self.dsn)
        try:
            return list(await con.fetch(sql, *args))
        finally:
            await con.close()


@contextlib.asynccontextmanager
async def scratch_database(
    server_dsn: str | None, restart_command: str | None
) -> AsyncIterator[Database]:
    """A new, migrated database for the run; dropped (with its embedded server) after it."""
    if server_dsn is None:
        async with _embedded_server() as (dsn, restart_embedded), _fresh(dsn) as database_dsn:
            yield Database(database_dsn, restart_embedded)
        return
    restart: Callable[[], None] | None = None
    if restart_command:
        args = shlex.split(restart_command)

        def restart_external() -> None:
            subprocess.run(args, check=True, timeout=120)

        restart = restart_external
    async with _fresh(server_dsn) as database_dsn:
        yield Database(database_dsn, restart)


@contextlib.asynccontextmanager
async def _embedded_server() -> AsyncIterator[tuple[str, Callable[[], None]]]:
    import pgserver
    from pgserver._commands import pg_ctl  # type: ignore[attr-defined]

    with tempfile.TemporaryDirectory(prefix="ba-loadtest-pg-") as tmp:
        server = await asyncio.to_thread(
            pgserver.get_server,  # type: ignore[attr-defined]
            Path(tmp) / "pg",
            cleanup_mode="delete",
        )

        def restart() -> None:
            pg_ctl(["-w", "-m", "fast", "restart"], pgdata=server.pgdata, user=server.system_user)

        try:
            yield server.get_uri(), restart
        finally:
            await asyncio.to_thread(server.cleanup)


@contextlib.asynccontextmanager
async def _fresh(server_dsn: str) -> AsyncIterator[str]:
    name = f"ba_loadtest_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(server_dsn)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    dsn = _with(server_dsn, database=name)
    async with ServiceDatabase.open(dsn, min_size=1, max_size=1) as db:
        await db.migrate()
    try:
        yield dsn
    finally:
        admin = await asyncpg.connect(server_dsn)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()


def sender_of(path: str) -> str:
    """The replica whose base URL a Graph API request path came through."""
    return path.strip("/").split("/", 1)[0]


@dataclass
class Cluster:
    """The replicas, the fakes and the database of one run."""

    database: Database
    graph: FakeGraphApi
    stripe: FakeStripe
    sheets: FakeSheets
    launcher: ServiceLauncher
    graph_process: GraphProcess  # the fake Graph API itself; `graph` mirrors what it accepts
    replicas: list[ServiceProcess] = field(default_factory=list)
    studios: list[Studio] = field(default_factory=list)  # the default one first

    async def terminate_backends(self, replica: ServiceProcess) -> int:
        """Close every database connection of `replica` from the server's side."""
        rows = await self.database.fetch(
            "SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity"
            " WHERE application_name = $1",
            replica.name,
        )
        return sum(1 for r in rows if r["done"])

    async def claimed_by(self, replica: ServiceProcess) -> list[str]:
        """The replies `replica` holds claimed now (their idempotency keys): WhatsApp rows
        tied to one of its sessions, under a lease still running."""
        rows = await self.database.fetch(
            "SELECT o.idempotency_key AS key FROM outbox AS o"
            " JOIN pg_stat_activity AS a"
            " ON a.pid = o.claimer_pid AND a.backend_start = o.claimer_started"
            " WHERE o.status = 'pending' AND o.lease_until > now() AND o.channel = 'whatsapp'"
            " AND a.application_name = $1",
            replica.name,
        )
        return [str(r["key"]) for r in rows]

    async def lead_key_of(self, wa_id: str) -> str:
        """A lead's key in its studio (a stored studio's lead id; the default studio's
        is the wa_id), read as the tables' owner, across studios."""
        rows = await self.database.fetch(
            "SELECT lead_key FROM lead_identities WHERE kind = 'wa_id' AND value = $1", wa_id
        )
        return str(rows[0]["lead_key"]) if rows else wa_id

    async def backend_pids(self, replica: ServiceProcess) -> set[int]:
        rows = await self.database.fetch(
            "SELECT pid FROM pg_stat_activity WHERE application_name = $1", replica.name
        )
        return {int(r["pid"]) for r in rows}


@contextlib.asynccontextmanager
async def open_cluster(
    database: Database,
    *,
    replicas: int,
    log_dir: Path,
    env: dict[str, str],
    roles: bool = False,
    studios: int = 1,
) -> AsyncIterator[Cluster]:
    """Start the fakes, add `studios - 1` stored studios (`loadtest.studios`) and start
    `replicas` replicas (one `serve` process each, or a web and a worker process each
    with `roles`); stop everything on the way out."""
    graph = FakeGraphApi()
    graph_process = GraphProcess(graph)
    stripe = FakeStripe()
    key = new_signing_key()
    sheets = FakeSheets(public_key_pem=public_pem(key))
    async with contextlib.AsyncExitStack() as stack:
        await graph_process.start()
        stack.push_async_callback(graph_process.close)
        stripe_server: StripeServer = stripe.serve()
        stack.callback(stripe_server.close)
        sheets_server: SheetsServer = sheets.serve()
        stack.callback(sheets_server.close)
        credentials = service_account_file(log_dir, key, sheets_server.token_uri)
        launcher = ServiceLauncher(
            database.dsn,
            log_dir,
            {
                "app_secret": APP_SECRET,
                "verify_token": VERIFY_TOKEN,
                "access_token": graph.access_token,
                "phone_number_id": graph.phone_number_id,
            },
        )
        stack.callback(launcher.close)
        cluster = Cluster(database, graph, stripe, sheets, launcher, graph_process)
        common = {
            "ARTIST_WHATSAPP_NUMBER": ARTIST_NUMBER,
            "STRIPE_API_KEY": stripe.api_key,
            "STRIPE_WEBHOOK_SECRET": stripe.webhook_secret,
            "STRIPE_API_BASE": stripe_server.base_url,
            "SHEETS_SPREADSHEET_ID": sheets.spreadsheet_id,
            "GOOGLE_SERVICE_ACCOUNT_FILE": str(credentials),
            "SHEETS_API_BASE": sheets_server.base_url,
            "WHATSAPP_RATE_PER_S": "100000",
            "WHATSAPP_TIMEOUT_S": "1.5",
            "LOG_LEVEL": "warning",
            **env,
        }
        names = [f"replica-{n + 1}" for n in range(replicas)]
        started = await asyncio.gather(
            *(
                launcher.start(
                    f"{graph_process.base_url}/{name}/{GRAPH_VERSION}",
                    name=name,
                    database_url=_with(database.dsn, application_name=name),
                    roles=roles,
                    env=common,
                )
                for name in names
            )
        )
        cluster.replicas.extend(started)
        # Added while the replicas run, as an operator adds them to a running deployment
        # (before main's 1854324 a replica opening a hundred at start-up outlasted the
        # server's lifespan start-up timeout here). Each replica looks every 5 s and opens the
        # new ones; the service says nowhere that it has, so the harness gives it the
        # promised 10 s and the time opening a studio takes (the checks would show a
        # studio not opened: its leads get no reply).
        cluster.studios = plan_studios(studios, graph.phone_number_id)
        options, secrets = options_from(common)
        await add_studios(
            cluster.studios,
            graph_process,
            service_env(database.dsn, graph_process.base_url, **launcher.secrets, **common),
            options,
            secrets,
            log_dir / "studios-add.log",
        )
        if studios > 1:
            await asyncio.sleep(10.0 + _OPEN_S * studios)
        yield cluster
