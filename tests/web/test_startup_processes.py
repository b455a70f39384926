"""
Real `serve` processes and what they leave behind: stdout that is JSON lines only when
it is not a terminal (hypercorn's lines included, with the Procfile's command too), no
colour codes in a file, and an embedded Postgres kept in the user's data directory
(whatever the working directory) that is stopped on exit, also after a kill -9.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx
import psutil
import pytest

from loadtest.replicas import free_port
from tests.web.test_startup import BIN, EXECUTABLE, ROOT, SECRETS, procfile_web

pytestmark = pytest.mark.slow


class Process:
    """One command with its stdout and stderr in files, readable afterwards."""

    def __init__(
        self, args: Sequence[str], env: Mapping[str, str], cwd: Path, logs: Path, port: int
    ) -> None:
        self.port = port
        self.out = logs / f"{port}.out"
        self.err = logs / f"{port}.err"
        full = {"PATH": f"{BIN}:{os.environ.get('PATH', '')}", "HOME": os.environ["HOME"]}
        full.update(env)
        with self.out.open("wb") as out, self.err.open("wb") as err:
            self.popen = subprocess.Popen(
                list(args), env=full, cwd=cwd, stdout=out, stderr=err, stdin=subprocess.DEVNULL
            )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_ready(self, timeout_s: float = 60.0) -> None:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            assert self.popen.poll() is None, f"exited {self.popen.returncode}: {self.logs()}"
            try:
                if httpx.get(f"{self.url}/readyz", timeout=2.0).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"not ready within {timeout_s}s: {self.logs()}")

    def stop(self) -> int:
        self.popen.send_signal(signal.SIGTERM)
        return self.popen.wait(timeout=60)

    def logs(self) -> str:
        return self.out.read_text()[-3000:] + self.err.read_text()[-3000:]

    def lines(self) -> list[dict[str, Any]]:
        """Every stdout line, each of which must be a JSON object."""
        parsed = []
        for line in self.out.read_text().splitlines():
            value = json.loads(line)  # fails the test on any line that is not JSON
            assert isinstance(value, dict)
            parsed.append(value)
        return parsed


@pytest.fixture
def processes(tmp_path: Path) -> Iterator[list[Process]]:
    started: list[Process] = []
    yield started
    for process in started:
        if process.popen.poll() is None:
            process.popen.kill()
            process.popen.wait()


def start(
    processes: list[Process],
    args: Sequence[str],
    env: Mapping[str, str],
    cwd: Path,
    logs: Path,
    port: int,
) -> Process:
    process = Process(args, env, cwd, logs, port)
    processes.append(process)
    return process


def test_serve_writes_json_lines_only_and_says_what_is_off(
    database_url: str, processes: list[Process], tmp_path: Path
) -> None:
    port = free_port()
    service = start(
        processes,
        [str(EXECUTABLE), "serve", "--host", "127.0.0.1", "--port", str(port)],
        {**SECRETS, "DATABASE_URL": database_url},
        tmp_path,
        tmp_path,
        port,
    )
    service.wait_ready()
    malformed = httpx.post(
        f"{service.url}/webhooks/stripe",
        content=b'{"id": "evt_1"}',
        headers={"Stripe-Signature": "t=1,v1=00"},
    )
    assert malformed.status_code == 401  # unsigned: refused before parsing, as JSON
    assert malformed.json() == {"error": "invalid signature"}
    assert service.stop() == 0

    lines = service.lines()
    assert service.err.read_text() == ""
    events = [line["event"] for line in lines]
    assert any(line.get("logger") == "hypercorn.error" for line in lines), events
    (summary,) = [line for line in lines if line["event"] == "service.configuration"]
    assert summary["whatsapp_sending"] == "off"
    assert summary["stripe"] == "off"
    assert summary["admin"] == "off"
    assert summary["pilot"] == "off"
    assert summary["studio"] == "off"
    assert summary["locale"] == "en_GB"
    off = {
        line["feature"]: line["missing"]
        for line in lines
        if line["event"] == "config.not_configured"
    }
    assert off["whatsapp_sending"] == ["WHATSAPP_ACCESS_TOKEN", "WHATSAPP_PHONE_NUMBER_ID"]
    assert off["artist_number"] == ["ARTIST_WHATSAPP_NUMBER"]
    assert off["stripe"] == ["STRIPE_API_KEY"]
    assert off["admin"] == ["ADMIN_TOKEN"]
    assert off["studio"] == ["PUBLIC_BASE_URL", "STUDIO_PASSWORD"]


def test_console_lines_into_a_file_carry_no_colour_codes(
    database_url: str, processes: list[Process], tmp_path: Path
) -> None:
    port = free_port()
    service = start(
        processes,
        [str(EXECUTABLE), "serve", "--host", "127.0.0.1", "--port", str(port)],
        {**SECRETS, "DATABASE_URL": database_url, "LOG_FORMAT": "console"},
        tmp_path,
        tmp_path,
        port,
    )
    service.wait_ready()
    assert service.stop() == 0
    text = service.out.read_text()
    assert "service.configuration" in text
    assert "Running on" in text
    assert "\x1b[" not in text


def test_the_procfile_web_process_serves_with_json_lines_only(
    database_url: str, processes: list[Process], tmp_path: Path
) -> None:
    port = free_port()
    service = start(
        processes,
        procfile_web(port),
        {**SECRETS, "DATABASE_URL": database_url},
        ROOT,
        tmp_path,
        port,
    )
    service.wait_ready()
    assert service.stop() == 0
    lines = service.lines()
    assert service.err.read_text() == ""
    assert any("Running on" in line["event"] for line in lines)
    assert any(line["event"] == "service.configuration" for line in lines)


def _postmaster(data_dir: Path) -> int | None:
    """The embedded server's pid while it runs, else None."""
    pid_file = data_dir / "postmaster.pid"
    if not pid_file.exists():
        return None
    pid = int(pid_file.read_text().splitlines()[0])
    return pid if psutil.pid_exists(pid) else None


