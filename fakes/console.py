"""
Hold a whole conversation by hand against a running `booking-assistant serve`.

The console plays both phones, Meta and Stripe: it serves the fake Graph API, so
whatever the service sends (to the lead or to the artist) lands here and is printed, and
it posts what the person types to the service's webhook, signed as Meta signs it. It also
serves a fake Stripe, where the service makes its Checkout Sessions, and posts Stripe's
signed events for them on command, so the deposit (and the booking it makes) can be
walked through too. That lets a person read every word of the copy in order, exactly as
the relay renders it, with no WhatsApp or Stripe account and no database poking.

    .venv/bin/python -m fakes.console --service http://127.0.0.1:8000 \\
        --port 9009 --stripe-port 9010 --secret dev --lead 447700900123 \\
        --artist 447700900999

It prints every variable `serve` needs to talk to it (and the studio's names), ready to
paste. Type plain text to send it from the lead; `1`, `2`, ... to tap that button or
list row of the newest message whose buttons are still open, as whoever received it
(the lead's summary, then the artist's packet: `1` is Approve). Buttons close once one
is tapped or their recipient gets a plain text, so after a plain question a number is
text (a size). `/as artist 2` taps the artist's own second button; `/as artist <text>`
writes from the artist's phone; `/image` sends a picture from the lead; once the
artist has approved and the lead has the link, `/pay` to pay the newest
Checkout Session (`checkout.session.completed`), `/expire` to let it expire
(`checkout.session.expired`), `/refund` to refund the paid deposit (`charge.refunded`);
`/quit` to leave.
Input may be piped: after each line the console waits for the bot's replies before it
reads the next one, so a here-doc replays a conversation deterministically.
"""

from __future__ import annotations

import argparse
import json
import queue
import shlex
import sys
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import urlsplit

import httpx

from fakes import stripe_api
from fakes.graph import FakeGraphApi, SentMessage
from fakes.local_http import LocalHTTPServer
from fakes.meta import encode, sign, text_message, webhook
from fakes.stripe_api import FakeStripe

__all__ = ["main", "play"]

HELP = (
    "text = message from the lead | 1, 2, ... = tap that button or row | "
    "/as artist <n or text> | /image [caption] | /pay | /expire | /refund | /help | /quit"
)

Reply = tuple[int, dict[str, str], bytes]
Respond = Callable[[str, str, dict[str, str], bytes], Reply]
"""(method, target, lower-cased headers, body) -> (status, headers, body) of one request."""


class Action(Enum):
    """What a typed line did: whether to wait for the bot's replies, or to leave."""

    SENT = "sent"
    NOTHING = "nothing"
    QUIT = "quit"


@dataclass(frozen=True)
class Choice:
    """A button or list row the person can pick by number."""

    reply_type: str  # button_reply | list_reply
    id: str
    title: str


@dataclass(frozen=True)
class Interactive:
    """A message with open buttons or rows: numbers pick from it, as its recipient."""

    to: str
    choices: tuple[Choice, ...]


def serve_env(
    fake: FakeGraphApi,
    stripe: FakeStripe,
    *,
    graph_port: int,
    stripe_port: int,
    secret: str,
    verify_token: str,
    artist: str,
    studio_name: str,
    artist_name: str,
) -> dict[str, str]:
    """What `serve` is started with to talk to this console (every variable it needs)."""
    return {
        "WHATSAPP_APP_SECRET": secret,
        "WHATSAPP_VERIFY_TOKEN": verify_token,
        "WHATSAPP_API_BASE": f"http://127.0.0.1:{graph_port}/v21.0",
        "WHATSAPP_ACCESS_TOKEN": fake.access_token,
        "WHATSAPP_PHONE_NUMBER_ID": fake.phone_number_id,
        "ARTIST_WHATSAPP_NUMBER": artist,
        "STRIPE_API_KEY": stripe.api_key,
        "STRIPE_API_BASE": f"http://127.0.0.1:{stripe_port}",
        "STRIPE_WEBHOOK_SECRET": stripe.webhook_secret,
        "STUDIO_NAME": studio_name,
        "ARTIST_NAME": artist_name,
    }


