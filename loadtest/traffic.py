"""
Webhook deliveries as Meta and Stripe make them: signed, to whichever replica the load
balancer picks, retried with the same body and backoff until answered 200.

`Deliveries.whatsapp` sends one message (alone, in a batch with other leads' messages,
and/or duplicated to a second replica at the same time) and returns once it has been
acknowledged; `Deliveries.stripe` does the same for a Stripe event. Every attempt's
status and latency is recorded in `Tally`.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from fakes import stripe_api
from fakes.meta import encode, sign
from fakes.meta import webhook as status_webhook
from loadtest.http import HttpError, LeanClient

__all__ = ["Deliveries", "GaveUp", "Replica", "Tally"]


class Replica(Protocol):
    """What the load balancer needs of a replica."""

    name: str

    @property
    def base_url(self) -> str: ...

    @property
    def running(self) -> bool: ...


class GaveUp(Exception):
    """A delivery still unacknowledged when its deadline passed."""


@dataclass
class Tally:
    """What every attempt came to."""

    attempts: Counter[str] = field(default_factory=Counter)  # by status code or error
    latencies_s: list[float] = field(default_factory=list)  # of the 200s
    acknowledged: int = 0  # messages and events acknowledged (duplicates not counted)
    duplicates_sent: int = 0
    late_sent: int = 0
    batches: int = 0
    retries: int = 0
    given_up: int = 0
    statuses: int = 0  # Meta's delivery reports acknowledged (one per webhook)
    reactions: int = 0  # reactions the leads sent (acknowledged as messages too)

    def record(self, outcome: str, latency_s: float) -> None:
        self.attempts[outcome] += 1
        if outcome == "200":
            self.latencies_s.append(latency_s)


@dataclass(frozen=True)
class _Pending:
    message: dict[str, Any]
    sender: str
    name: str
    number: str  # the studio's phone_number_id the message was written to
    done: asyncio.Future[None]


class Deliveries:
    """Signed webhook deliveries with retries; one instance per load-test run."""

    def __init__(
        self,
        client: LeanClient,
        replicas: Callable[[], Sequence[Replica]],
        *,
        app_secret: str,
        stripe_secret: str,
        rng: random.Random,
        tally: Tally,
        give_up_after_s: float,
        batch_size: int,
        batch_wait_s: float = 0.01,
        number: str = "100200300",
    ) -> None:
        self._client = client
        self._replicas = replicas
        self._app_secret = app_secret
        self._stripe_secret = stripe_secret
        self._rng = rng
        self.tally = tally
        self._give_up_after_s = give_up_after_s
        self._batch_size = batch_size
        self._batch_wait_s = batch_wait_s
        self._number = number  # the default studio's phone_number_id
        self._batch: list[_Pending] = []
        self._flusher: asyncio.Task[None] | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # -- WhatsApp ----------------------------------------------------------------------

    async def whatsapp(
        self,
        message: dict[str, Any],
        sender: str,
        name: str,
        *,
        duplicate: bool = False,
        batched: bool = False,
        number: str | None = None,
    ) -> None:
        """Deliver one message, written to the studio `number` (None: the default one),
        until acknowledged (raises `GaveUp` after the deadline)."""
        to = number or self._number
        first = (
            self._batched(message, sender, name, to)
            if batched
            else self._alone(message, sender, name, to)
        )
        if not duplicate:
            await first
            self.tally.acknowledged += 1
            return
        self.tally.duplicates_sent += 1
        await asyncio.gather(first, self._alone(message, sender, name, to))
        self.tally.acknowledged += 1

    async def _alone(self, message: dict[str, Any], sender: str, name: str, number: str) -> None:
        body = encode(_webhook([(message, sender, name, number)]))
        await self._post_until_ok("/webhooks/whatsapp", body, self._whatsapp_headers)

    def _batched(
        self, message: dict[str, Any], sender: str, name: str, number: str
    ) -> asyncio.Future[None]:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._batch.append(_Pending(message, sender, name, number, done))
        if len(self._batch) >= self._batch_size:
            self._flush()
        elif self._flusher is None:
            self._flusher = asyncio.create_task(self._flush_later())
        return done

    async def _flush_later(self) -> None:
        await asyncio.sleep(self._batch_wait_s)
        self._flusher = None
        self._flush()

    def _flush(self) -> None:
        batch, self._batch = self._batch, []
        if self._flusher is not None:
            self._flusher.cancel()
            self._flusher = None
        if batch:
            task = asyncio.create_task(self._send_batch(batch))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def _send_batch(self, batch: list[_Pending]) -> None:
        self.tally.batches += 1
        body = encode(_webhook([(p.message, p.sender, p.name, p.number) for p in batch]))
        try:
            await self._post_until_ok("/webhooks/whatsapp", body, self._whatsapp_headers)
        except BaseException as error:
            for pending in batch:
                if not pending.done.done():
                    pending.done.set_exception(
                        error if isinstance(error, Exception) else GaveUp("cancelled")
                    )
            if not isinstance(error, Exception):
                raise
            return
        for pending in batch:
            if not pending.done.done():
                pending.done.set_result(None)

    def _whatsapp_headers(self, body: bytes) -> dict[str, str]:
        return {
            "Content-Type": "application/json",
            "X-Hub-Signature-256": sign(self._app_secret, body),
        }

    async def statuses(self, statuses: list[dict[str, Any]], number: str | None = None) -> None:
        """Deliver Meta's delivery reports about messages sent from `number` (None: the
        default studio's) in one webhook until acknowledged."""
        payload = status_webhook([], statuses=statuses)
        payload["entry"][0]["changes"][0]["value"]["metadata"]["phone_number_id"] = (
            number or self._number
        )
        body = encode(payload)
        await self._post_until_ok("/webhooks/whatsapp", body, self._whatsapp_headers)
        self.tally.statuses += 1

    # -- Stripe ------------------------------------------------------------------------

    async def stripe(self, event: dict[str, Any], path: str = "/webhooks/stripe") -> None:
        """Deliver one Stripe event to `path` (a studio's own endpoint, or the default's)
        until acknowledged; each attempt is signed afresh."""
        body = stripe_api.encode(event, pretty=True)
        await self._post_until_ok(path, body, self._stripe_headers)
        self.tally.acknowledged += 1

    def _stripe_headers(self, body: bytes) -> dict[str, str]:
        return {
            "Content-Type": "application/json",
            "Stripe-Signature": stripe_api.sign(body, self._stripe_secret),
        }

    # -- the retry loop ----------------------------------------------------------------

    async def _post_until_ok(
        self, path: str, body: bytes, headers: Callable[[bytes], dict[str, str]]
    ) -> None:
        """POST to a random replica until one answers 200, backing off between attempts."""
        deadline = time.monotonic() + self._give_up_after_s
        attempt = 0
        while True:
            attempt += 1
            outcome = await self._attempt(path, body, headers(body))
            if outcome == "200":
                return
            if time.monotonic() > deadline:
                self.tally.given_up += 1
                raise GaveUp(f"{path}: still {outcome} after {attempt} attempts")
            self.tally.retries += 1
            delay = min(0.05 * 2 ** min(attempt - 1, 6), 2.0)
            await asyncio.sleep(delay * (0.5 + self._rng.random()))

    async def _attempt(self, path: str, body: bytes, headers: dict[str, str]) -> str:
        replicas = self._replicas()
        replica = self._rng.choice(replicas)
        started = time.perf_counter()
        try:
            response = await self._client.post(f"{replica.base_url}{path}", body, headers)
        except HttpError as error:
            outcome = error.reason
        else:
            outcome = str(response.status)
        self.tally.record(outcome, time.perf_counter() - started)
        return outcome

    async def aclose(self) -> None:
        self._flush()
        if self._tasks:
            await asyncio.gather(*self._tasks, return_exceptions=True)


def _webhook(messages: Sequence[tuple[dict[str, Any], str, str, str]]) -> dict[str, Any]:
    """One change per studio's number carrying its messages (Meta batches messages of
    several senders, and one app's webhook carries every number's changes)."""
    by_number: dict[str, list[tuple[dict[str, Any], str, str]]] = {}
    for message, sender, name, number in messages:
        by_number.setdefault(number, []).append((message, sender, name))
    return {
        "object": "whatsapp_business_account",
        "entry": [
            {
                "id": "880000000",
                "changes": [_change(number, items) for number, items in by_number.items()],
            }
        ],
    }


def _change(number: str, messages: Sequence[tuple[dict[str, Any], str, str]]) -> dict[str, Any]:
    contacts: dict[str, str] = {}
    for _, sender, name in messages:
        contacts.setdefault(sender, name)
    return {
        "field": "messages",
        "value": {
            "messaging_product": "whatsapp",
            "metadata": {"display_phone_number": "15550001111", "phone_number_id": number},
            "contacts": [
                {"profile": {"name": name}, "wa_id": sender} for sender, name in contacts.items()
            ],
            "messages": [message for message, _, _ in messages],
        },
    }
