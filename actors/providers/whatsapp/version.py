"""
Which Graph API version the service calls, and until when Meta keeps it.

WHATSAPP_API_VERSION names it; WHATSAPP_API_BASE is the host. A base that still ends in
`/vNN.N` (the old form of the setting) names the version itself, so a deployment that
set it keeps calling what it called. Calls go to `<base>/<version>/...`.

Meta retires each version about two years after it arrives; its changelog lists
"Available until" per version (`GRAPH_VERSION_RETIRED_ON`). A release raises
`DEFAULT_GRAPH_VERSION` before Meta retires it; start-up warns when the version in use
is older than it.
Source: https://developers.facebook.com/docs/graph-api/changelog (versions table).
"""

from __future__ import annotations

import re
from datetime import date

__all__ = [
    "DEFAULT_GRAPH_VERSION",
    "GRAPH_VERSION_RETIRED_ON",
    "graph_root",
    "is_older",
    "version_in_use",
]

DEFAULT_GRAPH_VERSION = "v24.0"

# Meta's "Available until" dates, as its Graph API changelog gives them.
GRAPH_VERSION_RETIRED_ON: dict[str, date] = {
    "v21.0": date(2027, 1, 21),
    "v22.0": date(2027, 5, 20),
    "v23.0": date(2027, 10, 8),
    "v24.0": date(2028, 2, 18),
    "v25.0": date(2028, 7, 29),
}

_VERSION_AT_END = re.compile(r"/(v\d+\.\d+)/*$")


def version_in_use(base: str, version: str) -> str:
    """The version calls go to: the one a base ends in, else `version`."""
    found = _VERSION_AT_END.search(base)
    return found.group(1) if found else version


def graph_root(base: str, version: str) -> str:
    """`<base>/<version>`, the root every Graph call's path goes under."""
    host = _VERSION_AT_END.sub("", base).rstrip("/")
    return f"{host}/{version_in_use(base, version)}"


def is_older(version: str, than: str) -> bool:
    """Whether `version` (vNN.N) is older than `than`."""
    return _number(version) < _number(than)


def _number(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.removeprefix("v").split("."))
