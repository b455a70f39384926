"""
Start-up refusals, on the real `booking-assistant` command: each stops with exit status 2
and exactly one line on stderr that names the setting and what is wrong, and nothing is
left running or written.
"""

from __future__ import annotations

import asyncio
import os
import re
import shlex
import socket
import subprocess
import sys
import uuid
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

import asyncpg
import pytest

from loadtest.replicas import free_port
from tests.database import with_database

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
EXECUTABLE = BIN / "booking-assistant"
SECRETS = {"WHATSAPP_APP_SECRET": "test-app-secret", "WHATSAPP_VERIFY_TOKEN": "test-verify"}


def run(
    args: Sequence[str], env: Mapping[str, str], *, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """The command with only `env` (and PATH, HOME) in its environment."""
    full = {"PATH": f"{BIN}:{os.environ.get('PATH', '')}", "HOME": os.environ.get("HOME", "/")}
    full.update(env)
    return subprocess.run(
        list(args),
        env=full,
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def refused(result: subprocess.CompletedProcess[str]) -> str:
    """The one stderr line of a refused start, without the program's name."""
    lines = result.stderr.splitlines()
    assert result.returncode == 2, (result.returncode, result.stderr, result.stdout[-2000:])
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("booking-assistant: "), lines[0]
    return lines[0].removeprefix("booking-assistant: ")


def serve(env: Mapping[str, str], *extra: str) -> str:
    return refused(run([str(EXECUTABLE), "serve", *extra], {**SECRETS, **env}))


# -- settings ----------------------------------------------------------------------------


def test_serve_without_the_webhook_secrets_names_both() -> None:
    line = refused(run([str(EXECUTABLE), "serve"], {}))
    assert line.startswith("WHATSAPP_APP_SECRET: not set")
    assert "; WHATSAPP_VERIFY_TOKEN: not set" in line


def test_an_empty_secret_is_no_secret() -> None:
    line = serve({"WHATSAPP_APP_SECRET": ""})
    assert line.startswith("WHATSAPP_APP_SECRET: not set")


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        (
            {"DEPOSIT_LINK_TTL_S": "60"},
            "DEPOSIT_LINK_TTL_S: must be between 1800 and 86400 (got 60)",
        ),
        (
            {"LOG_LEVEL": "verbose"},
            "LOG_LEVEL: must be one of 'debug', 'info', 'warning', 'error' or 'critical'"
            " (got 'verbose')",
        ),
        ({"PORT": "eighty"}, "PORT: must be a whole number (got 'eighty')"),
        ({"PORT": "70000"}, "PORT: must be between 1 and 65535 (got 70000)"),
        ({"STALE_AFTER_S": "0"}, "STALE_AFTER_S: must be more than 0 (got 0)"),
        (
            {"LOG_FORMAT": "xml"},
            "LOG_FORMAT: must be one of 'auto', 'json' or 'console' (got 'xml')",
        ),
        (
            {"ARTIST_WHATSAPP_NUMBER": "12345"},
            "ARTIST_WHATSAPP_NUMBER: not a phone number (too short for its country)",
        ),
        (
            {"ARTIST_WHATSAPP_NUMBER": "07700 900999"},
            "ARTIST_WHATSAPP_NUMBER: no country code: write it as +44 7700 900999 or 447700900999",
        ),
        (
            {"PILOT_ALLOWLIST": "+44 7700 900123, +999 123"},
            "PILOT_ALLOWLIST: entry 2: not a phone number (no country has that calling code)",
        ),
        (
            {"WHATSAPP_TEMPLATES": "{reminder: x}"},
            "WHATSAPP_TEMPLATES: not valid JSON (Expecting property name enclosed in double"
            " quotes: line 1 column 2 (char 1))",
        ),
        (
            {"STRIPE_API_KEY": "pk_live_123"},
            "STRIPE_API_KEY: must be a secret (sk_...) or restricted (rk_...) key",
        ),
        (
            {"DEPOSIT_CURRENCY": "pounds"},
            "DEPOSIT_CURRENCY: must be a three-letter ISO currency code, such as gbp or eur"
            " (got 'pounds')",
        ),
        (
            {"DEPOSIT_CURRENCY": "xyz"},
            "DEPOSIT_CURRENCY: xyz is not a currency Babel knows (ISO 4217) (got 'xyz')",
        ),
        (
            {"DEPOSIT_AMOUNT_MINOR": "100000000"},
            "DEPOSIT_AMOUNT_MINOR: must be more than 0 and at most 99999999 (got 100000000)",
        ),
        (
            {"TURN_WAIT_S": "30"},
            "TURN_WAIT_S (30) must be below DRAIN_TIMEOUT_S (20)",
        ),
        (  # guessable: refused, and the token itself is never repeated
            {"ADMIN_TOKEN": "a-short-admin-token-0123456789"},
            "ADMIN_TOKEN: must be at least 32 random characters (openssl rand -base64 32)",
        ),
    ],
)
def test_an_invalid_setting_is_one_line_naming_the_variable(
    env: dict[str, str], expected: str
) -> None:
    assert serve(env) == expected


def test_several_invalid_settings_share_the_one_line() -> None:
    line = serve({"DEPOSIT_LINK_TTL_S": "60", "LOG_LEVEL": "verbose"})
    assert line.startswith("DEPOSIT_LINK_TTL_S: must be between 1800 and 86400 (got 60); ")
    assert "LOG_LEVEL: must be one of" in line


def test_a_secret_is_never_repeated_in_the_line() -> None:
    line = serve({"STRIPE_API_KEY": "pk_live_do_not_print_me"})
    assert "do_not_print_me" not in line


