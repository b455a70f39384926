"""
Drives one lead's conversation through the service and the fakes.

The lead sends a message, waits for the bot's replies to reach its phone (the fake
Graph API), reads the last one, and answers it; a paying lead then waits for its packet
to reach the artist, who taps Approve, waits for the Checkout link, and pays (Stripe's
signed `checkout.session.completed`). With appointments on, a paying lead first picks a
time from the list the bot sends (often one another lead picks at the same moment, so the
race is run for real), pays, and then, by its role, moves the time or cancels it.
Duplicate, late (older timestamp) and batched deliveries are mixed in at the configured
rates, and now and then the lead reacts to the bot's last message (a reaction gets no
reply).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from actors import Inbound
from actors.commands import payment_event
from actors.lead import ArtistAction, Status
from actors.lead.button_ids import VISIT_CANCEL, VISIT_RESCHEDULE, button_id
from actors.runtime.message_ids import whatsapp_message_id
from fakes import stripe_api
from fakes.graph import FakeGraphApi, SentMessage
from fakes.stripe_api import FakeStripe
from loadtest.conversation import PAYING_ROLES, LeadScript, Outgoing, Role
from loadtest.studios import DEFAULT_SLUG, Studio
from loadtest.traffic import Deliveries, GaveUp
from web.stripe_models import StripeEvent
from web.stripe_webhook import stripe_payment

__all__ = ["Arrivals", "LeadDriver", "LeadResult", "Mix", "ReplyDelay"]

_CHECKOUT_URL = re.compile(r"https://checkout\.stripe\.com/c/pay/(cs_[A-Za-z0-9_]+)")


@dataclass(frozen=True)
class Mix:
    """How deliveries are mixed."""

    duplicate_rate: float
    reorder_rate: float
    batch_rate: float
    reply_timeout_s: float
    reaction_rate: float = 0.0  # share of steps after which the lead reacts to the bot


@dataclass
class LeadResult:
    """What happened to one lead, for the checks."""

    script: LeadScript
    acknowledged: list[Outgoing] = field(default_factory=list)
    unacknowledged: list[Outgoing] = field(default_factory=list)
    reply_timeouts: int = 0
    paid_session: str | None = None
    lead_uuid: str | None = None
    reactions: list[str] = field(default_factory=list)  # inbox ids of the lead's reactions
    last_seen: str | None = None  # Meta's id of the last bot message the lead read
    finished: bool = False
    error: str | None = None
    scheduled: bool = False  # picked a time: the reference stops at the approval
    picks_lost: int = 0  # picks another lead's pick beat (fresh slots came instead)


@dataclass(frozen=True)
class ReplyDelay:
    """One reply to a lead's message: from the webhook's 200 to the Graph call that
    carried it (0 when the reply left before the 200 reached the harness)."""

    studio: str  # slug
    delay_s: float
    accepted_at: float  # time.time() of the Graph call


class Arrivals:
    """Wakes the lead a message was just accepted for (the fake calls from its thread)."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self._loop = loop
        self._events: dict[str, asyncio.Event] = {}

    def heard(self, message: SentMessage) -> None:
        self._loop.call_soon_threadsafe(self._wake, message.to)

    def _wake(self, recipient: str) -> None:
        event = self._events.get(recipient)
        if event is not None:
            event.set()

    def event(self, recipient: str) -> asyncio.Event:
        """Set whenever a message for `recipient` is accepted; clear it before reading."""
        return self._events.setdefault(recipient, asyncio.Event())


async def _woken(event: asyncio.Event, timeout_s: float) -> None:
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(timeout_s):
            await event.wait()


def distinct(messages: list[SentMessage]) -> list[SentMessage]:
    """Accepted messages with retried copies (same idempotency key) left out, in order."""
    seen: set[str] = set()
    kept: list[SentMessage] = []
    for message in messages:
        key = str(message.body.get("biz_opaque_callback_data", message.wamid))
        if key not in seen:
            seen.add(key)
            kept.append(message)
    return kept


