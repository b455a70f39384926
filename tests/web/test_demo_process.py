"""
`booking-assistant demo` as a studio owner runs it: one command, no settings, no
DATABASE_URL. It prints the studio page's address and a password; with them the owner
signs in over HTTP and sees the sample leads on the board, each in its state; a line
typed into the terminal is a lead's message and the bot's reply is printed; Ctrl-C
(SIGINT) stops it with exit 0 and leaves no service and no database server running.
"""

from __future__ import annotations

import os
import queue
import re
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import psutil
import pytest

from tests.web.test_startup import BIN, EXECUTABLE

pytestmark = pytest.mark.slow

SAMPLES = {  # name -> status, as the board names them (the copy's `statuses:`)
    "Noor Haddad": "answering questions",  # just said hi: the first question is out
    "Sam Okafor": "answering questions",
    "Leo Brandt": "with you",
    "Ana Ramírez": "waiting for your approval",
    "Rosa Lind": "waiting for the deposit",
    "Kai Moreau": "booked",
}
ROW = re.compile(
    r'<span class="who">(?P<who>[^<]+)</span>\s*'
    r'<span class="status status-[a-z_]+">(?P<status>[^<]+)</span>'
)


class Demo:
    """The demo's process, its stdout read line by line on a thread."""

    def __init__(self, home: Path, data_dir: Path, logs: Path) -> None:
        env = {"PATH": f"{BIN}:{os.environ.get('PATH', '')}", "HOME": str(home)}
        self.err = logs / "demo.err"
        with self.err.open("wb") as err:
            self.popen = subprocess.Popen(
                [str(EXECUTABLE), "demo", "--data-dir", str(data_dir)],
                env=env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=err,
                text=True,
            )
        self.lines: list[str] = []
        self._new: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.popen.stdout is not None
        for line in self.popen.stdout:
            self._new.put(line.rstrip("\n"))

    def wait_for(self, pattern: str, timeout_s: float = 300.0) -> re.Match[str]:
        """The first line (printed so far or later) that matches `pattern`."""
        compiled = re.compile(pattern)
        deadline = time.monotonic() + timeout_s
        for line in self.lines:
            if found := compiled.search(line):
                return found
        while time.monotonic() < deadline:
            try:
                line = self._new.get(timeout=0.2)
            except queue.Empty:
                assert self.popen.poll() is None, f"exited {self.popen.returncode}: {self.out()}"
                continue
            self.lines.append(line)
            if found := compiled.search(line):
                return found
        raise AssertionError(f"no line matching {pattern!r}: {self.out()}")

    def type(self, line: str) -> None:
        assert self.popen.stdin is not None
        self.popen.stdin.write(line + "\n")
        self.popen.stdin.flush()

    def out(self) -> str:
        return "\n".join(self.lines)[-4000:] + "\n" + self.err.read_text()[-3000:]


@pytest.fixture
def home() -> Iterator[Path]:
    """A home of its own, outside pytest's temporary root: another pytest run resets that
    root to 0700 when it starts, which Postgres (its own user when we are root) needs to
    traverse."""
    with tempfile.TemporaryDirectory(prefix="demo-home-") as made:
        home = Path(made)
        home.chmod(0o755)
        yield home


@pytest.fixture
def demo(home: Path, tmp_path: Path) -> Iterator[Demo]:
    started = Demo(home, home / "demo", tmp_path)
    yield started
    if started.popen.poll() is None:  # the test failed before stopping it
        for child in psutil.Process(started.popen.pid).children(recursive=True):
            child.kill()
        started.popen.kill()
        started.popen.wait()
    left = _postmaster(home / "demo" / "pg")
    if left is not None:
        os.kill(left, signal.SIGTERM)


def _postmaster(pgdata: Path) -> int | None:
    """The embedded server's pid while it runs, else None."""
    pid_file = pgdata / "postmaster.pid"
    if not pid_file.exists():
        return None
    pid = int(pid_file.read_text().splitlines()[0])
    return pid if psutil.pid_exists(pid) else None


def _sign_in(client: httpx.Client, password: str) -> None:
    login = client.get("/studio/login")
    csrf = re.search(r'name="csrf" value="([^"]+)"', login.text)
    assert csrf is not None, login.text
    signed = client.post(
        "/studio/login/password", data={"csrf": csrf.group(1), "password": password}
    )
    assert signed.status_code == 303, signed.text
    assert signed.headers["Location"] == "/studio/"


def test_the_demo_shows_the_samples_plays_a_lead_and_stops_on_ctrl_c(
    demo: Demo, home: Path
) -> None:
    address = demo.wait_for(r"^Studio page: (http://127\.0\.0\.1:\d+)/studio/$").group(1)
    password = demo.wait_for(r"^password: (\S+)$").group(1)

    with httpx.Client(base_url=address, timeout=30.0) as client:
        root = client.get("/")
        assert root.status_code == 303
        assert root.headers["Location"] == "/studio/"
        _sign_in(client, password)
        board = client.get("/studio/")
        assert board.status_code == 200
        shown = {row["who"]: row["status"] for row in ROW.finditer(board.text)}
    assert shown == SAMPLES

    demo.type("Hi")
    demo.wait_for(r"^\[lead -> bot\] Hi$", timeout_s=30)
    demo.wait_for(r"^\[bot -> lead 447700900123\]$", timeout_s=30)
    demo.wait_for(r"Thanks for getting in touch with Black Lantern Tattoo", timeout_s=30)
    demo.wait_for(r"What would you like to get\?", timeout_s=30)
    demo.type("/pay")  # a sample lead waits for the deposit: its link is not the owner's
    demo.wait_for(r"no deposit link for the lead yet", timeout_s=30)

    started = psutil.Process(demo.popen.pid).children(recursive=True)
    assert started, "the service runs as the demo's child"
    server = _postmaster(home / "demo" / "pg")
    assert server is not None

    demo.popen.send_signal(signal.SIGINT)
    assert demo.popen.wait(timeout=120) == 0, demo.out()
    assert [p.pid for p in started if p.is_running() and p.status() != "zombie"] == []
    assert _postmaster(home / "demo" / "pg") is None
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{address}/healthz", timeout=5.0)
