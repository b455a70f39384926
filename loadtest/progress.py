"""
Progress while a run goes: a bar redrawn in place on a terminal, a line every few seconds
otherwise (CI logs, pipes). It writes to stderr, so stdout carries only the JSON summary.
"""

from __future__ import annotations

import sys
import time
from typing import TextIO

from loadtest.traffic import Tally

__all__ = ["Progress"]

_WIDTH = 30


class Progress:
    def __init__(self, stream: TextIO = sys.stderr, *, every_s: float = 5.0) -> None:
        self._stream = stream
        self._tty = stream.isatty()
        self._every_s = every_s
        self._total = 0
        self._done = 0
        self._started = time.monotonic()
        self._last = 0.0

    def say(self, line: str) -> None:
        if self._tty and self._total:
            self._stream.write("\r\033[K")
        self._stream.write(f"[loadtest {time.monotonic() - self._started:7.1f}s] {line}\n")
        self._stream.flush()

    def start(self, total: int, tally: Tally) -> None:
        self._total, self._done = total, 0
        self._started_load = time.monotonic()
        self._draw(tally, force=True)

    def advance(self, tally: Tally) -> None:
        self._done += 1
        self._draw(tally)

    def finish(self, tally: Tally) -> None:
        self._draw(tally, force=True)
        if self._tty:
            self._stream.write("\n")
        self._total = 0

    def _draw(self, tally: Tally, *, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._last < (0.2 if self._tty else self._every_s):
            return
        self._last = now
        elapsed = max(now - self._started_load, 1e-9)
        errors = sum(n for status, n in tally.attempts.items() if status != "200")
        figures = (
            f"{self._done}/{self._total} leads, {tally.acknowledged} acknowledged "
            f"({tally.acknowledged / elapsed:.0f}/s), {tally.retries} retries, "
            f"{errors} non-200 attempts"
        )
        if self._tty:
            filled = int(_WIDTH * self._done / max(self._total, 1))
            bar = "#" * filled + "-" * (_WIDTH - filled)
            self._stream.write(f"\r\033[K[{bar}] {figures}")
            self._stream.flush()
        else:
            self.say(figures)
