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

__all__ = ["DatabaseNotReady", "check_database", "describe_dsn"]


class DatabaseNotReady(StorageError):
    """The database cannot be used; the message is one line naming where and why."""


def describe_dsn(dsn: str) -> tuple[str, str]:
    """
    The server (`host:port`, or the socket's path) and the database a Postgres URL names,
    for messages: never its credentials.

    Raises:
        ValueError: the URL cannot be parsed (a bad port, a broken IPv6 address).
    """
    parts = urlsplit(dsn)
    query = parse_qs(parts.query)
    host = query.get("host", [parts.hostname or "localhost"])[0]
    port = query.get("port", [str(parts.port) if parts.port else "5432"])[0]
    database = unquote(parts.path.lstrip("/")) or query.get("dbname", [""])[0]
    server = f"{host}/.s.PGSQL.{port}" if host.startswith("/") else f"{host}:{port}"
    return server, database or parts.username or "postgres"


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
        con = await asyncpg.connect(dsn, timeout=timeout_s)
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
