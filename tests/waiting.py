"""Wait for something observable instead of sleeping a fixed time."""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable

import anyio

__all__ = ["eventually"]


async def eventually(
    check: Callable[[], bool] | Callable[[], Awaitable[bool]],
    *,
    timeout_s: float = 10.0,
    what: str = "condition",
) -> None:
    """Poll `check` until it is true; fail the test after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while True:
        result = check()
        if not isinstance(result, bool):
            result = await result
        if result:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s}s waiting for {what}")
        await anyio.sleep(0.02)