def choices_of(message: SentMessage) -> tuple[Choice, ...]:
    """The buttons or list rows of a message, in the order WhatsApp shows them."""
    if message.type != "interactive":
        return ()
    interactive = message.body["interactive"]
    action = interactive.get("action", {})
    if interactive.get("type") == "button":
        return tuple(
            Choice("button_reply", b["reply"]["id"], b["reply"]["title"])
            for b in action.get("buttons", [])
        )
    if interactive.get("type") == "list":
        return tuple(
            Choice("list_reply", row["id"], row["title"])
            for section in action.get("sections", [])
            for row in section.get("rows", [])
        )
    return ()


class OnPort:
    """
    A fake's core served on a port the person chose.

    A person has to paste the fakes' URLs into the service's environment before either
    side starts, so they are served on fixed ports rather than the ephemeral ones tests
    read back (`FakeStripe.serve()` can only bind an ephemeral one). Only the plain
    answers are served: the console scripts no failures, so no stall or drop happens.
    """

    def __init__(self, respond: Respond, port: int) -> None:
        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                self._answer("GET")

            def do_POST(self) -> None:
                self._answer("POST")

            def _answer(self, method: str) -> None:
                body = self.rfile.read(int(self.headers.get("content-length", "0")))
                headers = {k.lower(): v for k, v in self.headers.items()}
                status, reply_headers, data = respond(method, self.path, headers, body)
                self.send_response(status)
                for name, value in {"content-type": "application/json", **reply_headers}.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._http = LocalHTTPServer(Handler, port)

    @property
    def port(self) -> int:
        return self._http.port

    def close(self) -> None:
        self._http.close()


def graph_responder(fake: FakeGraphApi) -> Respond:
    """The fake Graph API's answers, as JSON."""

    def respond(method: str, target: str, headers: dict[str, str], body: bytes) -> Reply:
        reply = fake.answer(method, target, headers, body)
        if reply.content is not None:  # a media download
            return reply.status, {"content-type": reply.content_type}, reply.content
        return reply.status, {}, json.dumps(reply.payload).encode()

    return respond


def stripe_responder(fake: FakeStripe) -> Respond:
    """The fake Stripe's answers, with the headers stripe-python reads (Request-Id...)."""

    def respond(method: str, target: str, headers: dict[str, str], body: bytes) -> Reply:
        reply = fake.handle(method, target, headers, body)
        return reply.status, reply.headers, json.dumps(reply.body).encode()

    return respond


