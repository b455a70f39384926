"""
The embedded-Postgres default: when DATABASE_URL is unset, a pgserver instance is started
with the service and stopped with it.

Its data lives in one place whatever the working directory: `DEFAULT_DATA_DIR`, under
the user's data directory (`~/.local/share/booking-assistant/pg` on Linux), unless the
caller passes another (DATA_DIR).

pgserver counts the processes holding a handle on one data directory (a pid list in the
directory) and stops the server when the last one lets go, so several local processes
may share it. A process killed with -9 never lets go, and its pid would keep the server
running for ever after; so dead pids are dropped from the list before joining.
"""

from __future__ import annotations

import warnings
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio
import platformdirs

from storage.preflight import DatabaseNotReady

__all__ = ["DEFAULT_DATA_DIR", "embedded_postgres"]

DEFAULT_DATA_DIR = platformdirs.user_data_path("booking-assistant") / "pg"

_HANDLES = ".handle_pids.json"  # pgserver's list of the pids holding the server


@asynccontextmanager
async def embedded_postgres(data_dir: Path = DEFAULT_DATA_DIR) -> AsyncIterator[str]:
    """
    Start (or join) the embedded server and yield its DSN; release it on exit.

    Raises:
        DatabaseNotReady: the server could not be started (one line: where and why).
    """

    def start() -> Any:
        resolved = data_dir.expanduser().resolve()
        with warnings.catch_warnings():
            # platformdirs warns at import when XDG_RUNTIME_DIR is unset (services, CI);
            # pgserver then uses a private directory under /tmp, which is what we want.
            warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
            import pgserver  # imported here: starting it is the only reason to load it
        resolved.parent.mkdir(parents=True, exist_ok=True)
        _forget_dead_handles(resolved)
        return pgserver.get_server(resolved, cleanup_mode="stop")  # type: ignore[attr-defined]

    try:
        server = await anyio.to_thread.run_sync(start)
    except Exception as error:  # pgserver raises whatever its subprocesses and files raise
        why = " ".join(str(error).split()) or type(error).__name__
        raise DatabaseNotReady(
            f"the embedded Postgres did not start in {data_dir} ({why}; its log: {data_dir}/log)"
        ) from error
    try:
        yield server.get_uri()
    finally:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(server.cleanup)


def _forget_dead_handles(pgdata: Path) -> None:
    """Drop the pids of processes that died holding the server (kill -9, power cut)."""
    if not (pgdata / _HANDLES).exists():
        return
    import psutil
    from pgserver.postgres_server import PostgresServer
    from pgserver.utils import DiskList

    handles = DiskList(pgdata / _HANDLES)
    with PostgresServer._lock:  # the lock pgserver itself takes around the list
        pids = handles.get()
        alive = [pid for pid in pids if psutil.pid_exists(pid)]
        if alive != pids:
            handles.put(alive)
