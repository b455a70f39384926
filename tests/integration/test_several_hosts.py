"""
A DSN naming several hosts, libpq's way, when the first one is gone without refusing
(its machine died: its address takes the connection and never answers). Each host has
a time of its own, so the pool, the wake-ups' connection and the start-up check all go
on to the next host instead of spending their whole timeout on the first.
"""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Iterator
from urllib.parse import urlsplit, urlunsplit

import anyio
import pytest

from storage import Database
from storage.hosts import one_per_host
from storage.preflight import check_database
from storage.wakeups import WakeUpListener

pytestmark = pytest.mark.anyio


@contextlib.contextmanager
def silent_host() -> Iterator[int]:
    """A port that accepts connections and never says a word: a host that is gone."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    held: list[socket.socket] = []

    def accept() -> None:
        with contextlib.suppress(OSError):
            while True:
                held.append(listener.accept()[0])

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()
        for sock in held:
            sock.close()


def behind(silent_port: int, database_url: str, query: str) -> str:
    """`database_url` with a silent host named before its own."""
    parts = urlsplit(database_url)
    if parts.hostname is None:
        pytest.skip("the test database is reached over a Unix socket, not a host")
    login, at, hosts = parts.netloc.rpartition("@")
    netloc = f"{login}{at}127.0.0.1:{silent_port},{hosts}"
    return urlunsplit((parts.scheme, netloc, parts.path, query, ""))


async def test_the_pool_passes_a_silent_host_for_the_next(database_url: str) -> None:
    with silent_host() as port:
        dsn = behind(port, database_url, "target_session_attrs=read-write")
        await check_database(dsn)  # within its own 5 s: the first host took 2 of them
        async with Database.open(dsn, min_size=1, max_size=2) as db, db.reads() as unit:
            assert await unit.pending_migrations() == 0


async def test_the_wake_ups_listen_on_the_next_host(database_url: str) -> None:
    with silent_host() as port:
        woken = anyio.Event()
        listener = WakeUpListener(
            behind(port, database_url, "connect_timeout=1"), woken.set, connect_timeout_s=5.0
        )
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(listener.run)
            with anyio.fail_after(30):
                await woken.wait()  # it listens: what was committed meanwhile is looked at
            listener.stop()
        assert listener.connections == 1


def test_connect_timeout_is_libpqs_per_host_and_never_sent_to_postgres() -> None:
    dsns, timeout = one_per_host(
        "postgresql://u:p@db1:5432,db2:5433/booking?connect_timeout=3&target_session_attrs=any"
    )
    assert dsns == [
        "postgresql://u:p@db1:5432/booking?target_session_attrs=any",
        "postgresql://u:p@db2:5433/booking?target_session_attrs=any",
    ]
    assert timeout == 3.0
