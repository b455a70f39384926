"""
Crash points: named places where a test can make the process die, like kill -9 there.

The idea of TiKV's fail-rs FAILPOINTS and FoundationDB's buggify, cut down to the one
fault that matters for our promises: sudden death. `CrashPoints` is built once from the
settings (`FAULT_CRASH_AT`) and handed to the runtime and the relay, which call
`reached(point)` at each point below. Unarmed (the default), `reached` compares and
returns; armed, the first time the process reaches its point it logs one line and
leaves with `os._exit(CRASH_EXIT_CODE)`: no `finally`, no rollback, no drain, no
connection closed politely; Postgres sees the sockets drop, as after kill -9.

The points, in the order a webhook's message meets them:

    turn.locked              the turn holds the lead's advisory lock and has read the
                             snapshot; nothing is written yet
    turn.written             `unit.turns.finish` ran (a full turn): the inbox row, the snapshot
                             compare-and-set and the outbox rows are ONE statement, so
                             "after the inbox insert" and "after the snapshot write"
                             are both this point; uncommitted
    turn.before_commit       immediately before `unit.commit()`; the same database
                             state as turn.written, kept apart so a future write
                             between the two has its own point
    turn.committed           committed; the caller (the webhook) has not heard back
    relay.claimed            the relay claimed rows (their leases are set, attempts
                             counted); no provider was called
    relay.provider_accepted  a deliverer returned: the provider has the message and
                             we have not recorded it (the one window in which a reply
                             goes out twice)

A turn taken at once (one statement, `actors.runtime.turn`) reaches turn.locked, turn.written
and turn.before_commit just before it sends that statement, since the lock, the writes
and the commit all happen inside it: dying there leaves what dying before the commit
of a full turn leaves, nothing written. It reaches turn.committed once the statement
has returned. A process's first turn of a lead always goes the full way (nothing is
cached yet), so a point armed by FAULT_CRASH_AT, which fires once, fires there.

A testing aid only: never set FAULT_CRASH_AT in production.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from enum import StrEnum
from typing import NoReturn

import structlog

__all__ = ["CRASH_EXIT_CODE", "CrashPoint", "CrashPoints"]

log = structlog.get_logger("actors.runtime.faults")

CRASH_EXIT_CODE = 86  # distinct from 0, 1, 2 (usage), 128 + n (signals)


class CrashPoint(StrEnum):
    TURN_LOCKED = "turn.locked"
    TURN_WRITTEN = "turn.written"
    TURN_BEFORE_COMMIT = "turn.before_commit"
    TURN_COMMITTED = "turn.committed"
    RELAY_CLAIMED = "relay.claimed"
    RELAY_PROVIDER_ACCEPTED = "relay.provider_accepted"


def _die(code: int) -> NoReturn:
    for stream in (sys.stdout, sys.stderr):  # the log line, not the process's state
        stream.flush()
    os._exit(code)


class CrashPoints:
    """
    Where this process dies on purpose: nowhere (the default), or at one point.

    Args:
        armed: the point to die at; None for none.
        exit: how to die; tests of this class pass one that raises instead.
    """

    __slots__ = ("_armed", "_exit")

    def __init__(
        self, armed: CrashPoint | None = None, *, exit: Callable[[int], NoReturn] = _die
    ) -> None:
        self._armed = armed
        self._exit = exit

    @property
    def armed(self) -> CrashPoint | None:
        return self._armed

    def reached(self, point: CrashPoint) -> None:
        """Exit at once with `CRASH_EXIT_CODE` if `point` is the armed one."""
        if point is not self._armed:
            return
        self._armed = None  # once: an `exit` that returns does not fire again
        log.critical("fault.crash_point_reached", point=point.value, exit_code=CRASH_EXIT_CODE)
        self._exit(CRASH_EXIT_CODE)
