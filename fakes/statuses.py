"""
Meta's delivery reports, posted to the service's webhook the way Meta posts them.

`StatusReporter` watches a `FakeGraphApi`: for each message it accepts, it posts the
`statuses[]` Meta would send (`FakeGraphApi.statuses_for`: sent, delivered, read, or
sent then failed with `errors[]`), one webhook per status, in order, reversed or
shuffled. With `early=True` (a fake served by this process only) they are posted before
the fake answers the send, so they reach the service before it has recorded the
message's id.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from fakes.graph import FakeGraphApi, SentMessage, StatusOrder
from fakes.meta import webhook

__all__ = ["StatusReporter"]

Post = Callable[[dict[str, Any]], Awaitable[None]]  # posts one signed webhook, or raises


@dataclass
class StatusReporter:
    fake: FakeGraphApi
    post: Post
    order: StatusOrder = "in_order"
    early: bool = False  # before the fake answers the send (a fake served by this process)
    seed: int = 0
    posted: list[dict[str, Any]] = field(default_factory=list)  # every status, as posted
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    _loop: asyncio.AbstractEventLoop | None = None

    def start(self) -> None:
        self._loop = asyncio.get_running_loop()
        if self.early:
            self.fake.before_answer = self._report_before_answer
        else:
            self.fake.listeners.append(self._accepted)

    async def report(self, sent: SentMessage) -> None:
        """Post the statuses of `sent`, one webhook each."""
        for status in self.fake.statuses_for(sent, self.order, seed=self.seed):
            await self.post(webhook([], statuses=[status]))
            self.posted.append(status)

    async def settle(self) -> None:
        """Wait until every status scheduled so far has been posted."""
        while self._tasks:
            await asyncio.gather(*list(self._tasks))

    def _report_before_answer(self, sent: SentMessage) -> None:
        """On the fake's server thread: its answer waits until our loop has posted them."""
        assert self._loop is not None
        asyncio.run_coroutine_threadsafe(self.report(sent), self._loop).result(timeout=30)

    def _accepted(self, sent: SentMessage) -> None:
        """A listener: may be called on any thread; the posting happens on our loop."""
        assert self._loop is not None
        self._loop.call_soon_threadsafe(self._spawn, sent)

    def _spawn(self, sent: SentMessage) -> None:
        task = asyncio.ensure_future(self.report(sent))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