@pytest.fixture
def home(tmp_path: Path) -> Iterator[Path]:
    """A home directory of its own; an embedded server left running there is stopped."""
    home = tmp_path / "home"
    home.mkdir()
    home.chmod(0o755)  # pgserver runs Postgres as its own user when we are root
    yield home
    left = _postmaster(home / ".local" / "share" / "booking-assistant" / "pg")
    if left is not None:
        os.kill(left, signal.SIGTERM)


def test_the_embedded_postgres_lives_in_the_users_data_dir_and_stops_after_a_kill_9(
    processes: list[Process], tmp_path: Path, home: Path
) -> None:
    first_dir, second_dir = tmp_path / "a", tmp_path / "b"
    first_dir.mkdir()
    second_dir.mkdir()
    env = {**SECRETS, "HOME": str(home), "XDG_DATA_HOME": ""}  # and no XDG_RUNTIME_DIR
    data_dir = home / ".local" / "share" / "booking-assistant" / "pg"

    port = free_port()
    first = start(
        processes,
        [str(EXECUTABLE), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env,
        first_dir,
        tmp_path,
        port,
    )
    first.wait_ready(timeout_s=120)
    server = _postmaster(data_dir)
    assert server is not None, first.logs()
    (summary,) = [line for line in first.lines() if line["event"] == "service.configuration"]
    assert summary["database"] == f"embedded in {data_dir}"
    assert first.err.read_text() == ""  # pgserver's XDG_RUNTIME_DIR warning included
    first.popen.kill()
    first.popen.wait()
    assert _postmaster(data_dir) == server  # a kill -9 cannot stop it

    port = free_port()
    second = start(
        processes,
        [str(EXECUTABLE), "serve", "--host", "127.0.0.1", "--port", str(port)],
        env,
        second_dir,
        tmp_path,
        port,
    )
    second.wait_ready(timeout_s=120)
    assert _postmaster(data_dir) == server  # the same database, from another directory
    assert second.stop() == 0
    assert _postmaster(data_dir) is None, second.logs()
    assert list(first_dir.iterdir()) == []
    assert list(second_dir.iterdir()) == []