class Console:
    """One session: what was shown so far, the latest choices, and the webhook client."""

    def __init__(
        self,
        fake: FakeGraphApi,
        client: httpx.Client,
        *,
        stripe: FakeStripe,
        secret: str,
        lead: str,
        artist: str,
        lead_name: str,
    ) -> None:
        self.fake = fake
        self.client = client
        self.stripe = stripe
        self.secret = secret
        self.lead = lead
        self.artist = artist
        self.lead_name = lead_name
        self.shown = 0
        self.open: dict[str, Interactive] = {}  # recipient -> their newest open buttons
        self._clock = 0

    # -- what the bot sent -------------------------------------------------------------

    def show_new(self) -> int:
        """Print every message the fake received since the last call; how many."""
        new = self.fake.sent[self.shown :]  # appended by server threads; a slice is safe
        for message in new:
            self.shown += 1
            self._print(message)
        return len(new)

    def _print(self, message: SentMessage) -> None:
        who = "artist" if message.to == self.artist else "lead"
        print(f"\n[bot -> {who} {message.to}]")
        if message.type == "image":
            image = message.body.get("image", {})
            print(f"  <image {image.get('id')}> {image.get('caption', '')}")
        for line in message.text.splitlines():
            print(f"  {line}")
        choices = choices_of(message)
        if message.type == "interactive" and message.body["interactive"].get("type") == "list":
            print(f"  [{message.body['interactive']['action'].get('button', '')}]")
        for number, choice in enumerate(choices, 1):
            print(f"    {number}. {choice.title}")
        if choices:
            self.open.pop(message.to, None)  # re-inserted: the newest is last
            self.open[message.to] = Interactive(message.to, choices)
            if who == "artist":
                print(f"  (the artist taps with 1-{len(choices)}, or /as artist 1-{len(choices)})")
        elif message.type == "text":
            self.open.pop(message.to, None)  # a text (the next question) closes them
        sys.stdout.flush()

    @property
    def latest(self) -> Interactive | None:
        """The newest message whose buttons are still open, whoever received it."""
        return next(reversed(self.open.values()), None)

    def wait_for_replies(self, timeout_s: float, quiet_s: float = 1.5) -> None:
        """Show replies as they come; return once they stop, or when none came in time.

        "Stopped" is a quiet longer than the relay's pacing between two messages to one
        phone (WHATSAPP_RECIPIENT_INTERVAL_S, 1 s by default), so a second message to the
        same phone (the reference picture after the artist's packet) is shown before the
        next line is sent, not after it.
        """
        deadline = time.monotonic() + timeout_s
        last_arrival: float | None = None
        while time.monotonic() < deadline:
            if self.show_new():
                last_arrival = time.monotonic()
            elif last_arrival is not None and time.monotonic() - last_arrival >= quiet_s:
                return
            time.sleep(0.05)
        if last_arrival is None:
            print(f"  (no reply within {timeout_s:g}s)")

    # -- what the person sends -----------------------------------------------------------

    def handle(self, line: str) -> Action:
        """Act on one typed line."""
        line = line.strip()
        if line in ("/quit", "/exit"):
            return Action.QUIT
        if not line:
            return Action.NOTHING
        if line == "/help":
            print(HELP)
            return Action.NOTHING
        if line.isdigit() and self.latest is not None:  # otherwise a number is text: a size
            return self._pick(int(line), self.latest)
        if line == "/image" or line.startswith("/image "):
            media_id = f"media-{uuid.uuid4().hex[:12]}"
            kept = self.fake.add_media(media_id, b"\xff\xd8\xff a picture " + media_id.encode())
            image = {"id": media_id, "mime_type": "image/jpeg", "sha256": kept.sha256}
            caption = line.removeprefix("/image").strip()
            if caption:
                image["caption"] = caption
            return self.post(self.lead, {"type": "image", "image": image})
        if line.startswith("/as artist "):
            said = line.removeprefix("/as artist ").strip()
            if said.isdigit() and self.artist in self.open:
                return self._pick(int(said), self.open[self.artist])
            return self.post(self.artist, text=said)
        if line == "/pay":
            return self.pay()
        if line == "/expire":
            return self.expire()
        if line == "/refund":
            return self.refund()
        if line.startswith("/"):
            print(f"  unknown command. {HELP}")
            return Action.NOTHING
        return self.post(self.lead, text=line)

    def _pick(self, number: int, offered: Interactive) -> Action:
        if not 1 <= number <= len(offered.choices):
            print(f"  pick 1 to {len(offered.choices)}, or type text")
            return Action.NOTHING
        choice = offered.choices[number - 1]
        kind = choice.reply_type
        self.open.pop(offered.to, None)  # answered: the next number is for what comes next
        return self.post(
            offered.to,
            {
                "type": "interactive",
                "interactive": {"type": kind, kind: {"id": choice.id, "title": choice.title}},
            },
        )

    def post(self, sender: str, content: dict[str, Any] | None = None, *, text: str = "") -> Action:
        """Post one message from `sender` to the webhook, signed, with a fresh id and time."""
        self._clock = max(int(time.time()), self._clock + 1)  # strictly increasing
        message_id = f"wamid.console.{uuid.uuid4().hex}"
        message = text_message(sender, message_id, text, self._clock)
        if content is not None:
            del message["text"]
            message.update(content)
        name = "Artist" if sender == self.artist else self.lead_name
        body = encode(webhook([message], names={sender: name}))
        who = "artist" if sender == self.artist else "lead"
        print(f"[{who} -> bot] {_describe(message)}")
        try:
            response = self.client.post(
                "/webhooks/whatsapp",
                content=body,
                headers={
                    "Content-Type": "application/json",
                    "X-Hub-Signature-256": sign(self.secret, body),
                },
            )
        except httpx.HTTPError as error:
            print(f"  ! the service did not answer: {error!r}")
            return Action.NOTHING
        if response.status_code != 200:
            print(f"  ! webhook answered {response.status_code}: {response.text.strip()}")
            return Action.NOTHING
        return Action.SENT

    # -- what Stripe sends ---------------------------------------------------------------

    def pay(self) -> Action:
        """The lead pays the newest link: Stripe completes it and says so, signed."""
        session = self._newest_session()
        if session is None:
            return Action.NOTHING
        if session["status"] != "open":
            print(f"  the newest session {session['id']} is {session['status']}, not open")
            return Action.NOTHING
        paid = self.stripe.complete(session["id"])  # paid, the amount the service asked
        return self.post_stripe(stripe_api.event("checkout.session.completed", paid))

    def expire(self) -> Action:
        """The newest link runs out unpaid, as if its `expires_at` had passed."""
        session = self._newest_session()
        if session is None:
            return Action.NOTHING
        if session["status"] != "open":
            print(f"  the newest session {session['id']} is {session['status']}, not open")
            return Action.NOTHING
        expired = self.stripe.expire(session["id"])
        return self.post_stripe(stripe_api.event("checkout.session.expired", expired))

    def refund(self) -> Action:
        """The artist refunds the paid deposit from Stripe's dashboard, in full."""
        paid = [s for s in self._sessions() if s["payment_status"] == "paid"]
        if not paid:
            print("  no paid Checkout Session yet: /pay first")
            return Action.NOTHING
        session = paid[-1]
        refunded = stripe_api.charge(
            session["payment_intent"],
            refunded=True,
            amount=session["amount_total"],
            currency=session["currency"],
        )
        return self.post_stripe(stripe_api.event("charge.refunded", refunded))

    def _sessions(self) -> list[dict[str, Any]]:
        """The sessions whose link this console's lead was sent, oldest first (a dict keeps
        creation order): other leads on the same service (the demo's) keep theirs."""
        ids = list(self.stripe.sessions)  # one C-level copy: safe against server threads
        sent = [m.text for m in self.fake.sent[:] if m.to == self.lead]
        return [
            self.stripe.session(session_id)
            for session_id in ids
            if any(session_id in text for text in sent)
        ]

    def _newest_session(self) -> dict[str, Any] | None:
        """The link the lead holds now: an expiry makes a fresh session, so the newest."""
        sessions = self._sessions()
        if not sessions:
            print("  no deposit link for the lead yet: the artist must approve first (tap Approve)")
            return None
        return sessions[-1]

    def post_stripe(self, event: dict[str, Any]) -> Action:
        """Post one Stripe event to the service's webhook, signed with the fake's secret."""
        body = stripe_api.encode(event, pretty=True)  # as Stripe sends it: indented
        obj = event["data"]["object"]
        amount = obj.get("amount_total", obj.get("amount"))
        intent = obj.get("payment_intent")
        print(
            f"[stripe -> bot] {event['type']} {obj['id']} "
            f"{amount / 100:.2f} {str(obj['currency']).upper()}"
            + (f" {obj['payment_status']}" if "payment_status" in obj else "")
            + (f" {intent}" if intent else "")
        )
        try:
            response = self.client.post(
                "/webhooks/stripe",
                content=body,
                headers={
                    "Content-Type": "application/json",
                    "Stripe-Signature": stripe_api.sign(body, self.stripe.webhook_secret),
                },
            )
        except httpx.HTTPError as error:
            print(f"  ! the service did not answer: {error!r}")
            return Action.NOTHING
        print(f"  webhook answered {response.status_code}: {response.text.strip()}")
        # A 503 may still have committed (Stripe would retry): look for replies anyway.
        return Action.SENT


