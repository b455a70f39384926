"""
The embedded-Postgres default: when DATABASE_URL is unset, a pgserver instance under
`./.data/pg` is started with the service and stopped with it.

pgserver counts the processes holding a handle on one data directory and stops the
server when the last one lets go, so several local processes may share it.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import anyio

__all__ = ["DEFAULT_DATA_DIR", "embedded_postgres"]

DEFAULT_DATA_DIR = Path(".data/pg")


@asynccontextmanager
async def embedded_postgres(data_dir: Path = DEFAULT_DATA_DIR) -> AsyncIterator[str]:
    """Start (or join) the embedded server and yield its DSN; release it on exit."""
    import pgserver  # imported here: starting it is the only reason to load it

    def start() -> Any:
        resolved = data_dir.expanduser().resolve()
        resolved.parent.mkdir(parents=True, exist_ok=True)
        return pgserver.get_server(resolved, cleanup_mode="stop")  # type: ignore[attr-defined]

    server = await anyio.to_thread.run_sync(start)
    try:
        yield server.get_uri()
    finally:
        with anyio.CancelScope(shield=True):
            await anyio.to_thread.run_sync(server.cleanup)
