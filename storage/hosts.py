"""
Connecting to the first usable of several hosts, the way libpq does: a timeout per host.

A DSN may name several hosts (`postgresql://u@db1:5432,db2:5432/booking?
target_session_attrs=read-write`), and asyncpg walks them in order, but under one
timeout for the whole walk: a first host that is gone without refusing (a machine that
died, whose address no longer answers) takes the whole timeout, and the next host, the
new primary, is never tried. `connect` gives each host its own time (the DSN's
`connect_timeout`, libpq's name, or `PER_HOST_TIMEOUT_S`) and moves on, as libpq does.
A DSN with one host is asyncpg's own connect, unchanged.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import asyncpg

__all__ = ["PER_HOST_TIMEOUT_S", "connect", "one_per_host"]

# Below the pool's acquire timeout (5 s): a silent host still leaves time for the next.
PER_HOST_TIMEOUT_S = 2.0

# What sends libpq on to the next host: the host cannot be reached, does not answer in
# time, is starting up or shutting down, or is not what target_session_attrs asks for.
_NEXT_HOST = (
    OSError,
    TimeoutError,
    asyncpg.InternalClientError,  # TargetServerAttributeNotMatched among them
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
)


def one_per_host(dsn: str) -> tuple[list[str], float | None]:
    """The DSN once per host it names, in order, and its `connect_timeout` if it has one
    (taken out: asyncpg would send it to Postgres as a setting). Unparsable or one host:
    `[dsn]` as it is."""
    try:
        parts = urlsplit(dsn)
    except ValueError:
        return [dsn], None
    query = parse_qsl(parts.query, keep_blank_values=True)
    timeouts = [value for name, value in query if name == "connect_timeout"]
    query = [(name, value) for name, value in query if name != "connect_timeout"]
    timeout = float(timeouts[-1]) if timeouts and _positive(timeouts[-1]) else None
    login, at, hosts = parts.netloc.rpartition("@")
    names = hosts.split(",")
    return [
        urlunsplit((parts.scheme, f"{login}{at}{host}", parts.path, urlencode(query), ""))
        for host in names
    ], timeout


async def connect(dsn: str, **kwargs: Any) -> asyncpg.Connection:
    """asyncpg's `connect`, each of the DSN's hosts tried with a timeout of its own."""
    dsns, per_host = one_per_host(dsn)
    if len(dsns) == 1 and per_host is None:
        return await asyncpg.connect(dsn, **kwargs)
    whole = kwargs.pop("timeout", None) or 60.0  # asyncpg's own default for the whole walk
    per_host = min(per_host or PER_HOST_TIMEOUT_S, float(whole))
    last: BaseException | None = None
    for each in dsns:
        try:
            return await asyncpg.connect(each, timeout=per_host, **kwargs)
        except _NEXT_HOST as error:
            last = error
    assert last is not None
    raise last


def _positive(value: str) -> bool:
    try:
        return float(value) > 0
    except ValueError:
        return False
