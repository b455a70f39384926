"""
`booking-assistant serve | migrate | studios | demo | loadtest`: the console entry point.

Every command reads the same checked settings (`web.startup`). Anything that stops
start-up (a setting, the copy file, the port, the database) prints one line on stderr
and exits 2, before anything is left running: `serve` takes its port first, then the
database, then migrates, then serves.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import socket
import sys
from collections.abc import Coroutine, Sequence
from types import FrameType
from typing import Any, TypeVar

import structlog
from hypercorn.asyncio import serve as hypercorn_serve
from hypercorn.config import Config as HypercornConfig
from hypercorn.utils import LifespanFailureError

from actors.tenants import StudioBook
from storage import Database, StorageError
from web.app import ROLES, Role, create_app
from web.heap import settle_heap_once_started
from web.logs import configure_logging
from web.settings import Settings, available_locales
from web.startup import (
    StartupError,
    check_copy,
    check_database_now,
    listen,
    log_configuration,
    open_database,
    read_settings,
    refuse,
)
from web.studios_command import add_parser as add_studios_parser
from web.studios_command import run_studios
from web.workers import child_env, run_workers

__all__ = ["main"]

_T = TypeVar("_T")

log = structlog.get_logger("web.cli")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="booking-assistant")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the HTTP service")
    serve.add_argument("--host", default="0.0.0.0")
    serve.add_argument("--port", type=int, default=None, help="default: $PORT or 8000")
    serve.add_argument(
        "--workers",
        type=int,
        default=None,
        help="processes on the one port, each with its own actors (default: $WEB_CONCURRENCY or 1)",
    )
    serve.add_argument(
        "--role",
        choices=ROLES,
        default="all",
        help="web: webhooks, admin and pages; worker: relays, timers, background loops; all: both",
    )
    serve.add_argument("--fd", type=int, default=None, help=argparse.SUPPRESS)  # a worker's socket
    commands.add_parser("migrate", help="apply pending database migrations and exit")
    add_studios_parser(commands)
    commands.add_parser(
        "demo",
        add_help=False,  # the demo parses its own options, --help included
        help="a first run to see: sample leads, the studio page, a lead to play in the terminal",
    )
    commands.add_parser(
        "loadtest",
        add_help=False,  # the harness parses its own options, --help included
        help="drive real traffic at real replicas, then check the promises",
    )
    args, rest = parser.parse_known_args(argv)
    if args.command == "studios" and rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    if args.command not in ("loadtest", "demo") and rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")
    signal.signal(signal.SIGTERM, _exit_on_signal)  # so that exit handlers stop what we start
    try:
        if args.command == "loadtest":
            return _loadtest(rest)
        if args.command == "demo":
            return _demo(rest)
        settings = read_settings(serving=args.command == "serve")
        configure_logging(
            settings.log_format,
            settings.log_level,
            libraries=settings.log_level_libraries,
            # `studios list --json` prints JSON on stdout: the log goes to stderr.
            stream=sys.stderr if args.command == "studios" else None,
        )
    except StartupError as error:
        return refuse(error)
    try:
        if args.command == "serve":
            return _serve_command(args, settings)
        if args.command == "studios":
            print(_run(_studios(args, settings)))
            return 0
        _run(_migrate(settings))
        return 0
    except StartupError as error:
        return refuse(error)
    except Exception as error:  # a bug: its traceback goes to the log, as a log line
        log.exception("service.crashed", command=args.command)
        print(
            f"booking-assistant: {args.command} crashed: {error!r} (see the log)", file=sys.stderr
        )
        return 1


def _serve_command(args: argparse.Namespace, settings: Settings) -> int:
    workers = args.workers if args.workers is not None else settings.web_concurrency
    if not 1 <= workers <= 64:
        raise StartupError(f"--workers: must be between 1 and 64 (got {workers})")
    if args.fd is not None:  # one of `--workers N`'s children: the socket is inherited
        _run(_serve(settings, socket.socket(fileno=args.fd), args.role))
        return 0
    port = args.port if args.port is not None else settings.port
    if not 1 <= port <= 65535:
        raise StartupError(f"--port: must be between 1 and 65535 (got {port})")
    sock = listen(args.host, port)
    check_copy(settings)
    if workers == 1:
        _run(_serve(settings, sock, args.role))
        return 0
    sock.listen(2048)  # before the children start, so no connection is refused meanwhile
    return _run(_serve_workers(settings, sock, workers, args.role))


def _exit_on_signal(signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(128 + signum)


def _run(main: Coroutine[Any, Any, _T]) -> _T:
    """Run on uvloop where it exists: the event loop is a fifth of the service's CPU."""
    try:
        import uvloop
    except ImportError:
        return asyncio.run(main)
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(main)


