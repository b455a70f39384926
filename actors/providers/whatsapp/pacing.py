"""
Outbound pacing for the WhatsApp sender: a rate per phone number, a gap per recipient.

Meta throttles a business phone number (130429 past its messages per second) and each
(business, customer) pair (131056 when one recipient gets a burst). Retrying those
errors works, but not hitting them is cheaper and keeps replies in order, so the sender
waits its turn here before every call:

- `TokenBucket`: at most `rate_per_s` calls per second from this process, with bursts of
  `burst` (default 1, so no one-second window ever holds much more than the rate).
- `RecipientPacer`: consecutive messages to one recipient at least `interval_s` apart.

Both are **per process**: with N replicas, configure rate / N (and accept that two
replicas may each message the artist within one interval).

Both book a slot synchronously and then sleep until it, so concurrent callers queue in
arrival order without a lock; a caller cancelled while asleep leaves its slot unused,
which only ever slows us down. Time is injected (`clock`, `sleep`) so the unit tests run
on a fake clock and never really sleep.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable

from actors.errors import DeliveryDeferred

__all__ = ["Clock", "Pacing", "RecipientPacer", "Sleep", "TokenBucket"]

Clock = Callable[[], float]  # monotonic seconds
Sleep = Callable[[float], Awaitable[None]]


class TokenBucket:
    """
    A token bucket kept as the time the next token is due (GCRA): no refill task.

    `reserve()` takes the next token and says how long to wait for it; `acquire()` waits.
    """

    def __init__(
        self,
        rate_per_s: float,
        *,
        burst: int = 1,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if rate_per_s <= 0 or burst < 1:
            raise ValueError("a token bucket needs rate_per_s > 0 and burst >= 1")
        self._interval = 1.0 / rate_per_s
        self._tolerance = (burst - 1) * self._interval  # how far ahead a burst may book
        self._clock = clock
        self._sleep = sleep
        self._due = clock()  # when the bucket is next empty of backlog

    def reserve(self) -> float:
        """Take the next token; return the seconds to wait before using it."""
        now = self._clock()
        due = max(self._due, now)
        self._due = due + self._interval
        return max(0.0, due - self._tolerance - now)

    async def acquire(self) -> None:
        delay = self.reserve()
        if delay > 0:
            await self._sleep(delay)


class RecipientPacer:
    """
    Keeps consecutive sends to one recipient `interval_s` apart.

    Only recipients with a slot still in the future matter, so the table is swept of the
    rest whenever it grows past `max_tracked`: memory follows active recipients.
    """

    def __init__(
        self,
        interval_s: float,
        *,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        max_tracked: int = 4096,
    ) -> None:
        if interval_s < 0:
            raise ValueError("interval_s must not be negative")
        self._interval = interval_s
        self._clock = clock
        self._sleep = sleep
        self._max_tracked = max_tracked
        self._next: dict[str, float] = {}

    def peek(self, recipient: str) -> float:
        """Seconds until `recipient` may be sent to, without booking it."""
        return max(0.0, self._next.get(recipient, 0.0) - self._clock())

    def reserve(self, recipient: str) -> float:
        """Book `recipient`'s next slot; return the seconds to wait for it."""
        now = self._clock()
        at = max(now, self._next.get(recipient, now))
        self._next[recipient] = at + self._interval
        if len(self._next) > self._max_tracked:
            self._sweep(now)
        return at - now

    def hold(self, recipient: str, seconds: float) -> None:
        """Nothing to `recipient` for `seconds` from now (Meta's pair rate said so)."""
        until = self._clock() + seconds
        self._next[recipient] = max(self._next.get(recipient, until), until)

    async def wait(self, recipient: str) -> None:
        delay = self.reserve(recipient)
        if delay > 0:
            await self._sleep(delay)

    def tracked(self) -> int:
        """How many recipients are remembered (for tests and metrics)."""
        return len(self._next)

    def _sweep(self, now: float) -> None:
        self._next = {r: at for r, at in self._next.items() if at > now}


class Pacing:
    """
    The sender's turn: first the recipient's gap, then a token of the number's rate.

    A wait longer than `max_wait_s` is refused with `DeliveryDeferred` instead of slept:
    the relay's lease on the row must outlast the call, and a row put back costs nothing.
    """

    def __init__(
        self,
        rate_per_s: float,
        recipient_interval_s: float,
        *,
        max_wait_s: float = 10.0,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        self.bucket = TokenBucket(rate_per_s, clock=clock, sleep=sleep)
        self.recipients = RecipientPacer(recipient_interval_s, clock=clock, sleep=sleep)
        self._max_wait_s = max_wait_s

    async def wait_turn(self, recipient: str) -> None:
        """
        Wait until a message to `recipient` may go.

        Raises:
            DeliveryDeferred: the recipient's next slot is more than `max_wait_s` away.
        """
        ahead = self.recipients.peek(recipient)
        if ahead > self._max_wait_s:
            raise DeliveryDeferred("paced", "recipient busy", delay_s=ahead)
        await self.recipients.wait(recipient)
        await self.bucket.acquire()
