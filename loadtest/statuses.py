"""
Meta's delivery reports during a load test: for a share of the messages the fake Graph
API accepts, the `statuses[]` Meta would post (sent, delivered, read), shuffled, each
in a webhook of its own to a random replica, retried until acknowledged like every
other webhook. The checks then expect each reported message to end as "read".
"""

from __future__ import annotations

import asyncio
import random

from fakes.graph import FakeGraphApi, SentMessage
from loadtest.studios import studio_of_path
from loadtest.traffic import Deliveries, GaveUp

__all__ = ["StatusFeed"]


class StatusFeed:
    def __init__(
        self, graph: FakeGraphApi, deliveries: Deliveries, share: float, rng: random.Random
    ) -> None:
        self._graph = graph
        self._deliveries = deliveries
        self._share = share
        self._rng = rng
        self._loop = asyncio.get_running_loop()
        self._tasks: set[asyncio.Task[None]] = set()
        self.reported: dict[str, str] = {}  # wamid -> the last state of its reports
        if share > 0:
            graph.listeners.append(self._heard)

    def _heard(self, sent: SentMessage) -> None:
        self._loop.call_soon_threadsafe(self._maybe_report, sent)

    def _maybe_report(self, sent: SentMessage) -> None:
        if self._rng.random() >= self._share:
            return
        task = self._loop.create_task(self._report(sent))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _report(self, sent: SentMessage) -> None:
        statuses = self._graph.statuses_for(sent, "shuffled", seed=self._rng.randrange(2**32))
        try:
            for status in statuses:
                await self._deliveries.statuses([status], studio_of_path(sent.path))
        except GaveUp:
            return  # counted as given up by the deliveries; not expected to apply
        states = {status["status"] for status in statuses}
        self.reported[sent.wamid] = "failed" if "failed" in states else "read"

    async def aclose(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)
