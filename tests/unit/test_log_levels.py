"""
The libraries' own loggers write warnings only unless LOG_LEVEL_LIBRARIES asks for more:
an HTTP client's info line names the address it called, and an address can be a secret.
hypercorn's lifecycle lines ("Running on ...") follow LOG_LEVEL like our own.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import pytest
import structlog

from web.logs import configure_logging

SECRET_ADDRESS = "https://calendar.example/private-0123456789abcdef/basic.ics"


@pytest.fixture(autouse=True)
def _reset() -> Iterator[None]:
    """The standard library's logging as it was: other tests share the process."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    named = {name: logging.getLogger(name).level for name in ("hypercorn.error", "pgserver")}
    yield
    structlog.reset_defaults()
    root.handlers[:] = handlers
    root.setLevel(level)
    for name, was in named.items():
        logging.getLogger(name).setLevel(was)
    logging.captureWarnings(False)


def written(libraries: str | None = None) -> str:
    stream = io.StringIO()
    if libraries is None:
        configure_logging("json", "info", stream=stream, cache=False)
    else:
        configure_logging("json", "info", libraries=libraries, stream=stream, cache=False)
    for name in ("httpx", "httpcore", "aiohttp.client", "asyncio", "hypercorn.access"):
        logging.getLogger(name).info('HTTP Request: GET %s "HTTP/1.1 200 OK"', SECRET_ADDRESS)
    logging.getLogger("httpx").warning("a library's warning")
    logging.getLogger("hypercorn.error").info("Running on http://127.0.0.1:8000")
    return stream.getvalue()


def test_libraries_write_warnings_only_by_default() -> None:
    text = written()
    assert SECRET_ADDRESS not in text
    assert "a library's warning" in text
    assert "Running on" in text


def test_asked_for_info_the_libraries_say_more() -> None:
    assert SECRET_ADDRESS in written("info")
