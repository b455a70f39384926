"""
The studio page's Block and Unblock: turns of the artist's actor (`actors.schedule.time_off`),
answered after commit, exactly as a sign-in link is asked for.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from actors.commands.model import BlockTimeOff, UnblockTimeOff
from actors.runtime.inbound import ArtistInbound
from actors.runtime.registry import ActorRuntime
from actors.runtime.turn import TurnOutcome
from actors.schedule.time_off import TimeOffBlocked, TimeOffUnblocked

__all__ = ["TimeOffDesk"]


@dataclass(frozen=True)
class TimeOffDesk:
    _runtime: ActorRuntime
    _now: Callable[[], datetime]  # the service's clock
    _turn_wait_s: float  # how long an action waits for its turn to commit

    async def block(self, command: BlockTimeOff) -> TurnOutcome:
        message_id = f"timeoff:{secrets.token_hex(16)}"
        event = TimeOffBlocked(
            message_id, command.starts_at, command.ends_at, command.note, self._now()
        )
        record = {
            "via": "studio",
            "action": "block_time",
            "from": command.starts_at.isoformat(),
            "until": command.ends_at.isoformat(),
        }
        inbound = ArtistInbound.of(event, record, command.correlation_id)
        return await self._runtime.ask_within(inbound, self._turn_wait_s)

    async def unblock(self, command: UnblockTimeOff) -> TurnOutcome:
        message_id = f"timeoff:{secrets.token_hex(16)}"
        event = TimeOffUnblocked(message_id, command.time_off_id, self._now())
        record = {"via": "studio", "action": "unblock_time", "id": command.time_off_id}
        inbound = ArtistInbound.of(event, record, command.correlation_id)
        return await self._runtime.ask_within(inbound, self._turn_wait_s)
