"""
The load test's log folder: a temporary one goes after a passing run, stays after a
failed one (or with `--keep-logs`); a folder the operator named always stays.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from loadtest.cli import parser
from loadtest.logs import RunLogs


def _written(logs: RunLogs) -> Path:
    log = logs.path / "replica-1.log"
    log.write_text("a line\n")
    return log


def test_a_passing_run_removes_its_temporary_logs() -> None:
    logs = RunLogs()
    _written(logs)
    assert logs.finish(passed=True) is False
    assert not logs.path.exists()


def test_a_failed_run_keeps_its_logs() -> None:
    logs = RunLogs()
    log = _written(logs)
    try:
        assert logs.finish(passed=False) is True
        assert log.read_text() == "a line\n"
    finally:
        log.unlink()
        logs.path.rmdir()


def test_keep_logs_keeps_them_after_a_pass_too() -> None:
    logs = RunLogs(keep=True)
    log = _written(logs)
    try:
        assert logs.finish(passed=True) is True
        assert log.exists()
    finally:
        log.unlink()
        logs.path.rmdir()


@pytest.mark.parametrize("passed", [True, False])
def test_a_named_folder_is_never_removed(tmp_path: Path, passed: bool) -> None:
    logs = RunLogs(tmp_path / "logs")
    log = _written(logs)
    assert logs.finish(passed=passed) is True
    assert log.exists()


def test_the_command_line_takes_keep_logs() -> None:
    assert parser().parse_args([]).keep_logs is False
    assert parser().parse_args(["--keep-logs"]).keep_logs is True
