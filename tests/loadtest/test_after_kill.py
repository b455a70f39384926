"""The chaos run's measure of a killed replica's claimed replies: how long they waited."""

from __future__ import annotations

import pytest

from loadtest.chaos import Killed, after_kill_delays


def test_each_claimed_reply_waits_from_the_kill_to_its_first_copy_after_it() -> None:
    """A reply sent again by another replica waits from the kill to that copy; one the
    dead replica had already got out before the kill did not wait; one never sent
    (suppressed, dead-lettered) is not counted."""
    kills = [Killed("replica-1", 100.0, ("a", "b", "c")), Killed("replica-2", 200.0, ("d",))]
    accepted = [("a", 99.5), ("a", 102.0), ("b", 101.5), ("b", 130.0), ("d", 203.0)]

    delays, before = after_kill_delays(kills, accepted)

    assert delays == pytest.approx([1.5, 3.0])
    assert before == 1
