"""
The actor runtime: one asyncio task per actor (each lead, and the artist), created on
demand, with a bounded mailbox.

Each message is one turn (`actors.runtime.turn` for a lead, `actors.runtime.artist_turn`
for the artist): one transaction, and only once it has committed does the caller hear
back. A failed turn fails only its own caller. What the artist's actor forwards to a
lead goes into that lead's mailbox with the same caller, who hears back from that turn.

Idle actors passivate (their task ends and their cached state is dropped), so memory
tracks active leads. `aclose` stops intake and drains what is already queued.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

import structlog

from actors.artist import ArtistBehaviour
from actors.errors import ActorError, MailboxFull, RuntimeClosed, TurnFailed
from actors.lead import LeadBehaviour
from actors.runtime.artist_turn import ArtistTurns
from actors.runtime.faults import CrashPoints
from actors.runtime.inbound import ArtistInbound, Inbound
from actors.runtime.masking import mask_phone
from actors.runtime.observe import NullObserver, Observer
from actors.runtime.turn import CachedLead, TurnOutcome, Turns
from storage import Database

__all__ = ["ActorInfo", "ActorRuntime"]

log = structlog.get_logger("actors.runtime.registry")


@dataclass(frozen=True)
class ActorInfo:
    lead_key: str
    status: str | None
    mailbox_depth: int
    last_activity: datetime


@dataclass
class _Letter:
    message: Inbound | ArtistInbound
    reply: asyncio.Future[TurnOutcome]


@dataclass
class _Actor:
    key: str
    mailbox: asyncio.Queue[_Letter]
    last_activity: float = field(default_factory=time.time)
    busy: bool = False
    lead: CachedLead = field(init=False)
    task: asyncio.Task[None] | None = None

    def __post_init__(self) -> None:
        self.lead = CachedLead(self.key)


def _report_crash(task: asyncio.Task[None]) -> None:
    """Turns catch their own errors; an actor task dying of anything else is a bug."""
    if not task.cancelled() and task.exception() is not None:
        log.error("actor.crashed", task=task.get_name(), exc_info=task.exception())


class ActorRuntime:
    """Routes each inbound message to its lead's actor and answers after commit."""

    def __init__(
        self,
        db: Database,
        behaviour: LeadBehaviour,
        *,
        mailbox_size: int = 64,
        idle_after_s: float = 60.0,
        on_effects: Callable[[], None] = lambda: None,
        relays_in_process: bool = False,
        mirror_to_sheets: bool = False,
        observer: Observer | None = None,
        crash_points: CrashPoints | None = None,
        artist: ArtistBehaviour | None = None,
    ) -> None:
        # With this process's relays woken by `on_effects`, a turn's commit need not
        # NOTIFY the others: Postgres serializes notifying commits cluster-wide.
        notify = not relays_in_process
        self._turns = Turns(db, behaviour, mirror_to_sheets, notify, crash_points or CrashPoints())
        self._artist_turns = ArtistTurns(db, artist or ArtistBehaviour(None))
        self._mailbox_size = mailbox_size
        self._idle_after_s = idle_after_s
        self._on_effects = on_effects
        self._observer: Observer = observer or NullObserver()
        self._actors: dict[str, _Actor] = {}
        self._closing = False

    # -- intake ------------------------------------------------------------------

    async def ask(self, message: Inbound | ArtistInbound) -> TurnOutcome:
        """Hand `message` to its lead's actor; return once its turn has committed."""
        reply: asyncio.Future[TurnOutcome] = asyncio.get_running_loop().create_future()
        self.tell(message, reply)
        return await reply

    async def ask_within(self, message: Inbound | ArtistInbound, wait_s: float) -> TurnOutcome:
        """`ask`, for a caller that answers someone: `TurnFailed` after `wait_s` (the turn
        may still commit; a retry then finds it done)."""
        try:
            async with asyncio.timeout(wait_s):
                return await self.ask(message)
        except TimeoutError:
            raise TurnFailed("the turn did not commit in time") from None

    def tell(self, message: Inbound | ArtistInbound, reply: asyncio.Future[TurnOutcome]) -> None:
        """Enqueue without waiting; raises `MailboxFull` or `RuntimeClosed` at once."""
        if self._closing:
            raise RuntimeClosed("shutting down")
        actor = self._actors.get(message.lead_key)
        if actor is None:
            actor = _Actor(message.lead_key, asyncio.Queue(maxsize=self._mailbox_size))
            self._actors[message.lead_key] = actor
            actor.task = asyncio.create_task(
                self._run(actor), name=f"actor:{mask_phone(message.lead_key)}"
            )
            actor.task.add_done_callback(_report_crash)
        try:
            actor.mailbox.put_nowait(_Letter(message, reply))
        except asyncio.QueueFull:
            raise MailboxFull(f"mailbox of {mask_phone(message.lead_key)} is full") from None

    # -- introspection -------------------------------------------------------------

    def live_actors(self) -> list[ActorInfo]:
        return [
            ActorInfo(
                lead_key=actor.key,
                status=actor.lead.state.status.value if actor.lead.state else None,
                mailbox_depth=actor.mailbox.qsize(),
                last_activity=datetime.fromtimestamp(actor.last_activity, UTC),
            )
            for actor in list(self._actors.values())
        ]

    @property
    def live_count(self) -> int:
        return len(self._actors)

    # -- shutdown ------------------------------------------------------------------

    async def aclose(self, timeout_s: float = 20.0) -> None:
        """Stop intake, let every actor finish what is queued, then return."""
        self._closing = True
        for actor in list(self._actors.values()):
            if not actor.busy and actor.mailbox.empty() and actor.task is not None:
                actor.task.cancel()  # idle, blocked in get(): nothing to drain
        tasks = [a.task for a in self._actors.values() if a.task is not None]
        if not tasks:
            return
        _, pending = await asyncio.wait(tasks, timeout=timeout_s)
        for task in pending:
            task.cancel()
        if pending:
            log.warning("actors.drain_timeout", unfinished=len(pending))
            await asyncio.wait(pending)

    # -- the actor -----------------------------------------------------------------

    async def _run(self, actor: _Actor) -> None:
        structlog.contextvars.clear_contextvars()  # a task inherits its creator's context
        try:
            while True:
                if actor.mailbox.empty():
                    if self._closing:
                        return
                    try:
                        async with asyncio.timeout(self._idle_after_s):
                            letter = await actor.mailbox.get()
                    except TimeoutError:
                        if actor.mailbox.empty():
                            self._observer.passivated()
                            return  # passivate
                        continue
                else:
                    letter = actor.mailbox.get_nowait()
                actor.busy = True
                try:
                    await self._handle(actor, letter)
                finally:
                    actor.busy = False
                    actor.last_activity = time.time()
        finally:
            if self._actors.get(actor.key) is actor:
                del self._actors[actor.key]
            while not actor.mailbox.empty():
                left = actor.mailbox.get_nowait()
                if not left.reply.done():
                    left.reply.set_exception(RuntimeClosed("actor stopped"))

    async def _handle(self, actor: _Actor, letter: _Letter) -> None:
        message = letter.message
        with structlog.contextvars.bound_contextvars(
            lead=mask_phone(actor.key), correlation_id=message.correlation_id
        ):
            started = time.perf_counter()
            try:
                if isinstance(message, ArtistInbound):
                    outcome = await self._artist_turn(message, letter.reply)
                    if outcome is None:  # forwarded: the lead's turn answers the caller
                        return
                else:
                    outcome = await self._turn(actor, message)
            except TurnFailed as error:
                self._observer.turn_failed(str(error))  # `_commit_turn` names the error class
                if not letter.reply.done():
                    letter.reply.set_exception(error)
            except Exception as error:  # a bug after commit: the caller must still hear
                log.error("lead.turn_epilogue_failed", exc_info=True)
                self._observer.turn_failed(type(error).__name__)
                if not letter.reply.done():
                    letter.reply.set_exception(TurnFailed(type(error).__name__))
            else:
                seconds = time.perf_counter() - started
                self._observer.turn_finished(type(message.event).__name__, outcome.value, seconds)
                if not letter.reply.done():
                    letter.reply.set_result(outcome)

    async def _artist_turn(
        self, message: ArtistInbound, reply: asyncio.Future[TurnOutcome]
    ) -> TurnOutcome | None:
        """The artist's turn; None when it forwarded the message to a lead's actor."""
        committed = await self._artist_turns.take(message)
        if committed is None:
            log.info("artist.duplicate_skipped", message_id=message.message_id)
            return TurnOutcome.DUPLICATE
        forward = committed.decision.forward
        if forward is not None:
            try:
                self.tell(message.forwarded(forward), reply)
            except ActorError as error:  # the lead's mailbox is full, or we are closing
                if not reply.done():
                    reply.set_exception(error)
            return None
        if committed.written and committed.decision.effects:
            self._on_effects()
        log.info(
            "artist.event_handled",
            event_type=type(message.event).__name__,
            effects=len(committed.decision.effects),
            outcome=committed.decision.outcome.value,
        )
        return TurnOutcome(committed.decision.outcome.value)

    async def _turn(self, actor: _Actor, message: Inbound) -> TurnOutcome:
        started = time.perf_counter()
        committed = await self._turns.take(actor.lead, message)
        # Committed: from here on nothing may turn the caller's answer into a failure.
        if committed is None:
            log.info("lead.duplicate_skipped", message_id=message.message_id)
            return TurnOutcome.DUPLICATE
        actor.lead.version, actor.lead.state = committed.version, committed.decision.state
        if committed.effect_count:
            self._on_effects()
        log.info(
            "lead.event_handled",
            event_type=type(message.event).__name__,
            from_status=committed.from_status,
            to_status=committed.decision.state.status.value,
            effects=committed.effect_count,
            outcome=committed.decision.outcome.value,
            version=committed.version,
            ms=round((time.perf_counter() - started) * 1000, 2),
        )
        return committed.outcome
