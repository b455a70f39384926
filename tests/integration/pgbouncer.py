"""
A real PgBouncer in transaction pooling mode in front of the test database, for the
process tests that must hold behind one (`PgBouncer(database_url)`).

Debian's `pgbouncer` binary is started with a temporary ini on a free port. It will not
run as root, so as root it runs as `nobody`; a database reached over a Unix socket in a
private directory is then reached through a `DatabaseProxy` on 127.0.0.1. Without the
binary the tests that need it skip, except in CI (`CI` set), where they fail.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, quote, urlsplit

import pytest

from loadtest.replicas import free_port
from tests.integration.servers import DatabaseProxy

__all__ = ["PgBouncer", "pgbouncer_binary"]


def pgbouncer_binary() -> str:
    """The pgbouncer executable; skips the test when there is none (fails in CI)."""
    found = shutil.which("pgbouncer") or shutil.which("pgbouncer", path="/usr/sbin")
    if found is None:
        message = "pgbouncer is not installed (apt-get install pgbouncer)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return found


class PgBouncer:
    """`with PgBouncer(url) as bouncer:` `bouncer.url` reaches the same database through it."""

    def __init__(self, database_url: str, *, pool_size: int = 20) -> None:
        self._database_url = database_url
        self._pool_size = pool_size
        self._stack = contextlib.ExitStack()
        self.port = free_port()
        self.url = ""
        self.log_path: Path | None = None

    def __enter__(self) -> PgBouncer:
        binary = pgbouncer_binary()
        parts = urlsplit(self._database_url)
        host = parse_qs(parts.query).get("host", [parts.hostname or "127.0.0.1"])[0]
        port = parts.port or 5432
        if host.startswith("/"):  # a Unix socket: through a TCP proxy that `nobody` can reach
            proxy = self._stack.enter_context(DatabaseProxy(self._database_url))
            host, port = "127.0.0.1", proxy.port
        user = parts.username or "postgres"
        database = parts.path.lstrip("/") or user
        folder = Path(self._stack.enter_context(tempfile.TemporaryDirectory(prefix="pgb-")))
        folder.chmod(0o755)
        users = folder / "users.txt"
        users.write_text(f'"{user}" "{parts.password or ""}"\n')
        ini = folder / "pgbouncer.ini"
        ini.write_text(
            "\n".join(
                [
                    "[databases]",
                    f"{database} = host={host} port={port} dbname={database}"
                    + (f" password={parts.password}" if parts.password else ""),
                    "[pgbouncer]",
                    "listen_addr = 127.0.0.1",
                    f"listen_port = {self.port}",
                    "unix_socket_dir =",
                    "auth_type = trust",
                    f"auth_file = {users}",
                    "pool_mode = transaction",
                    "max_client_conn = 1000",
                    f"default_pool_size = {self._pool_size}",
                    "server_reset_query =",
                    *(["user = nobody"] if os.geteuid() == 0 else []),
                    "",
                ]
            )
        )
        for path in (users, ini):
            path.chmod(0o644)
        self.log_path = folder / "pgbouncer.log"
        log = self._stack.enter_context(self.log_path.open("wb"))
        process = subprocess.Popen(
            [binary, str(ini)], stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL
        )
        self._stack.callback(_stop, process)
        _wait_listening(self.port, process, self.log_path)
        password = f":{quote(parts.password)}" if parts.password else ""
        self.url = f"postgresql://{quote(user)}{password}@127.0.0.1:{self.port}/{database}"
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stack.close()


def _wait_listening(port: int, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"pgbouncer exited {process.returncode}: {log.read_text()}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
            return
        time.sleep(0.05)
    raise RuntimeError(f"pgbouncer did not listen within 10 s: {log.read_text()}")


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
