"""
structlog, configured once: context variables first, phone numbers masked, JSON lines
off a terminal (or when asked), readable console lines on one.
"""

from __future__ import annotations

import logging
import sys
from collections.abc import MutableMapping
from typing import Any, TextIO

import structlog

from actors.masking import mask_phones_in

__all__ = ["configure_logging"]


# Ids we make or vet: a correlation id never looks like a phone number (web.request_ids).
_OUR_IDS = frozenset({"correlation_id"})


def _mask_phone_numbers(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """A safety net behind call-site masking: no phone-like digit run leaves whole."""
    for key, value in event_dict.items():
        if isinstance(value, str) and key not in _OUR_IDS:
            event_dict[key] = mask_phones_in(value)
    return event_dict


def configure_logging(
    fmt: str = "auto", level: str = "info", *, stream: TextIO | None = None, cache: bool = True
) -> None:
    """Configure once, at start-up. Tests pass a stream and `cache=False` to read it back."""
    out = stream or sys.stderr
    as_json = fmt == "json" or (fmt == "auto" and not out.isatty())
    renderer: Any = (
        structlog.processors.JSONRenderer() if as_json else structlog.dev.ConsoleRenderer()
    )
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.format_exc_info,
            _mask_phone_numbers,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(
            logging.getLevelNamesMapping()[level.upper()]
        ),
        logger_factory=structlog.PrintLoggerFactory(out),
        cache_logger_on_first_use=cache,
    )