def _describe(message: dict[str, Any]) -> str:
    if message["type"] == "text":
        return str(message["text"]["body"])
    if message["type"] == "interactive":
        interactive = message["interactive"]
        picked = interactive[interactive["type"]]
        return f"<tapped {picked['title']!r} id={picked['id']}>"
    return f"<{message['type']} {message[message['type']].get('id')}>"


def _stdin_lines() -> queue.Queue[str | None]:
    """Lines typed or piped, read on a thread so the bot's messages print while waiting."""
    lines: queue.Queue[str | None] = queue.Queue()

    def read() -> None:
        for line in sys.stdin:
            lines.put(line)
        lines.put(None)  # end of input

    threading.Thread(target=read, daemon=True, name="stdin").start()
    return lines


def _next_line(console: Console, lines: queue.Queue[str | None], *, prompt: bool) -> str | None:
    """The next line, printing the bot's messages while waiting; None at end of input."""
    console.show_new()
    if prompt:
        print("> ", end="", flush=True)
    while True:
        try:
            return lines.get(timeout=0.2)
        except queue.Empty:
            if console.show_new() and prompt:
                print("> ", end="", flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m fakes.console", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--service", default="http://127.0.0.1:8000", help="the service's URL")
    parser.add_argument("--port", type=int, default=9009, help="port of the fake Graph API")
    parser.add_argument("--stripe-port", type=int, default=9010, help="port of the fake Stripe")
    parser.add_argument("--secret", required=True, help="the service's WHATSAPP_APP_SECRET")
    parser.add_argument("--verify-token", default="dev", help="WHATSAPP_VERIFY_TOKEN")
    parser.add_argument("--studio-name", default="Black Lantern Tattoo", help="STUDIO_NAME")
    parser.add_argument("--artist-name", default="Mika", help="ARTIST_NAME")
    parser.add_argument("--lead", default="447700900123", help="the lead's wa_id")
    parser.add_argument("--artist", default="447700900999", help="ARTIST_WHATSAPP_NUMBER")
    parser.add_argument("--name", default="Console Lead", help="the lead's WhatsApp profile name")
    parser.add_argument("--wait", type=float, default=8.0, help="seconds to wait for replies")
    args = parser.parse_args(argv)

    fake = FakeGraphApi()
    stripe = FakeStripe()
    try:
        server = OnPort(graph_responder(fake), args.port)
    except OSError as error:
        print(f"cannot serve the fake Graph API on port {args.port}: {error}", file=sys.stderr)
        return 2
    try:
        stripe_server = OnPort(stripe_responder(stripe), args.stripe_port)
    except OSError as error:
        server.close()
        print(f"cannot serve the fake Stripe on port {args.stripe_port}: {error}", file=sys.stderr)
        return 2
    env = serve_env(
        fake,
        stripe,
        graph_port=server.port,
        stripe_port=stripe_server.port,
        secret=args.secret,
        verify_token=args.verify_token,
        artist=args.artist,
        studio_name=args.studio_name,
        artist_name=args.artist_name,
    )
    print("Fake Graph API and fake Stripe listening. Start the service with these variables:\n")
    for name, value in env.items():
        print(f"  {name}={shlex.quote(value)}")
    port = urlsplit(args.service).port or 8000
    command = " ".join(f"{name}={shlex.quote(value)}" for name, value in env.items())
    print(f"\nor, in one line:\n\n  {command} PORT={port} booking-assistant serve")
    print(f"\nWebhooks go to {args.service}/webhooks/whatsapp and /webhooks/stripe. {HELP}\n")

    with httpx.Client(base_url=args.service, timeout=30.0) as client:
        console = Console(
            fake,
            client,
            stripe=stripe,
            secret=args.secret,
            lead=args.lead,
            artist=args.artist,
            lead_name=args.name,
        )
        try:
            play(console, args.wait)
        except KeyboardInterrupt:
            print()
        finally:
            server.close()
            stripe_server.close()
    return 0


def play(console: Console, wait_s: float) -> None:
    """Read lines typed (or piped) and act on each until /quit or the end of input."""
    interactive = sys.stdin.isatty()  # piped input: no prompt, lines echoed as sent
    lines = _stdin_lines()
    while (line := _next_line(console, lines, prompt=interactive)) is not None:
        action = console.handle(line)
        if action is Action.QUIT:
            break
        if action is Action.SENT:
            console.wait_for_replies(wait_s)


if __name__ == "__main__":
    raise SystemExit(main())
