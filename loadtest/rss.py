"""Peak resident memory of each replica, sampled from /proc while the run goes."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Protocol

__all__ = ["RssSampler", "rss_mb"]


class _Process(Protocol):
    name: str

    @property
    def pid(self) -> int: ...

    @property
    def running(self) -> bool: ...


def rss_mb(pid: int) -> tuple[float, float]:
    """(VmRSS, VmHWM) of `pid` in MiB; (0, 0) once it is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0.0, 0.0
    fields = dict(line.split(":", 1) for line in text.splitlines() if ":" in line)

    def mib(name: str) -> float:
        return int(fields.get(name, "0 kB").split()[0]) / 1024

    return mib("VmRSS"), mib("VmHWM")


class RssSampler:
    """Keeps each replica's highest VmHWM seen, across restarts (a restart is a new pid)."""

    def __init__(self, processes: Sequence[_Process], every_s: float = 0.5) -> None:
        self._processes = processes
        self._every_s = every_s
        self._peaks: dict[str, float] = {}

    def sample(self) -> None:
        for process in self._processes:
            if process.running:
                _, peak = rss_mb(process.pid)
                self._peaks[process.name] = max(self._peaks.get(process.name, 0.0), peak)

    def peaks_mb(self) -> dict[str, float]:
        self.sample()
        return {name: round(mb, 1) for name, mb in sorted(self._peaks.items())}

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator[None]:
        async def loop() -> None:
            while True:
                self.sample()
                await asyncio.sleep(self._every_s)

        task = asyncio.create_task(loop())
        try:
            yield
        finally:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
