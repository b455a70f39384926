"""
`booking-assistant demo`: the service as a studio owner first sees it, on one machine.

It holds the embedded Postgres (a fresh `booking_demo` database in it each run, so every
first run looks the same), serves the fake Graph API and the fake Stripe on free ports,
starts `booking-assistant serve` with the example studio file and a generated studio
password, and plays a few sample leads into it as real signed webhooks (never rows
written by hand): each one ends in another state of the board. Then it prints the studio
page's address and the password, and the console (`fakes.console`) lets the owner play
a lead of their own. Ctrl-C (or /quit, or the end of piped input) stops the service, the
fakes and the database, and exits 0.

The service's own log goes to a file beside the database (printed at start), so the
terminal shows only the conversation.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import TypeVar
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import httpx
import platformdirs

from fakes import stripe_api
from fakes.console import (
    HELP,
    Console,
    OnPort,
    choices_of,
    graph_responder,
    play,
    serve_env,
    stripe_responder,
)
from fakes.graph import FakeGraphApi
from fakes.stripe_api import FakeStripe
from storage.embedded import embedded_postgres

__all__ = ["main"]

_T = TypeVar("_T")

DEFAULT_DIR = platformdirs.user_data_path("booking-assistant") / "demo"
EXAMPLE_STUDIO = Path(__file__).resolve().parent.parent / "studio.example.yml"
DATABASE = "booking_demo"
STUDIO_NAME, ARTIST_NAME = "Black Lantern Tattoo", "Mika"
ARTIST = "447700900999"
OWNER_LEAD = "447700900123"  # the lead the owner plays from the terminal
_PASSED = frozenset(  # the environment the service inherits: the system's, not settings
    {"PATH", "HOME", "USER", "LANG", "TMPDIR", "TZ", "VIRTUAL_ENV", "PYTHONPATH"}
    | {"XDG_DATA_HOME", "XDG_RUNTIME_DIR", "SYSTEMROOT"}
)


class DemoError(Exception):
    """Something the demo needs is missing or did not start: one line for the owner."""


@dataclass(frozen=True)
class Sample:
    """One sample lead: who, and the state its script leaves it in (as the board says)."""

    wa_id: str
    name: str
    ends: str  # the script's last step
    shows: str  # what the owner is told to look for on the board


SAMPLES = (
    Sample("447700900101", "Noor Haddad", "new", "new: said hi, has the first question"),
    Sample("447700900102", "Sam Okafor", "answering questions", "answering questions"),
    Sample("447700900103", "Leo Brandt", "with you", "asked for you (Needs you)"),
    Sample("447700900104", "Ana Ramírez", "waiting for your approval", "waiting for your approval"),
    Sample("447700900105", "Rosa Lind", "waiting for the deposit", "waiting for the deposit"),
    Sample("447700900106", "Kai Moreau", "booked", "booked, deposit paid"),
)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="booking-assistant demo", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument(
        "--data-dir", type=Path, default=DEFAULT_DIR, help=f"default: {DEFAULT_DIR}"
    )
    parser.add_argument("--port", type=int, default=0, help="the service's port (default: free)")
    parser.add_argument(
        "--studio-file", type=Path, default=EXAMPLE_STUDIO, help="default: studio.example.yml"
    )
    parser.add_argument("--wait", type=float, default=8.0, help="seconds to wait for replies")
    args = parser.parse_args(argv)
    if sys.stdout is not None and hasattr(sys.stdout, "reconfigure"):
        sys.stdout.reconfigure(line_buffering=True)  # piped: each line as it is printed
    signal.signal(signal.SIGINT, _interrupt)  # also when started in the background
    signal.signal(signal.SIGHUP, _interrupt)  # the terminal closed: stop what we started
    try:
        return _demo(args)
    except DemoError as error:
        print(f"booking-assistant demo: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print()
        return 0


def _interrupt(_signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def _demo(args: argparse.Namespace) -> int:
    studio_file = args.studio_file.expanduser().resolve()
    if not studio_file.is_file():
        raise DemoError(f"--studio-file: no file {studio_file} (pass a copy of the example)")
    data_dir: Path = args.data_dir.expanduser().resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    fake, stripe = FakeGraphApi(), FakeStripe()
    with contextlib.ExitStack() as stack:
        print("Starting the demo: the embedded database, fake WhatsApp and fake Stripe...")
        dsn = stack.enter_context(_fresh_database(data_dir / "pg"))
        graph_server = OnPort(graph_responder(fake), 0)
        stack.callback(graph_server.close)
        stripe_server = OnPort(stripe_responder(stripe), 0)
        stack.callback(stripe_server.close)
        port = args.port or _free_port()
        password = secrets.token_urlsafe(12)
        secret = secrets.token_hex(16)
        env = _service_env(
            serve_env(
                fake,
                stripe,
                graph_port=graph_server.port,
                stripe_port=stripe_server.port,
                secret=secret,
                verify_token=secrets.token_hex(16),
                artist=ARTIST,
                studio_name=STUDIO_NAME,
                artist_name=ARTIST_NAME,
            ),
            dsn=dsn,
            port=port,
            password=password,
            studio_file=studio_file,
        )
        log_path = data_dir / "service.log"
        service = stack.enter_context(_service(env, port, log_path))
        base_url = f"http://127.0.0.1:{port}"
        _wait_ready(service, base_url, log_path)
        print(f"The service is up (its log: {log_path}). Playing the sample leads...")
        client = stack.enter_context(httpx.Client(base_url=base_url, timeout=30.0))
        seeder = Seeder(fake, stripe, client, secret)
        for sample in SAMPLES:
            try:
                seeder.play(sample)
            except DemoError as error:
                raise DemoError(f"{error} (the service's log: {log_path})") from None
            print(f"  {sample.name}: {sample.shows}")
        seeder.settle()
        print()
        print(f"Studio page: {base_url}/studio/")
        print(f"password: {password}")
        print()
        print(f"Now you are a lead (+{OWNER_LEAD}): say hi. {HELP}. Ctrl-C stops everything.")
        console = Console(
            fake,
            client,
            stripe=stripe,
            secret=secret,
            lead=OWNER_LEAD,
            artist=ARTIST,
            lead_name="Alex",
        )
        console.shown = len(fake.sent)  # the samples' messages are on the page, not here
        try:
            play(console, args.wait)
        except KeyboardInterrupt:
            print()
        print("Stopping the service, the fakes and the database...")
    return 0


# -- the database ----------------------------------------------------------------------


@contextlib.contextmanager
def _fresh_database(pgdata: Path) -> Iterator[str]:
    """Hold the embedded server (on a thread with its own loop) and yield a fresh database.

    The server stays up while the demo runs, so the service joins it, and it is stopped
    when the demo lets go (pgserver stops it with its last holder)."""
    ready, release = threading.Event(), threading.Event()
    found: dict[str, object] = {}

    async def hold() -> None:
        try:
            async with embedded_postgres(pgdata) as server_dsn:
                found["dsn"] = await _recreate(server_dsn)
                ready.set()
                await asyncio.to_thread(release.wait)
        except Exception as error:  # told to the owner in one line, below
            found["error"] = error
            ready.set()

    holder = threading.Thread(target=asyncio.run, args=(hold(),), name="demo-database")
    holder.start()
    try:
        while not ready.wait(0.1):
            pass
        if "error" in found:
            raise DemoError(f"the database did not start: {found['error']}")
        yield str(found["dsn"])
    finally:
        release.set()
        holder.join()


async def _recreate(server_dsn: str) -> str:
    """Drop and create the demo's database: every run starts from the same first day."""
    connection = await asyncpg.connect(server_dsn)
    try:
        await connection.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
        await connection.execute(f"CREATE DATABASE {DATABASE}")
    finally:
        await connection.close()
    parts = urlsplit(server_dsn)
    return urlunsplit(parts._replace(path=f"/{DATABASE}"))


