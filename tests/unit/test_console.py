"""
The console (`python -m fakes.console`): it prints every variable `serve` requires, and a
number taps the buttons of whoever received them, the artist's packet included.
"""

from __future__ import annotations

import io
import json
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from actors.copy import Composer, load_copy
from fakes.console import Action, Console, main
from fakes.graph import FakeGraphApi, SentMessage
from fakes.stripe_api import FakeStripe
from loadtest.replicas import free_port
from tests.unit.rendering import stored_message
from web.settings import Settings

COPY = Composer(load_copy(Path(__file__).resolve().parents[2] / "copy", "en_GB"))
LEAD, ARTIST = "447700900123", "447700900999"


def _printed_env(out: str) -> dict[str, str]:
    """NAME=value lines, as a shell reads them (values are quoted for pasting)."""
    lines = out.split("\n\n")[1].splitlines()  # the block after the first paragraph
    return dict(shlex.split(line)[0].split("=", 1) for line in lines)


def test_the_console_prints_every_variable_serve_requires(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("/quit\n"))
    port, stripe_port = free_port(), free_port()
    code = main(["--port", str(port), "--stripe-port", str(stripe_port), "--secret", "dev"])
    out = capsys.readouterr().out
    assert code == 0
    env = _printed_env(out)
    required = Settings.model_construct().missing_for_serve()
    assert required, "serve requires something"
    assert set(required) <= set(env)
    settings = Settings.model_validate({name.lower(): value for name, value in env.items()})
    assert settings.missing_for_serve() == []
    assert settings.whatsapp_api_base == f"http://127.0.0.1:{port}/v21.0"
    assert settings.stripe_api_base == f"http://127.0.0.1:{stripe_port}"
    assert (settings.studio_name, settings.artist_name) == ("Black Lantern Tattoo", "Mika")
    one_line = next(line for line in out.splitlines() if line.endswith("booking-assistant serve"))
    assert set(shlex.split(one_line)) >= {f"{name}={value}" for name, value in env.items()}


# -- tapping by number -------------------------------------------------------------------


class _Service:
    """The service's webhook, as the console's client sees it: what it was sent."""

    def __init__(self) -> None:
        self.posted: list[dict[str, Any]] = []

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.posted.append(json.loads(request.content)["entry"][0]["changes"][0]["value"])
        return httpx.Response(200, json={"ok": True})

    def last(self) -> tuple[str, str]:
        """Who sent the last message, and the id tapped (or the text typed)."""
        message = self.posted[-1]["messages"][0]
        if message["type"] == "interactive":
            kind = message["interactive"]["type"]
            return message["from"], message["interactive"][kind]["id"]
        return message["from"], message["text"]["body"]


@pytest.fixture
def service() -> _Service:
    return _Service()


@pytest.fixture
def console(service: _Service) -> Iterator[Console]:
    transport = httpx.MockTransport(service.handler)
    with httpx.Client(transport=transport, base_url="http://service.test") as client:
        yield Console(
            FakeGraphApi(),
            client,
            stripe=FakeStripe(),
            secret="dev",
            lead=LEAD,
            artist=ARTIST,
            lead_name="Ana",
        )


def bot_sends(console: Console, to: str, key: str, **fields: Any) -> None:
    """The service sends copy `key` to `to`, rendered as the relay renders it."""
    body = COPY.render(stored_message({"to": to, "key": key, "params": {}, **fields}))
    console.fake.record(SentMessage(to, body["type"], body, f"wamid.{key}", None))
    console.show_new()


def packet(console: Console) -> None:
    params = {"name": "Ana", "number": LEAD, "link": f"https://wa.me/{LEAD}"}
    bot_sends(console, ARTIST, "artist_packet", params=params, ref=LEAD)


def test_after_the_packet_a_number_taps_the_artists_button(
    console: Console, service: _Service
) -> None:
    bot_sends(console, LEAD, "summary", answers=[["idea", "a fox"]])
    assert console.handle("1") is Action.SENT
    assert service.last() == (LEAD, "confirm")
    # The lead's thanks and the artist's packet arrive in either order.
    packet(console)
    bot_sends(console, LEAD, "sent_to_artist")
    assert console.handle("1") is Action.SENT
    assert service.last() == (ARTIST, f"approve:{LEAD}")


def test_as_artist_n_taps_the_artists_own_buttons_whatever_came_after(
    console: Console, service: _Service
) -> None:
    packet(console)
    bot_sends(console, LEAD, "questions.colour")  # the lead has buttons of their own, newer
    assert console.handle("/as artist 2") is Action.SENT
    assert service.last() == (ARTIST, f"decline:{LEAD}")
    assert console.handle("2") is Action.SENT  # a plain number: the newest, the lead's
    assert service.last() == (LEAD, "black_grey")


def test_a_tapped_packet_closes_so_a_size_is_text_again(
    console: Console, service: _Service
) -> None:
    packet(console)
    bot_sends(console, LEAD, "holding")
    assert console.handle("1") is Action.SENT  # the packet's first button: Approve
    assert service.last() == (ARTIST, f"approve:{LEAD}")
    bot_sends(console, LEAD, "questions.size")  # a plain question
    assert console.handle("12") is Action.SENT
    assert service.last() == (LEAD, "12")


def test_the_artists_text_is_still_text(console: Console, service: _Service) -> None:
    assert console.handle("/as artist 2") is Action.SENT  # no buttons open: words
    assert service.last() == (ARTIST, "2")
    packet(console)
    assert console.handle("/as artist see you Tuesday") is Action.SENT
    assert service.last() == (ARTIST, "see you Tuesday")


def test_a_number_out_of_range_is_refused_not_sent(console: Console, service: _Service) -> None:
    packet(console)
    assert console.handle("/as artist 4") is Action.NOTHING
    assert service.posted == []
