"""The process tests' fixtures: the copy, fake Graph APIs over HTTP, service processes."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from actors import Composer, load_copy
from fakes.graph import FakeGraphApi, GraphServer

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
