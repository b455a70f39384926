"""
`serve --workers N`: N processes of the service on one port, each with its own actors.

The parent takes the port, starts the database (or checks DATABASE_URL's) and applies
the migrations once; then it starts N children that each serve on the inherited
listening socket (the kernel hands each new connection to one of them, as with
hypercorn's own workers). Several processes taking turns for the same lead are safe: the
lead's transaction-level lock and its version compare-and-set already make replicas
safe, and a process is only a replica that shares a port.

Each child sends at most WHATSAPP_RATE_PER_S / N, so that together they keep to it.

SIGTERM (or SIGINT) to the parent is passed to every child, each drains as `serve`
does, and the parent exits 0 once all of them have. A child that dies on its own is
started again after `RESTART_DELAY_S`; one that refuses to start (exit 2: a setting,
the copy, the database) stops them all. Children die with the parent (Linux's
parent-death signal), so a kill -9 of the parent leaves nothing behind.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import os
import signal
import socket
import sys
from collections.abc import Sequence

import structlog

from web.startup import EXIT_REFUSED

__all__ = ["RESTART_DELAY_S", "child_env", "run_workers"]

RESTART_DELAY_S = 1.0
_PR_SET_PDEATHSIG = 1

log = structlog.get_logger("web.workers")


def _die_with_parent() -> None:  # pragma: no cover - runs in the child, before exec
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


async def run_workers(
    sock: socket.socket, count: int, child_args: Sequence[str], env: dict[str, str]
) -> int:
    """Run `count` children of `python -m web.cli serve <child_args> --fd <sock>` until
    SIGTERM; return the exit status for the parent."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    fd = sock.fileno()
    argv = [sys.executable, "-m", "web.cli", "serve", *child_args, "--fd", str(fd)]

    async def start() -> asyncio.subprocess.Process:
        return await asyncio.create_subprocess_exec(
            *argv, env=env, pass_fds=(fd,), preexec_fn=_die_with_parent
        )

    children = [await start() for _ in range(count)]
    log.info("workers.started", count=count, pids=[c.pid for c in children])
    refused = False
    try:
        while not stop.is_set():
            waits = {asyncio.ensure_future(c.wait()): n for n, c in enumerate(children)}
            stopping = asyncio.ensure_future(stop.wait())
            done, _ = await asyncio.wait([*waits, stopping], return_when=asyncio.FIRST_COMPLETED)
            for each in (*waits, stopping):
                each.cancel()
            for finished in done & waits.keys():
                n = waits[finished]
                code = children[n].returncode
                if code == EXIT_REFUSED:
                    log.error("workers.refused", pid=children[n].pid)
                    refused = True
                    stop.set()
                    break
                if stop.is_set():
                    break
                log.error("workers.exited", pid=children[n].pid, code=code)
                with contextlib.suppress(TimeoutError):
                    async with asyncio.timeout(RESTART_DELAY_S):
                        await stop.wait()
                if not stop.is_set():
                    children[n] = await start()
                    log.warning("workers.restarted", pid=children[n].pid)
    finally:
        codes = await _stop_all(children)
    log.info("workers.stopped", codes=codes)
    if refused:
        return EXIT_REFUSED
    # 143: a child told to stop while it was still starting (it had nothing to drain).
    return 0 if all(code in (0, 128 + signal.SIGTERM) for code in codes) else 1


async def _stop_all(children: Sequence[asyncio.subprocess.Process]) -> list[int]:
    """SIGTERM every child still running; each drains within its own timeouts."""
    for child in children:
        if child.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                child.send_signal(signal.SIGTERM)
    codes = [await child.wait() for child in children]
    return [code if code >= 0 else 128 - code for code in codes]


def child_env(dsn: str, rate_per_s: float, count: int) -> dict[str, str]:
    """The parent's environment with the database it checked (or started) for them, and
    WhatsApp's rate shared out: Meta's limit is per number, not per process."""
    return {**os.environ, "DATABASE_URL": dsn, "WHATSAPP_RATE_PER_S": repr(rate_per_s / count)}
