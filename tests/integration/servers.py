"""
Real processes for tests of what only processes show: several replicas on one
database, kill -9, SIGTERM, a database that goes away.

    suite_launcher  a ServiceLauncher whose processes use the test suite's secrets
    DatabaseProxy   a TCP proxy in front of Postgres that a test can cut and restore
"""

from __future__ import annotations

import contextlib
import socket
import threading
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

from fakes.graph import FakeGraphApi
from loadtest.replicas import ServiceLauncher, ServiceProcess, ServiceStartError, free_port
from tests.web.conftest import APP_SECRET, VERIFY_TOKEN

__all__ = [
    "DatabaseProxy",
    "ServiceLauncher",
    "ServiceProcess",
    "ServiceStartError",
    "suite_launcher",
]


def suite_launcher(database_url: str, log_dir: Path) -> ServiceLauncher:
    """Processes that accept what tests sign and send to what the fake Graph API expects."""
    graph = FakeGraphApi()
    return ServiceLauncher(
        database_url,
        log_dir,
        {
            "app_secret": APP_SECRET,
            "verify_token": VERIFY_TOKEN,
            "access_token": graph.access_token,
            "phone_number_id": graph.phone_number_id,
        },
        # One outbox row per reply, as these tests count them (read receipts have tests
        # of their own in tests/web/test_whatsapp_in_use.py).
        {"WHATSAPP_READ_RECEIPTS": "off"},
    )


class DatabaseProxy:
    """
    A TCP proxy on 127.0.0.1 in front of the test database's server.

    `cut()` closes every proxied connection and stops listening, which is what a
    database host that goes away looks like to the service; `restore()` listens again
    on the same port. The shared Postgres server itself is never touched.
    """

    def __init__(self, database_url: str) -> None:
        parts = urlsplit(database_url)
        query = parse_qs(parts.query)
        socket_dir = query.get("host", [""])[0]
        if socket_dir.startswith("/"):
            upstream_port = parts.port or int(query.get("port", ["5432"])[0])
            self._upstream: tuple[int, Any] = (
                socket.AF_UNIX,
                f"{socket_dir}/.s.PGSQL.{upstream_port}",
            )
        else:
            self._upstream = (socket.AF_INET, (parts.hostname or "127.0.0.1", parts.port or 5432))
        user = quote(parts.username or "postgres")
        password = f":{quote(parts.password)}" if parts.password else ""
        self.port = free_port()
        self.url = f"postgresql://{user}{password}@127.0.0.1:{self.port}{parts.path}"
        self._listener: socket.socket | None = None
        self._sockets: set[socket.socket] = set()
        self._lock = threading.Lock()

    def restore(self) -> None:
        """Accept connections (again) on `self.port`."""
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        threading.Thread(target=self._accept, args=(listener,), daemon=True).start()

    def cut(self) -> None:
        """Stop listening and drop every open connection."""
        with self._lock:
            listener, self._listener = self._listener, None
            sockets, self._sockets = self._sockets, set()
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self, listener: socket.socket) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return  # cut
            try:
                upstream = socket.socket(self._upstream[0], socket.SOCK_STREAM)
                upstream.connect(self._upstream[1])
            except OSError:
                client.close()
                continue
            with self._lock:
                if self._listener is not listener:
                    client.close()
                    upstream.close()
                    return
                self._sockets.update((client, upstream))
            for source, target in ((client, upstream), (upstream, client)):
                threading.Thread(target=_pump, args=(source, target), daemon=True).start()

    def __enter__(self) -> DatabaseProxy:
        self.restore()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.cut()


def _pump(source: socket.socket, target: socket.socket) -> None:
    try:
        while data := source.recv(65536):
            target.sendall(data)
    except OSError:
        pass
    finally:
        with contextlib.suppress(OSError):
            target.shutdown(socket.SHUT_WR)
