"""
The database check made before anything starts: can we log in to this DSN's database?

`check_database(dsn)` connects once and closes. When it cannot, it raises
`DatabaseNotReady` with one line that says where and why (the DSN's password is never
in it): a malformed DSN, a server that cannot be reached (host:port and the cause), a
login refused, a database that does not exist.
"""

from __future__ import annotations

import socket
from urllib.parse import parse_qs, unquote, urlsplit

import asyncpg

from storage.errors import StorageError
from storage.hosts import connect

__all__ = ["DatabaseNotReady", "check_database", "describe_dsn"]


class DatabaseNotReady(StorageError):
    """The database cannot be used; the message is one line naming where and why."""


def describe_dsn(dsn: str) -> tuple[str, str]:
    """
    The servers (`host:port`, or the socket's path; several, comma-separated, when the
    URL names several hosts libpq's way) and the database a Postgres URL names, for
    messages: never its credentials.

    Raises:
        ValueError: the URL cannot be parsed (a bad port, a broken IPv6 address).
    """
    parts = urlsplit(dsn)
    query = parse_qs(parts.query)
    hosts = [_host_port(each) for each in parts.netloc.rpartition("@")[2].split(",") if each]
    if "host" in query:
        hosts = [(host, None) for host in query["host"][0].split(",")]
    ports = query.get("port", [""])[0].split(",")
    servers = []
    for index, (host, port) in enumerate(hosts or [("localhost", None)]):
        port = port or ports[min(index, len(ports) - 1)] or "5432"
        if not port.isdigit():
            raise ValueError(f"Port could not be cast to integer value as {port!r}")
        servers.append(f"{host}/.s.PGSQL.{port}" if host.startswith("/") else f"{host}:{port}")
    database = unquote(parts.path.lstrip("/")) or query.get("dbname", [""])[0]
    return ",".join(servers), database or parts.username or "postgres"


def _host_port(netloc: str) -> tuple[str, str | None]:
    """One `host[:port]` of a URL's host list (an IPv6 address in brackets)."""
    if netloc.startswith("["):
        host, bracket, rest = netloc[1:].partition("]")
        if not bracket or (rest and not rest.startswith(":")):
            raise ValueError("Invalid IPv6 URL")
        return host, rest[1:] or None
    host, _, port = netloc.partition(":")
    return host or "localhost", port or None


async def check_database(dsn: str, *, timeout_s: float = 5.0) -> None:
    """
    Connect to `dsn` and close again.

    Raises:
        DatabaseNotReady: the DSN is malformed, the server cannot be reached, the login
            is refused or the database does not exist.
    """
    try:
        scheme = urlsplit(dsn).scheme
        server, name = describe_dsn(dsn)
    except ValueError as error:
        raise DatabaseNotReady(f"not a valid Postgres URL ({error})") from None
    if scheme not in ("postgres", "postgresql"):
        raise DatabaseNotReady("not a valid Postgres URL (it must start with postgresql://)")
    where = f"{server}/{name}"
    try:
        con = await connect(dsn, timeout=timeout_s)
    except asyncpg.InvalidCatalogNameError:
        raise DatabaseNotReady(
            f'database "{name}" does not exist on {server} (create it: CREATE DATABASE "{name}")'
        ) from None
    except (asyncpg.InvalidPasswordError, asyncpg.InvalidAuthorizationSpecificationError) as e:
        raise DatabaseNotReady(f"{where} refused the login: {e}") from None
    except asyncpg.PostgresError as error:
        raise DatabaseNotReady(f"{where} answered {type(error).__name__}: {error}") from None
    except (asyncpg.ClientConfigurationError, ValueError) as error:
        raise DatabaseNotReady(f"not a valid Postgres URL ({error})") from None
    except asyncpg.TargetServerAttributeNotMatched:
        raise DatabaseNotReady(
            f"no server at {server} takes this session as target_session_attrs asks"
            " (no primary: a failover under way?)"
        ) from None
    except TimeoutError:
        raise DatabaseNotReady(
            f"cannot reach Postgres at {server}: no answer within {timeout_s:g} s"
        ) from None
    except socket.gaierror:
        raise DatabaseNotReady(f"cannot reach Postgres at {server}: unknown host") from None
    except ConnectionRefusedError:
        raise DatabaseNotReady(
            f"cannot reach Postgres at {server}: connection refused (is it running?)"
        ) from None
    except FileNotFoundError:
        raise DatabaseNotReady(
            f"cannot reach Postgres at {server}: no such socket (is it running?)"
        ) from None
    except OSError as error:
        why = error.strerror or str(error) or type(error).__name__
        raise DatabaseNotReady(f"cannot reach Postgres at {server}: {why}") from None
    await con.close()