def test_an_unknown_locale_lists_the_available_ones() -> None:
    available = ", ".join(sorted(p.stem for p in (ROOT / "copy").glob("*.yml")))
    line = serve({"LOCALE": "fr_FR"})
    assert re.fullmatch(
        rf"LOCALE: no copy file fr_FR\.yml in .+ \(available: {re.escape(available)}\)", line
    )


def test_a_broken_copy_file_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "en_GB.yml").write_text("messages:\n  greeting: [unclosed\n")
    line = serve({"COPY_DIR": str(tmp_path)})
    assert line.startswith("LOCALE=en_GB: ")
    assert "en_GB.yml" in line


def test_migrate_checks_the_settings_too() -> None:
    line = refused(run([str(EXECUTABLE), "migrate"], {"LOG_LEVEL": "verbose"}))
    assert line.startswith("LOG_LEVEL: must be one of")


def test_loadtest_checks_the_settings_and_its_locale() -> None:
    line = refused(run([str(EXECUTABLE), "loadtest"], {"LOG_LEVEL": "verbose"}))
    assert line.startswith("LOG_LEVEL: must be one of")
    line = refused(run([str(EXECUTABLE), "loadtest", "--locale", "fr_FR"], {}))
    assert line.startswith("--locale: no copy file fr_FR.yml (available: en_GB")


# -- the database ------------------------------------------------------------------------


@pytest.fixture
def unmigrated_database(database_url: str) -> Iterator[str]:
    """A new, empty database on the test server (no schema_migrations table)."""
    name = f"ba_startup_{uuid.uuid4().hex[:10]}"

    async def admin(sql: str) -> None:
        con = await asyncpg.connect(database_url)
        try:
            await con.execute(sql)
        finally:
            await con.close()

    asyncio.run(admin(f'CREATE DATABASE "{name}"'))
    try:
        yield with_database(database_url, name)
    finally:
        asyncio.run(admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


def untouched(dsn: str) -> bool:
    async def check() -> bool:
        con = await asyncpg.connect(dsn)
        try:
            return bool(await con.fetchval("SELECT to_regclass('schema_migrations') IS NULL"))
        finally:
            await con.close()

    return asyncio.run(check())


@pytest.mark.parametrize("command", ["serve", "migrate"])
def test_a_database_that_refuses_connections_names_host_and_port(command: str) -> None:
    port = free_port()  # nothing listens there
    dsn = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    line = refused(run([str(EXECUTABLE), command], {**SECRETS, "DATABASE_URL": dsn}))
    assert line == (
        f"DATABASE_URL: cannot reach Postgres at 127.0.0.1:{port}: connection refused"
        " (is it running?)"
    )


@pytest.mark.parametrize(
    ("dsn", "expected"),
    [
        (
            "postgresql://postgres@localhost:fivefour/db",
            "DATABASE_URL: not a valid Postgres URL (",
        ),
        (
            "mysql://user@localhost/db",
            "DATABASE_URL: not a valid Postgres URL (it must start with postgresql://)",
        ),
        ("postgresql://[::1/db", "DATABASE_URL: not a valid Postgres URL (Invalid IPv6 URL)"),
    ],
)
def test_a_malformed_dsn_is_one_line(dsn: str, expected: str) -> None:
    assert serve({"DATABASE_URL": dsn}).startswith(expected)


def test_a_missing_database_is_named(database_url: str) -> None:
    dsn = with_database(database_url, "ba_no_such_database")
    line = refused(run([str(EXECUTABLE), "migrate"], {"DATABASE_URL": dsn}))
    assert re.fullmatch(
        r'DATABASE_URL: database "ba_no_such_database" does not exist on \S+ '
        r'\(create it: CREATE DATABASE "ba_no_such_database"\)',
        line,
    )


def test_a_password_is_never_printed(database_url: str) -> None:
    port = free_port()
    dsn = f"postgresql://postgres:hunter2-secret@127.0.0.1:{port}/postgres"
    result = run([str(EXECUTABLE), "migrate"], {"DATABASE_URL": dsn})
    assert "hunter2" not in refused(result)


def test_a_port_in_use_stops_serve_before_the_database_is_touched(
    unmigrated_database: str,
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run(
            [str(EXECUTABLE), "serve", "--host", "127.0.0.1", "--port", str(port)],
            {**SECRETS, "DATABASE_URL": unmigrated_database},
        )
    assert refused(result) == (
        f"PORT: cannot listen on 127.0.0.1:{port}: address already in use (set PORT or --port)"
    )
    assert untouched(unmigrated_database)


# -- the Procfile's web process ----------------------------------------------------------


def procfile_web(port: int) -> list[str]:
    """The Procfile's `web:` command, as the platform runs it."""
    line = next(
        entry.split(":", 1)[1]
        for entry in (ROOT / "Procfile").read_text().splitlines()
        if entry.startswith("web:")
    )
    return shlex.split(line.replace("$PORT", str(port)))


def test_the_procfile_refuses_to_start_without_the_webhook_secrets(database_url: str) -> None:
    line = refused(
        run(procfile_web(free_port()), {"DATABASE_URL": database_url}, cwd=ROOT),
    )
    assert line.startswith("WHATSAPP_APP_SECRET: not set")
    assert "WHATSAPP_VERIFY_TOKEN: not set" in line


def test_the_procfile_refuses_an_unreachable_database() -> None:
    port = free_port()
    dsn = f"postgresql://postgres@127.0.0.1:{port}/postgres"
    line = refused(run(procfile_web(free_port()), {**SECRETS, "DATABASE_URL": dsn}, cwd=ROOT))
    assert line.startswith(f"DATABASE_URL: cannot reach Postgres at 127.0.0.1:{port}")
