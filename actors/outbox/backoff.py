"""
How long a failed delivery waits before its next attempt: exponential, capped, with
jitter, so rows that failed together do not all come back together.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import tenacity

__all__ = ["Backoff"]

_RETRYING = tenacity.AsyncRetrying()  # only so a RetryCallState can exist; never run


@dataclass(frozen=True)
class Backoff:
    """
    The delay before attempt n + 1, by tenacity's `wait_exponential_jitter`:
    min(base_s * 2 ** (n - 1) + uniform(0, jitter_s), cap_s).

    Retries are durable (the delay becomes the row's `next_attempt_at`), so tenacity only
    computes the delay; a real `RetryCallState` carries the attempt number to it. At the
    cap the jitter is clipped away; rows that failed at different times stay spread.
    """

    base_s: float = 1.0
    cap_s: float = 300.0
    jitter_s: float = 1.0
    _wait: tenacity.wait.wait_exponential_jitter = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        # `multiplier` is what tenacity 9.2 calls the first delay (it deprecated `initial`).
        wait = tenacity.wait_exponential_jitter(
            multiplier=self.base_s, max=self.cap_s, jitter=self.jitter_s
        )
        object.__setattr__(self, "_wait", wait)

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt `attempt` (1-based)."""
        state = tenacity.RetryCallState(_RETRYING, fn=None, args=(), kwargs={})
        state.attempt_number = attempt
        return float(self._wait(state))
