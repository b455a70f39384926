"""
The replicas' log folder: a temporary one unless `--log-dir` names one, removed after a
passing run unless `--keep-logs`; kept, always, after a failed check or a crash.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

__all__ = ["RunLogs"]


class RunLogs:
    """Where a run's logs go, and whether they outlive it."""

    def __init__(self, chosen: Path | None = None, *, keep: bool = False) -> None:
        self._temporary = chosen is None
        self.path = Path(tempfile.mkdtemp(prefix="ba-loadtest-")) if chosen is None else chosen
        self.path.mkdir(parents=True, exist_ok=True)
        self._keep = keep

    def finish(self, *, passed: bool) -> bool:
        """
        Remove a temporary folder after a passing run (unless asked to keep it); say
        whether the logs are still there. A folder named by `--log-dir` is never removed.
        """
        if self._temporary and passed and not self._keep:
            shutil.rmtree(self.path, ignore_errors=True)
            return False
        return True
