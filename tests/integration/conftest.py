"""The process tests' fixtures: the copy, fake Graph APIs over HTTP, service processes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import pytest

from actors import Composer, load_copy
from fakes.graph import FakeGraphApi, GraphServer
from storage.pool import Pool
from tests.integration.servers import ServiceLauncher, suite_launcher

COPY_DIR = Path(__file__).resolve().parents[2] / "copy"
LOCALE = "en_GB"


@pytest.fixture
def composer() -> Composer:
    return Composer(load_copy(COPY_DIR, LOCALE))


@pytest.fixture
def graphs() -> Iterator[Callable[[FakeGraphApi], GraphServer]]:
    """Serves fake Graph APIs over real HTTP; all of them are closed at the end."""
    servers: list[GraphServer] = []

    def serve(fake: FakeGraphApi) -> GraphServer:
        servers.append(fake.serve())
        return servers[-1]

    yield serve
    for server in servers:
        server.close()


@pytest.fixture
async def launcher(database_url: str, pool: Pool, tmp_path: Path) -> AsyncIterator[ServiceLauncher]:
    """Starts services on the emptied test database; kills them all at the end.

    Their log tails are printed at teardown, which pytest shows when a test fails.
    """
    started = suite_launcher(database_url, tmp_path)
    try:
        yield started
    finally:
        started.close()
        print(started.report())
