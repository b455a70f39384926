"""
`booking-assistant serve` as real processes: the replicas a load test drives and the
process tests kill.

    ServiceLauncher   starts ServiceProcess-es, kills whatever is left at the end
    ServiceProcess    one `serve` subprocess: start (ready on /readyz), terminate, kill,
                      pause, resume, restart; its stdout and stderr go to a log file.
                      With a `worker` it is one replica in two roles: itself
                      `serve --role web`, the worker `serve --role worker`; they start,
                      stop, pause and die together, as one machine would

Every wait polls with a deadline; nothing sleeps a fixed time to let something happen.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import anyio
import httpx

from fakes.meta import encode, sign

__all__ = [
    "ServiceLauncher",
    "ServiceProcess",
    "ServiceStartError",
    "free_port",
    "service_env",
]

EXECUTABLE = Path(sys.executable).with_name("booking-assistant")
_PASSED_THROUGH = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT", "PYTHONPATH")


class ServiceStartError(AssertionError):
    """The service did not become ready; the message carries the tail of its log."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def service_env(
    database_url: str,
    graph_base: str,
    *,
    app_secret: str,
    verify_token: str,
    access_token: str,
    phone_number_id: str,
    **overrides: str,
) -> dict[str, str]:
    """The environment of one `serve` process: nothing leaks in from the caller's own.

    Delivery is tuned for local fakes (fast polls and backoff, no per-recipient pacing);
    `overrides` change any of it.
    """
    env = {name: os.environ[name] for name in _PASSED_THROUGH if name in os.environ}
    env.update(
        {
            "PYTHONUNBUFFERED": "1",
            "DATABASE_URL": database_url,
            "WHATSAPP_APP_SECRET": app_secret,
            "WHATSAPP_VERIFY_TOKEN": verify_token,
            "WHATSAPP_ACCESS_TOKEN": access_token,
            "WHATSAPP_PHONE_NUMBER_ID": phone_number_id,
            "WHATSAPP_API_BASE": graph_base,
            "RELAY_POLL_S": "0.1",
            "WHATSAPP_RECIPIENT_INTERVAL_S": "0",
            "TURN_WAIT_S": "4",
            "RELAY_BACKOFF_BASE_S": "0.05",
            "RELAY_BACKOFF_CAP_S": "0.2",
            "LOG_FORMAT": "json",
            # /metrics needs it: the harness scrapes as Prometheus does, with the token.
            "ADMIN_TOKEN": secrets.token_urlsafe(32),
        }
    )
    env.update(overrides)
    return env


