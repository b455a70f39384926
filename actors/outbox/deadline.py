"""
How long a claimed delivery is still ours: its lease, on the monotonic clock.

The relay times a claim from the moment it returned; a deliverer checks the deadline
again at its last step before the provider call and bounds the call by what is left. A
process paused (SIGSTOP, a long GC, a starved host) past its lease then finds, on
waking, either the check failing or its call's timeout already spent, and sends nothing:
the row is someone else's by then. Only a request already on the wire when the pause
began can still arrive, which is the crash window the relay's docstring names.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from actors.errors import LeaseLapsed

__all__ = ["Deadline"]


@dataclass(frozen=True)
class Deadline:
    at: float  # on `clock`
    clock: Callable[[], float] = time.monotonic

    def remaining(self) -> float:
        return self.at - self.clock()

    def check(self) -> float:
        """The seconds left; raises `LeaseLapsed` when there are none."""
        left = self.remaining()
        if left <= 0:
            raise LeaseLapsed("lease_lapsed", f"{-left:.3f}s past the lease")
        return left