async def _serve_workers(settings: Settings, sock: socket.socket, workers: int, role: Role) -> int:
    """The parent of `--workers N`: the database once, then the children (web.workers)."""
    async with open_database(settings) as dsn:
        await _migrate_dsn(dsn, settings)
        log_configuration(settings)
        env = child_env(dsn, settings.whatsapp_rate_per_s, workers)
        return await run_workers(sock, workers, ["--role", role], env)


async def _serve(settings: Settings, sock: Any, role: Role = "all") -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    config = HypercornConfig()
    config.bind = [f"fd://{sock.detach()}"]  # the socket taken before anything started
    config.accesslog = None
    config.errorlog = logging.getLogger("hypercorn.error")  # through structlog (web.logs)
    config.graceful_timeout = settings.drain_timeout_s
    config.shutdown_timeout = settings.drain_timeout_s + 10  # the lifespan drains after requests
    async with open_database(settings) as dsn:
        await _migrate_dsn(dsn, settings)
        log_configuration(settings)
        if stop.is_set():
            return  # told to stop while starting
        app = create_app(settings.model_copy(update={"database_url": dsn}), role=role)
        settle_heap_once_started(app)
        try:
            await hypercorn_serve(app, config, shutdown_trigger=stop.wait)
        except LifespanFailureError as error:  # logged with its traceback by hypercorn
            raise StartupError(f"the service failed to start ({error})") from None


async def _studios(args: argparse.Namespace, settings: Settings) -> str:
    """The operator's studios, on the deployment's database, migrated first."""
    async with open_database(settings) as dsn:
        await _migrate_dsn(dsn, settings)
        try:
            async with Database.open(
                dsn, min_size=1, max_size=1, statement_cache_size=settings.db_statement_cache_size
            ) as db:
                return await run_studios(args, settings, StudioBook(db))
        except StorageError as error:
            raise StartupError(f"DATABASE_URL: {error}") from None


async def _migrate(settings: Settings) -> None:
    async with open_database(settings) as dsn:
        await _migrate_dsn(dsn, settings)


async def _migrate_dsn(dsn: str, settings: Settings) -> None:
    try:
        async with Database.open(
            dsn, min_size=1, max_size=1, statement_cache_size=settings.db_statement_cache_size
        ) as db:
            applied = await db.migrate()
    except StorageError as error:
        raise StartupError(f"DATABASE_URL: migrations not applied: {error}") from None
    log.info("database.migrated", applied=applied)


def _demo(argv: Sequence[str]) -> int:
    """The service with local fakes and sample leads (fakes.demo), loaded only here."""
    from fakes.demo import main as demo_main

    return demo_main(argv)


def _loadtest(argv: Sequence[str]) -> int:
    """The load test's own checks first: its settings, its locale, its database server.

    Its package is loaded here and only here: the service never imports its harness."""
    from loadtest.cli import main as loadtest_main
    from loadtest.cli import parser as loadtest_parser

    args = loadtest_parser().parse_args(argv)
    settings = read_settings()
    configure_logging(
        settings.log_format,
        settings.log_level,
        libraries=settings.log_level_libraries,
        stream=sys.stderr,
    )
    if args.locale not in available_locales(settings.copy_dir):
        available = ", ".join(available_locales(settings.copy_dir))
        raise StartupError(f"--locale: no copy file {args.locale}.yml (available: {available})")
    check_database_now(args.database_url or settings.database_url)
    return loadtest_main(argv)


if __name__ == "__main__":  # `--workers N` starts its children as `python -m web.cli`
    raise SystemExit(main())