class LeadDriver:
    """Plays leads (and the artist, and Stripe's customer) against the service."""

    def __init__(
        self,
        deliveries: Deliveries,
        graph: FakeGraphApi,
        stripe: FakeStripe,
        mix: Mix,
        rng: random.Random,
        artist_number: str,
        on_message: Callable[[], None] = lambda: None,
        *,
        scheduling: bool = False,
        studio_of: Callable[[str], Studio] | None = None,
        lead_key_of: Callable[[str], Awaitable[str]] | None = None,
    ) -> None:
        self._deliveries = deliveries
        self._graph = graph
        self._stripe = stripe
        self._mix = mix
        self._rng = rng
        self._artist = artist_number
        self._on_message = on_message
        self._scheduling = scheduling  # the replicas run with a STUDIO_FILE
        self._studio_of = studio_of or (lambda _: Studio(DEFAULT_SLUG, graph.phone_number_id))
        self._lead_key_of = lead_key_of  # None: every lead is keyed by its wa_id
        self.reply_delays: list[ReplyDelay] = []  # of every message a played lead wrote
        self._arrivals = Arrivals(asyncio.get_running_loop())
        graph.listeners.append(self._arrivals.heard)

    async def run(self, script: LeadScript) -> LeadResult:
        result = LeadResult(script)
        try:
            await self._converse(script, result)
            approving = script.state.status is Status.PENDING_APPROVAL
            if script.role in PAYING_ROLES and approving and self._scheduling:
                await self._schedule_and_pay(script, result)
            elif script.role == Role.PAY and approving:
                await self._approve_and_pay(script, result)
            result.finished = True
        except GaveUp as error:
            result.error = str(error)
        return result

    async def write_once(self, script: LeadScript) -> LeadResult:
        """The lead's first message, posted once until acknowledged, its replies not
        awaited: a backlog's lead (`loadtest.backlog`)."""
        result = LeadResult(script)
        outgoing = script.next_message(None)
        number = self._studio_of(script.wa_id).phone_number_id
        try:
            await self._deliveries.whatsapp(
                outgoing.message, outgoing.sender, outgoing.name, number=number
            )
        except GaveUp as error:
            result.unacknowledged.append(outgoing)
            result.error = str(error)
            return result
        result.acknowledged.append(outgoing)
        result.finished = True
        return result

    async def _converse(self, script: LeadScript, result: LeadResult) -> None:
        last_bot: dict[str, Any] | None = None
        read = self._read(script)
        while script.wants_more():
            outgoing = script.next_message(last_bot)
            before = len(read())
            await self._send(outgoing, result)
            acknowledged_at = time.time()
            if script.sent > 1 and self._rng.random() < self._mix.reorder_rate:
                await self._send(script.stale_message(), result)
                self._deliveries_tally_late()
            last_bot = await self._replies(script, result)
            slug = self._studio_of(script.wa_id).slug
            self.reply_delays.extend(
                ReplyDelay(slug, max(0.0, m.accepted_at - acknowledged_at), m.accepted_at)
                for m in read()[before:]
            )
            if result.last_seen is not None and self._rng.random() < self._mix.reaction_rate:
                reaction = script.reaction(result.last_seen)
                await self._send(reaction, result)
                result.reactions.append(whatsapp_message_id(reaction.message["id"]))
                self._deliveries.tally.reactions += 1

    def _deliveries_tally_late(self) -> None:
        self._deliveries.tally.late_sent += 1

    async def _send(self, outgoing: Outgoing, result: LeadResult) -> None:
        try:
            await self._deliveries.whatsapp(
                outgoing.message,
                outgoing.sender,
                outgoing.name,
                duplicate=self._rng.random() < self._mix.duplicate_rate,
                batched=self._rng.random() < self._mix.batch_rate,
                number=self._studio_of(result.script.wa_id).phone_number_id,
            )
        except GaveUp:
            result.unacknowledged.append(outgoing)
            raise
        result.acknowledged.append(outgoing)
        self._on_message()

    async def _replies(self, script: LeadScript, result: LeadResult) -> dict[str, Any] | None:
        """Wait for the reference's replies to reach the lead; the last one, as sent."""
        wanted = len(script.replies)
        got = await self._wait(script.wa_id, lambda: distinct(self._graph.to(script.wa_id)), wanted)
        if len(got) < wanted:
            result.reply_timeouts += 1
        result.last_seen = got[-1].wamid if got else None
        return got[-1].body if got else None

    async def _wait(
        self, recipient: str, read: Callable[[], list[SentMessage]], count: int
    ) -> list[SentMessage]:
        """`read()` once it has `count` messages, or as it is when the reply timeout ends."""
        deadline = time.monotonic() + self._mix.reply_timeout_s
        arrived = self._arrivals.event(recipient)
        while True:
            arrived.clear()  # before reading: an arrival after the read still wakes us
            got = read()
            left = deadline - time.monotonic()
            if len(got) >= count or left <= 0:
                return got
            await _woken(arrived, min(left, 0.5))

    async def _approve_and_pay(self, script: LeadScript, result: LeadResult) -> None:
        key = await self._key(script)
        button = button_id(ArtistAction.APPROVE, key)
        packets = await self._wait(self._artist, lambda: self._packets(button), 1)
        if not packets:
            result.reply_timeouts += 1
            return
        now = int(time.time())
        approval = script.artist_approves(f"wamid.artist.{script.wa_id}.{now}", now, key=key)
        await self._send(approval, result)

        link = await self._link(script, result)
        if link is None:
            return
        session = self._stripe.session(link)
        script.apply(
            Inbound.from_deposit_link(
                wa_id=script.wa_id,
                attempt=1,
                session_id=link,
                url=str(session["url"]),
                expires_at=int(session["expires_at"]),
                now=datetime.now(UTC),
                correlation_id=None,
            ).event
        )
        await self._replies(script, result)

        event = stripe_api.event("checkout.session.completed", self._stripe.complete(link))
        parsed = StripeEvent.model_validate(event)
        script.apply(
            payment_event(
                stripe_payment(parsed),
                lead_key=script.wa_id,
                lead_id=str(result.lead_uuid),
                now=datetime.now(UTC),
            )
        )
        await self._deliveries.stripe(event, self._studio_of(script.wa_id).stripe_path)
        result.paid_session = link
        await self._replies(script, result)

    # -- appointments ------------------------------------------------------------------

    async def _schedule_and_pay(self, script: LeadScript, result: LeadResult) -> None:
        """Approve, pick a time (again when another lead took it), pay; then by role, move
        the time or cancel it. The reference stops at the approval."""
        key = await self._key(script)
        button = button_id(ArtistAction.APPROVE, key)
        packets = await self._wait(self._artist, lambda: self._packets(button), 1)
        if not packets:
            result.reply_timeouts += 1
            return
        result.scheduled = True
        now = int(time.time())
        read = self._read(script)
        before = len(read())
        approval = script.artist_approves(
            f"wamid.artist.{script.wa_id}.{now}", now, followed=False, key=key
        )
        await self._send(approval, result)
        if not await self._pick(script, result, before):
            return
        link = await self._link(script, result)
        if link is None:
            return
        before = len(read())
        event = stripe_api.event("checkout.session.completed", self._stripe.complete(link))
        await self._deliveries.stripe(event, self._studio_of(script.wa_id).stripe_path)
        result.paid_session = link
        if len(await self._wait(script.wa_id, read, before + 1)) <= before:
            result.reply_timeouts += 1
            return
        if script.role == Role.RESCHEDULE:
            before = len(read())
            await self._send(script.tap(VISIT_RESCHEDULE, "Reschedule", row=False), result)
            await self._pick(script, result, before)
        elif script.role == Role.CANCEL:
            before = len(read())
            await self._send(script.tap(VISIT_CANCEL, "Cancel", row=False), result)
            if len(await self._wait(script.wa_id, read, before + 1)) <= before:
                result.reply_timeouts += 1

    async def _key(self, script: LeadScript) -> str:
        """The lead's key in its studio, as its artist's buttons name it."""
        if self._lead_key_of is None or self._studio_of(script.wa_id).default:
            return script.wa_id
        return await self._lead_key_of(script.wa_id)

    def _read(self, script: LeadScript) -> Callable[[], list[SentMessage]]:
        return lambda: distinct(self._graph.to(script.wa_id))

    async def _pick(self, script: LeadScript, result: LeadResult, before: int) -> bool:
        """Tap one of the first slots of the newest list; a lost race brings a fresh list
        (the next message is a list again): pick again. True once a pick held."""
        read = self._read(script)
        for _ in range(12):
            got = await self._wait(script.wa_id, read, before + 1)
            if len(got) <= before:
                result.reply_timeouts += 1
                return False
            rows = _slot_rows(got[-1])
            if not rows:
                return True  # held (or moved): the list is behind us
            if before > 0 and _slot_rows(got[before - 1]):
                result.picks_lost += 1
            before = len(got)
            choice_id, title = self._rng.choice(rows)  # every lead sees the same first page

            await self._send(script.tap(choice_id, title, row=True), result)
        return False

    async def _link(self, script: LeadScript, result: LeadResult) -> str | None:
        """The Checkout Session the lead was sent a link to (its lead id noted), or None."""
        link = await self._wait_for_link(script)
        if link is None:
            result.reply_timeouts += 1
            return None
        result.lead_uuid = str(self._stripe.session(link)["client_reference_id"])
        return link

    def _packets(self, button: str) -> list[SentMessage]:
        return [m for m in self._graph.to(self._artist) if button in json.dumps(m.body)]

    async def _wait_for_link(self, script: LeadScript) -> str | None:
        deadline = time.monotonic() + self._mix.reply_timeout_s
        arrived = self._arrivals.event(script.wa_id)
        while (left := deadline - time.monotonic()) > 0:
            arrived.clear()
            for message in reversed(self._graph.to(script.wa_id)):
                found = _CHECKOUT_URL.search(json.dumps(message.body))
                if found:
                    return found.group(1)
            await _woken(arrived, min(left, 0.5))
        return None


def _slot_rows(message: SentMessage) -> list[tuple[str, str]]:
    """The (id, title) of a free-slots list's slot rows; [] for any other message."""
    if message.type != "interactive":
        return []
    sections = message.body["interactive"].get("action", {}).get("sections", [])
    return [
        (str(row["id"]), str(row["title"]))
        for section in sections
        for row in section.get("rows", [])
        if str(row.get("id", "")).startswith("slot:")
    ]
