"""`booking-assistant serve | migrate | loadtest`: the console entry point."""

from __future__ import annotations

import argparse
import asyncio
import signal
import sys
from collections.abc import Coroutine, Sequence
from typing import Any

import structlog
from hypercorn.asyncio import serve as hypercorn_serve
from hypercorn.config import Config as HypercornConfig

from storage import Database, embedded_postgres
from web.app import create_app
from web.logs import configure_logging
from web.settings import Settings

__all__ = ["main"]

log = structlog.get_logger("web.cli")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="booking-assistant")
    commands = parser.add_subparsers(dest="command", required=True)
    serve = commands.add_parser("serve", help="run the HTTP service")
    serve.add_argument("--host", default="0.0.0.0")
    serve.add_argument("--port", type=int, default=None, help="default: $PORT or 8000")
    commands.add_parser("migrate", help="apply pending database migrations and exit")
    commands.add_parser(
        "loadtest",
        add_help=False,  # the harness parses its own options, --help included
        help="drive real traffic at real replicas, then check the promises",
    )
    args, rest = parser.parse_known_args(argv)
    if args.command == "loadtest":
        from loadtest.cli import main as loadtest_main  # the service never loads its harness

        return loadtest_main(rest)
    if rest:
        parser.error(f"unrecognized arguments: {' '.join(rest)}")

    settings = Settings()
    configure_logging(settings.log_format, settings.log_level)
    if args.command == "serve":
        missing = settings.missing_for_serve()
        if missing:
            print(f"booking-assistant serve: set {', '.join(missing)}", file=sys.stderr)
            return 2
        _run(_serve(settings, args.host, args.port or settings.port))
        return 0
    asyncio.run(_migrate(settings))
    return 0


def _run(main: Coroutine[Any, Any, None]) -> None:
    """Run on uvloop where it exists: the event loop is a fifth of the service's CPU."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
        return
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main)


async def _serve(settings: Settings, host: str, port: int) -> None:
    config = HypercornConfig()
    config.bind = [f"{host}:{port}"]
    config.accesslog = None
    config.graceful_timeout = settings.drain_timeout_s
    config.shutdown_timeout = settings.drain_timeout_s + 10  # the lifespan drains after requests
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    log.info("service.starting", host=host, port=port)  # hypercorn logs when it is bound
    await hypercorn_serve(create_app(settings), config, shutdown_trigger=stop.wait)


async def _migrate(settings: Settings) -> None:
    if settings.database_url is not None:
        await _migrate_dsn(settings.database_url)
        return
    async with embedded_postgres(settings.data_dir) as dsn:
        await _migrate_dsn(dsn)


async def _migrate_dsn(dsn: str) -> None:
    async with Database.open(dsn, min_size=1, max_size=1) as db:
        applied = await db.migrate()
    log.info("database.migrated", applied=applied)
