"""Crash points: unarmed they do nothing; armed, the first arrival at the point exits."""

from __future__ import annotations

from typing import NoReturn

import pytest
from pydantic import ValidationError
from structlog.testing import capture_logs

from actors.runtime.faults import CRASH_EXIT_CODE, CrashPoint, CrashPoints
from web.settings import Settings


class Exited(Exception):
    def __init__(self, code: int) -> None:
        super().__init__(code)
        self.code = code


def record_exit(code: int) -> NoReturn:
    raise Exited(code)


def test_unarmed_crash_points_never_exit() -> None:
    points = CrashPoints(exit=record_exit)
    for point in CrashPoint:
        points.reached(point)
    assert points.armed is None


def test_an_armed_point_exits_with_86_and_one_log_line_the_first_time_only() -> None:
    points = CrashPoints(CrashPoint.TURN_WRITTEN, exit=record_exit)
    points.reached(CrashPoint.TURN_LOCKED)  # another point: nothing happens
    with capture_logs() as logs, pytest.raises(Exited) as exited:
        points.reached(CrashPoint.TURN_WRITTEN)
    assert exited.value.code == CRASH_EXIT_CODE == 86
    assert logs == [
        {
            "event": "fault.crash_point_reached",
            "log_level": "critical",
            "point": "turn.written",
            "exit_code": 86,
        }
    ]
    points.reached(CrashPoint.TURN_WRITTEN)  # an exit that returned does not fire twice


def test_fault_crash_at_is_read_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FAULT_CRASH_AT", raising=False)
    assert Settings().fault_crash_at is None
    monkeypatch.setenv("FAULT_CRASH_AT", "relay.provider_accepted")
    assert Settings().fault_crash_at is CrashPoint.RELAY_PROVIDER_ACCEPTED
    monkeypatch.setenv("FAULT_CRASH_AT", "turn.nowhere")
    with pytest.raises(ValidationError):
        Settings()
