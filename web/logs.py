"""
structlog, configured once: context variables first, phone numbers masked, JSON lines
off a terminal (or when asked), readable lines in colour on one.

Our own lines are structlog's, at LOG_LEVEL. Every standard-library logger is a
library's (httpx, httpcore, aiohttp, asyncio, hypercorn, Stripe's, Google's...): those
run at LOG_LEVEL_LIBRARIES, warning unless asked, since a client's info line names the
address it called, and an address can be a secret (BUSY_CALENDAR_URL). hypercorn's
own lifecycle lines ("Running on ...", on `hypercorn.error`) follow LOG_LEVEL.

Lines go to stdout. The standard library's loggers (hypercorn's "Running on ...", the
asyncio loop's, pgserver's) and Python warnings are rendered by the same processors into
the same stream, so a service whose stdout is not a terminal writes JSON lines only.
Colours are used only when the stream is a terminal: LOG_FORMAT=console into a file
writes plain text.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog

from actors.runtime import mask_phones_in

__all__ = ["configure_logging"]


# Ids we make or vet: a correlation id never looks like a phone number (web.request_ids).
_OUR_IDS = frozenset({"correlation_id"})
# Chatty at INFO about its own start-up steps; its warnings and errors still show.
_QUIET_LOGGERS = {"pgserver": logging.WARNING}
# The server's start and stop, no request in them: at LOG_LEVEL like our own lines.
_LIFECYCLE_LOGGERS = ("hypercorn.error",)


def _mask_phone_numbers(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """A safety net behind call-site masking: no phone-like digit run leaves whole."""
    for key, value in event_dict.items():
        if isinstance(value, str) and key not in _OUR_IDS:
            event_dict[key] = mask_phones_in(value)
    return event_dict


class _ToStructlogStream(logging.Handler):
    """
    Standard-library records, rendered by structlog's processors and written with the
    lock structlog's own lines take on the same stream, so lines never interleave.
    """

    def __init__(self, stream: TextIO, formatter: logging.Formatter) -> None:
        super().__init__()
        self._printer = structlog.PrintLogger(stream)
        self.setFormatter(formatter)

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._printer.msg(self.format(record))
        except Exception:
            self.handleError(record)


def configure_logging(
    fmt: str = "auto",
    level: str = "info",
    *,
    libraries: str = "warning",
    stream: TextIO | None = None,
    cache: bool = True,
) -> None:
    """Configure once, at start-up. Tests pass a stream and `cache=False` to read it back.

    `libraries`: the level of every standard-library logger but hypercorn's lifecycle.
    """
    out = stream or sys.stdout
    terminal = out.isatty()
    as_json = fmt == "json" or (fmt == "auto" and not terminal)
    tail: list[Any]
    if as_json:
        tail = [structlog.processors.format_exc_info, _mask_phone_numbers]
        renderer: Any = structlog.processors.JSONRenderer()
    else:
        tail = [_mask_phone_numbers]
        colours = terminal and "NO_COLOR" not in os.environ
        renderer = structlog.dev.ConsoleRenderer(colors=colours)
    numeric_level = logging.getLevelNamesMapping()[level.upper()]
    stamp = structlog.processors.TimeStamper(fmt="iso", utc=True)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            stamp,
            *tail,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(numeric_level),
        logger_factory=structlog.PrintLoggerFactory(out),
        cache_logger_on_first_use=cache,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=[
            structlog.contextvars.merge_contextvars,
            structlog.stdlib.add_log_level,
            structlog.stdlib.add_logger_name,
            stamp,
        ],
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            *tail,
            renderer,
        ],
    )
    library_level = logging.getLevelNamesMapping()[libraries.upper()]
    _route_standard_logging(_ToStructlogStream(out, formatter), numeric_level, library_level)


def _route_standard_logging(handler: logging.Handler, level: int, libraries: int) -> None:
    """The root logger writes through `handler` only (ours replaces an earlier one)."""
    root = logging.getLogger()
    for old in [h for h in root.handlers if isinstance(h, _ToStructlogStream)]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(libraries)
    for name in _LIFECYCLE_LOGGERS:
        logging.getLogger(name).setLevel(level)
    for name, quiet in _QUIET_LOGGERS.items():
        logging.getLogger(name).setLevel(max(libraries, quiet))
    logging.captureWarnings(True)