class ServiceProcess:
    """One `booking-assistant serve` subprocess on 127.0.0.1."""

    def __init__(
        self, name: str, env: Mapping[str, str], log_path: Path, args: Sequence[str] = ()
    ) -> None:
        self.name = name
        self.env = dict(env)
        self.log_path = log_path
        self.args = tuple(args)  # more of `serve`'s options: --role, --workers
        self.port = free_port()
        self._popen: subprocess.Popen[bytes] | None = None
        self.worker: ServiceProcess | None = None

    @classmethod
    def in_roles(cls, name: str, env: Mapping[str, str], log_dir: Path) -> ServiceProcess:
        """One replica as a web process (this) and a worker process (`.worker`)."""
        web = cls(name, env, log_dir / f"{name}.log", ["--role", "web"])
        web.worker = cls(name, env, log_dir / f"{name}-worker.log", ["--role", "worker"])
        return web

    # -- what a test reads -------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        assert self._popen is not None, f"{self.name} was never started"
        return self._popen.pid

    @property
    def running(self) -> bool:
        alive = self._popen is not None and self._popen.poll() is None
        return alive and (self.worker is None or self.worker.running)

    @property
    def returncode(self) -> int | None:
        return None if self._popen is None else self._popen.poll()

    def log_tail(self, lines: int = 40, width: int = 400) -> str:
        """The last `lines` lines of the log, each cut to `width` characters."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except FileNotFoundError:
            return f"({self.log_path} does not exist)"
        tail = "\n".join(line[:width] for line in text.splitlines()[-lines:])
        if self.worker is not None:
            tail += (
                f"\n--- its worker ({self.worker.log_path})\n{self.worker.log_tail(lines, width)}"
            )
        return tail

    async def post_webhook(
        self, client: httpx.AsyncClient, payload: dict[str, Any]
    ) -> httpx.Response:
        """POST `payload` to /webhooks/whatsapp, signed the way Meta signs it."""
        body = encode(payload)
        return await client.post(
            f"{self.base_url}/webhooks/whatsapp",
            content=body,
            headers={
                "X-Hub-Signature-256": sign(self.env["WHATSAPP_APP_SECRET"], body),
                "Content-Type": "application/json",
            },
        )

    # -- lifecycle ---------------------------------------------------------------------

    async def start(self, timeout_s: float = 30.0) -> None:
        """Spawn the process (and its worker) and return once GET /readyz answers 200."""
        assert not self.running, f"{self.name} is already running"
        if self.worker is not None and not self.worker.running:
            await self.worker.start(timeout_s)
        if self._popen is not None and self._popen.poll() is None:
            return  # only its worker had stopped
        for attempt in range(3):
            self._spawn()
            if await self._wait_ready(timeout_s):
                return
            if self.returncode is not None and "address already in use" in (
                self.log_tail(20).lower()
            ):
                self.port = free_port()  # lost a race for the port: take another
                continue
            self.kill_now()
            raise ServiceStartError(
                f"{self.name} was not ready within {timeout_s}s "
                f"(attempt {attempt + 1}, exit code {self.returncode}):\n{self.log_tail()}"
            )
        raise ServiceStartError(f"{self.name} found no free port:\n{self.log_tail()}")

    def _spawn(self) -> None:
        with self.log_path.open("ab") as log:
            options = ["--port", str(self.port), *self.args]
            log.write(f"--- {self.name}: serve {' '.join(options)}\n".encode())
            log.flush()
            self._popen = subprocess.Popen(
                [str(EXECUTABLE), "serve", "--host", "127.0.0.1", *options],
                env=self.env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
            )

    async def _wait_ready(self, timeout_s: float) -> bool:
        deadline = time.monotonic() + timeout_s
        async with httpx.AsyncClient(timeout=2.0) as client:
            while time.monotonic() < deadline:
                if not self.running:
                    return False
                with contextlib.suppress(httpx.TransportError):
                    response = await client.get(f"{self.base_url}/readyz")
                    if response.status_code == 200:
                        return True
                await anyio.sleep(0.05)
        return False

    def send_signal(self, signum: signal.Signals) -> None:
        assert self._popen is not None, f"{self.name} was never started"
        self._popen.send_signal(signum)
        if self.worker is not None:
            self.worker.send_signal(signum)

    async def wait(self, timeout_s: float) -> int:
        """The exit code, once the process has exited; fails after `timeout_s`."""
        assert self._popen is not None, f"{self.name} was never started"
        deadline = time.monotonic() + timeout_s
        while (code := self._popen.poll()) is None:
            if time.monotonic() > deadline:
                raise AssertionError(
                    f"{self.name} still running {timeout_s}s later:\n{self.log_tail()}"
                )
            await anyio.sleep(0.02)
        if self.worker is not None:
            await self.worker.wait(max(1.0, deadline - time.monotonic()))
        return code

    def pause(self) -> None:
        """SIGSTOP: the process keeps its sockets and locks but runs no code."""
        self.send_signal(signal.SIGSTOP)

    def resume(self) -> None:
        """SIGCONT after `pause`."""
        self.send_signal(signal.SIGCONT)

    async def terminate(self, timeout_s: float = 30.0) -> int:
        """SIGTERM, then wait for the exit code."""
        self.send_signal(signal.SIGTERM)
        return await self.wait(timeout_s)

    async def kill(self) -> int:
        """SIGKILL, then reap."""
        self.send_signal(signal.SIGKILL)
        return await self.wait(10.0)

    async def restart(self, **env: str) -> None:
        """Stop gracefully if running, then start again (with `env` changed)."""
        if self.running:
            await self.terminate()
        self.env.update(env)
        await self.start()

    def kill_now(self) -> None:
        """SIGKILL and reap, synchronously: for cleanup after anything at all."""
        if self.worker is not None:
            self.worker.kill_now()
        if self._popen is not None and self._popen.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                self._popen.send_signal(signal.SIGCONT)  # a paused process dies too
            self._popen.kill()
            self._popen.wait(10.0)


class ServiceLauncher:
    """Starts service processes on one database and kills whatever is left at the end.

    `secrets` are the WHATSAPP_* values every process gets (app secret, verify token,
    access token, phone number id), keyed by their service_env parameter names; `env`,
    variables every process gets unless a start says otherwise.
    """

    def __init__(
        self,
        database_url: str,
        log_dir: Path,
        secrets: Mapping[str, str],
        env: Mapping[str, str] | None = None,
    ) -> None:
        self.database_url = database_url
        self.log_dir = log_dir
        self.secrets = dict(secrets)
        self.env = dict(env or {})
        self.processes: list[ServiceProcess] = []

    async def start(
        self,
        graph_base: str,
        *,
        name: str | None = None,
        database_url: str | None = None,
        args: Sequence[str] = (),
        roles: bool = False,
        env: Mapping[str, str] | None = None,
        **more_env: str,
    ) -> ServiceProcess:
        """Start one replica: one `serve` process, or a web and a worker one (`roles`).

        Its environment is `service_env`'s, changed by `env` and `more_env`."""
        name = name or f"service-{len(self.processes) + 1}"
        environment = service_env(
            database_url or self.database_url,
            graph_base,
            **self.secrets,
            **{**self.env, **(env or {}), **more_env},
        )
        if roles:
            process = ServiceProcess.in_roles(name, environment, self.log_dir)
        else:
            process = ServiceProcess(name, environment, self.log_dir / f"{name}.log", args)
        self.processes.append(process)
        await process.start()
        return process

    def close(self) -> None:
        for process in self.processes:
            process.kill_now()

    def report(self) -> str:
        return "\n".join(
            f"===== {p.name} ({p.log_path}), exit code {p.returncode}\n{p.log_tail()}"
            for p in self.processes
        )
