"""Pacing on a fake clock: the number's rate, the gap per recipient, and the wait limit."""

from __future__ import annotations

import asyncio

import pytest

from actors.errors import DeliveryDeferred
from actors.providers.whatsapp.pacing import Pacing, RecipientPacer, TokenBucket

pytestmark = pytest.mark.anyio


class FakeTime:
    """A clock that only moves when something sleeps on it."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 9))
        self.now += seconds

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def time() -> FakeTime:
    return FakeTime()


# -- the number's rate ---------------------------------------------------------------


def test_a_bucket_spaces_calls_at_its_rate(time: FakeTime) -> None:
    bucket = TokenBucket(10.0, clock=time.clock, sleep=time.sleep)
    assert [round(bucket.reserve(), 9) for _ in range(4)] == [0.0, 0.1, 0.2, 0.3]


def test_a_bucket_allows_a_burst_then_the_rate(time: FakeTime) -> None:
    bucket = TokenBucket(10.0, burst=3, clock=time.clock, sleep=time.sleep)
    assert [round(bucket.reserve(), 9) for _ in range(5)] == [0.0, 0.0, 0.0, 0.1, 0.2]


def test_an_idle_bucket_does_not_bank_more_than_its_burst(time: FakeTime) -> None:
    bucket = TokenBucket(10.0, burst=2, clock=time.clock, sleep=time.sleep)
    time.advance(60)
    assert [round(bucket.reserve(), 9) for _ in range(3)] == [0.0, 0.0, 0.1]


async def test_acquire_sleeps_only_as_long_as_needed(time: FakeTime) -> None:
    bucket = TokenBucket(4.0, clock=time.clock, sleep=time.sleep)
    for _ in range(3):
        await bucket.acquire()
    assert time.slept == [0.25, 0.25]  # the first token was there; each next 1/4 s on


async def test_concurrent_callers_queue_in_arrival_order(time: FakeTime) -> None:
    """Slots are booked before sleeping, so no lock is needed and no one jumps the queue."""
    bucket = TokenBucket(2.0, clock=time.clock, sleep=time.sleep)
    delays = [bucket.reserve() for _ in range(3)]
    assert delays == [0.0, 0.5, 1.0]


def test_nonsense_rates_are_refused() -> None:
    with pytest.raises(ValueError, match="rate_per_s"):
        TokenBucket(0.0)
    with pytest.raises(ValueError, match="interval_s"):
        RecipientPacer(-1.0)


# -- the gap per recipient -------------------------------------------------------------


def test_one_recipient_gets_messages_an_interval_apart(time: FakeTime) -> None:
    pacer = RecipientPacer(1.0, clock=time.clock, sleep=time.sleep)
    assert [pacer.reserve("a") for _ in range(3)] == [0.0, 1.0, 2.0]


def test_different_recipients_do_not_wait_for_each_other(time: FakeTime) -> None:
    pacer = RecipientPacer(1.0, clock=time.clock, sleep=time.sleep)
    assert [pacer.reserve(r) for r in ("a", "b", "c")] == [0.0, 0.0, 0.0]


def test_a_recipient_quiet_for_an_interval_goes_at_once(time: FakeTime) -> None:
    pacer = RecipientPacer(1.0, clock=time.clock, sleep=time.sleep)
    pacer.reserve("a")
    time.advance(0.4)
    assert pacer.peek("a") == pytest.approx(0.6)
    time.advance(0.6)
    assert pacer.reserve("a") == 0.0


def test_recipients_whose_gap_has_passed_are_forgotten(time: FakeTime) -> None:
    """Memory follows the recipients with a slot still ahead, not everyone ever seen."""
    pacer = RecipientPacer(1.0, clock=time.clock, sleep=time.sleep, max_tracked=3)
    for r in ("a", "b", "c"):
        pacer.reserve(r)
    time.advance(5)
    pacer.reserve("d")  # the fourth: the table is swept of a, b and c
    assert pacer.tracked() == 1


# -- the sender's turn -----------------------------------------------------------------


async def test_a_turn_waits_for_the_recipient_then_the_rate(time: FakeTime) -> None:
    pacing = Pacing(10.0, 1.0, clock=time.clock, sleep=time.sleep)
    await pacing.wait_turn("a")
    await pacing.wait_turn("b")  # another recipient: only the rate (1/10 s)
    await pacing.wait_turn("a")  # the same one again: its 1 s gap
    assert time.slept == [0.1, pytest.approx(0.9)]


async def test_a_wait_past_the_limit_is_deferred_and_books_nothing(time: FakeTime) -> None:
    pacing = Pacing(100.0, 5.0, max_wait_s=2.0, clock=time.clock, sleep=time.sleep)
    await pacing.wait_turn("a")
    with pytest.raises(DeliveryDeferred) as deferred:
        await pacing.wait_turn("a")
    assert deferred.value.delay_s == pytest.approx(5.0)
    assert pacing.recipients.peek("a") == pytest.approx(5.0)  # no second slot was booked
    assert time.slept == []


async def test_a_cancelled_waiter_only_slows_the_next_one(time: FakeTime) -> None:
    """A waiter cancelled mid-sleep leaves its slot unused; order and gaps still hold."""
    pacer = RecipientPacer(1.0, clock=time.clock, sleep=_never_returns)
    pacer.reserve("a")
    waiter = asyncio.ensure_future(pacer.wait("a"))
    await asyncio.sleep(0)
    waiter.cancel()
    with pytest.raises(asyncio.CancelledError):
        await waiter
    assert pacer.peek("a") == pytest.approx(2.0)


async def _never_returns(seconds: float) -> None:
    await asyncio.Event().wait()
