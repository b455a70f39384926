"""
How long a claimed delivery is still ours: its lease, on the monotonic clock.

The relay times a claim from the moment it returned; a deliverer checks the deadline
again at its last step before the provider call and bounds the call by what is left. A
process paused (SIGSTOP, a long GC, a starved host) past its lease then finds, on
waking, either the check failing or its call's timeout already spent, and sends nothing:
the row is someone else's by then. Only a request already on the wire when the pause
began can still arrive, which is the crash window the relay's docstring names.

A claim tied to its claimer's database session (`storage.claimer`) may be taken over
before its lease, as soon as that session ends; `vouched` says whether it still stands,
and the same last check refuses the call when it does not.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

from actors.errors import LeaseLapsed

__all__ = ["Deadline"]


def _always() -> bool:
    return True


@dataclass(frozen=True)
class Deadline:
    at: float  # on `clock`
    clock: Callable[[], float] = time.monotonic
    vouched: Callable[[], bool] = _always  # the claimer's session still holds the claim

    def remaining(self) -> float:
        return self.at - self.clock()

    def check(self) -> float:
        """The seconds left; raises `LeaseLapsed` when there are none, or when the
        claimer's session no longer vouches for the claim."""
        left = self.remaining()
        if left <= 0:
            raise LeaseLapsed("lease_lapsed", f"{-left:.3f}s past the lease")
        if not self.vouched():
            raise LeaseLapsed("claim_unvouched", "the claimer's session was lost")
        return left