# -- the service -----------------------------------------------------------------------


def _service_env(
    talk_to_fakes: dict[str, str], *, dsn: str, port: int, password: str, studio_file: Path
) -> dict[str, str]:
    """Only what the demo decides, over the few variables a process needs to run: the
    owner's own settings (a PILOT_ALLOWLIST, another LOCALE) would change what the
    sample leads' scripts meet."""
    env = {k: v for k, v in os.environ.items() if k in _PASSED or k.startswith("LC_")}
    env.update(talk_to_fakes)
    env.update(
        {
            "DATABASE_URL": dsn,  # the embedded server's demo database
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
            "STUDIO_PASSWORD": password,
            "STUDIO_FILE": str(studio_file),
            "LOG_FORMAT": "json",
            "WEB_CONCURRENCY": "1",
            "WHATSAPP_RECIPIENT_INTERVAL_S": "0.2",  # a brisk conversation on the terminal
            "RELAY_POLL_S": "0.2",
            "TIMER_POLL_S": "0.5",
        }
    )
    return env


@contextlib.contextmanager
def _service(env: dict[str, str], port: int, log_path: Path) -> Iterator[subprocess.Popen[bytes]]:
    """`serve` as a child in its own session: a terminal's Ctrl-C reaches the demo, which
    stops the child with SIGTERM (its drain) and waits for it."""
    command = [sys.executable, "-m", "web.cli", "serve", "--host", "127.0.0.1", "--port"]
    with log_path.open("wb") as log:
        child = subprocess.Popen(
            [*command, str(port)],
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        yield child
    finally:
        if child.poll() is None:
            child.terminate()
            try:
                child.wait(timeout=60)
            except subprocess.TimeoutExpired:
                child.kill()
                child.wait()


def _wait_ready(child: subprocess.Popen[bytes], base_url: str, log_path: Path) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise DemoError(f"the service exited with {child.returncode} (its log: {log_path})")
        try:
            if httpx.get(f"{base_url}/readyz", timeout=2.0).status_code == 200:
                return
        except httpx.TransportError:
            pass
        time.sleep(0.1)
    raise DemoError(f"the service was not ready within 120 s (its log: {log_path})")


def _free_port() -> int:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


# -- the sample leads ------------------------------------------------------------------


class Seeder:
    """Plays each sample lead's conversation through the webhooks, as their phones would.

    A webhook is answered once its turn has committed, so plain answers follow each
    other at once; only what needs the relay's work (the slot list, the Checkout
    Session) is waited for."""

    def __init__(
        self, fake: FakeGraphApi, stripe: FakeStripe, client: httpx.Client, secret: str
    ) -> None:
        self.fake, self.stripe, self.client, self.secret = fake, stripe, client, secret

    def play(self, sample: Sample) -> None:
        console = Console(
            self.fake,
            self.client,
            stripe=self.stripe,
            secret=self.secret,
            lead=sample.wa_id,
            artist=ARTIST,
            lead_name=sample.name,
        )
        with contextlib.redirect_stdout(io.StringIO()):  # the samples are not the owner's
            self._script(console, sample.ends)

    def _script(self, lead: Console, ends: str) -> None:
        lead.post(lead.lead, text="Hi")
        if ends == "new":
            return
        lead.post(lead.lead, text="A red rose on my ankle")
        if ends == "answering questions":
            return
        if ends == "with you":
            lead.post(lead.lead, text="Can I talk to a human please?")
            return
        lead.post(lead.lead, _picked("list_reply", "arm", "Arm"))
        lead.post(lead.lead, text="12 cm")
        lead.post(lead.lead, _picked("button_reply", "black_grey", "Black & grey"))
        lead.post(lead.lead, text="next month")
        lead.post(lead.lead, text="SKIP")
        lead.post(lead.lead, _picked("button_reply", "confirm", "Yes, send it"))
        if ends == "waiting for your approval":
            return
        since = len(self.fake.sent)
        lead.post(ARTIST, _picked("button_reply", f"approve:{lead.lead}", "Approve"))
        slots = self._wait(lambda: self._list_to(lead.lead, since), "the times offered")
        sessions = len(self.stripe.sessions)
        lead.post(lead.lead, _picked("list_reply", slots[0], slots[1]))
        if ends == "waiting for the deposit":
            return
        self._wait(lambda: len(self.stripe.sessions) > sessions or None, "the deposit link")
        session_id = list(self.stripe.sessions)[-1]
        paid = self.stripe.complete(session_id)
        lead.post_stripe(stripe_api.event("checkout.session.completed", paid))

    def _list_to(self, wa_id: str, since: int) -> tuple[str, str] | None:
        """The first free time (a `slot:<start>` row) offered to `wa_id` since `since`."""
        for message in self.fake.sent[since:]:
            if message.to != wa_id:
                continue
            for choice in choices_of(message):
                if choice.id.startswith("slot:"):
                    return choice.id, choice.title
        return None

    def settle(self, quiet_s: float = 1.5, timeout_s: float = 60.0) -> None:
        """Wait until the relay has sent the samples' last replies (a quiet spell)."""
        deadline = time.monotonic() + timeout_s
        seen, since = len(self.fake.sent), time.monotonic()
        while time.monotonic() < deadline and time.monotonic() - since < quiet_s:
            time.sleep(0.05)
            if len(self.fake.sent) != seen:
                seen, since = len(self.fake.sent), time.monotonic()

    @staticmethod
    def _wait(found: Callable[[], _T | None], what: str, timeout_s: float = 60.0) -> _T:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            value = found()
            if value is not None:
                return value
            time.sleep(0.05)
        raise DemoError(f"the sample leads: {what} did not come within {timeout_s:g} s")


def _picked(kind: str, reply_id: str, title: str) -> dict[str, object]:
    """A tapped button or list row, as WhatsApp's webhook carries it."""
    return {
        "type": "interactive",
        "interactive": {"type": kind, kind: {"id": reply_id, "title": title}},
    }
