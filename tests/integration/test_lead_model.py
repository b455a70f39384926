"""
One lead against a model, on real Postgres: a hypothesis state machine.

The rules drive the real pieces (the `ActorRuntime`, a second runtime playing another
replica, the `OutboxRelay` with the `WhatsAppSender` on the fake Graph API, and the
`TimerScheduler` on a fake clock) through messages, duplicates, reorderings, artist
actions, Stripe events, crashes and clock jumps. The model is the pure behaviour
itself: the events the service acknowledged as new, folded through
`LeadBehaviour.decide` from `initial`. PRODUCT.md promises that "a lead's final state
equals applying its messages one by one in order"; after every step the invariants
hold the database to that, and to the delivery promises (nothing to an opted-out
number, no reply sent twice outside a crash window, every status change allowed).

Why a model and not examples: the runtime's caching, version compare-and-set, inbox
dedup, timer rows and outbox are each correct alone in their own tests; what can go
wrong is an interleaving (a crash after another replica moved the version, a timer due
after a reply re-armed it, a Stripe event for a superseded session), and hypothesis
finds interleavings we would not write by hand.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Coroutine
from contextlib import AsyncExitStack
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import hypothesis
import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
)

from actors import (
    ActorRuntime,
    Backoff,
    Composer,
    Delivery,
    Inbound,
    OutboxRelay,
    TurnOutcome,
    WhatsAppSender,
    load_copy,
    script_from,
)
from actors.lead import (
    ALLOWED,
    ArtistActed,
    ArtistAction,
    ConfirmOptOut,
    Deposit,
    DepositLinkCreated,
    Event,
    LeadBehaviour,
    LeadState,
    MessageReceived,
    Outcome,
    PaymentEventReceived,
    Policy,
    RequestDepositLink,
    Status,
    TimerFired,
    effect_from_json,
    state_from_json,
)
from actors.outbox.deadline import Deadline
from actors.providers.whatsapp.graph import GraphClient
from actors.providers.whatsapp.templates import Templates
from actors.runtime.inbound import ArtistInbound
from actors.runtime.timers import TimerScheduler
from fakes.graph import FakeGraphApi, GraphFailure
from storage import Database
from storage.pool import Pool, open_pool
from tests.clock import FakeClock
from tests.database import TABLES

COPY_DIR = Path(__file__).resolve().parents[2] / "copy"
COPY = load_copy(COPY_DIR, "en_GB")
COMPOSER = Composer(COPY)
LEAD = "447700900123"
ARTIST = "447700900999"
# The runtime and the model share one Policy: any difference would be a test bug.
POLICY = Policy(artist_number=ARTIST)
BEHAVIOUR = LeadBehaviour(script_from(COPY), POLICY)
DAY = 86_400
DEPOSIT_AMOUNT, DEPOSIT_CURRENCY = POLICY.deposit_amount, POLICY.deposit_currency

# A valid answer to each question of en_GB.yml, so a run can get past qualifying.
ANSWERS = {
    "idea": "a small rose",
    "placement": "Forearm",
    "size": "12 cm",
    "colour": "Black & grey",
    "timing": "next month",
    "reference": "skip",
}
# Answers, steering words (opt-out / opt-in in several cases, a person, confirm, edit)
# and garbage that fails validation (twice in a row hands the lead over).
TEXTS = [
    *ANSWERS.values(),
    "Hi",
    "yes",
    "edit",
    "STOP",
    "stop",
    "START",
    "human",
    "x",
    "500 cm",
    "🙂",
]
# Interactive replies: the summary's buttons and the edit list's rows.
REPLY_IDS = ["confirm", "edit", "edit:size", "edit:idea"]
FAILURES = [
    GraphFailure.rate_limited(),
    GraphFailure.server_error(),
    GraphFailure.outside_window(),
    GraphFailure.bad_token(),
]
ARTIST_ACTIONS = [
    ArtistAction.APPROVE,
    ArtistAction.DECLINE,
    ArtistAction.TAKE_OVER,
    ArtistAction.HAND_BACK,
]
# Templates for the messages most likely to go out after the 24-hour window closes.
TEMPLATES = {
    "reminder": {"name": "reminder_v1", "language": "en_GB"},
    "deposit_link": {"name": "deposit_link_v1", "language": "en_GB"},
}
FAST_BACKOFF = Backoff(base_s=0.005, cap_s=0.02, jitter_s=0.002)
DRAIN_TIMEOUT_S = 15.0

T = TypeVar("T")

_OUTCOMES = {
    Outcome.PROCESSED: TurnOutcome.PROCESSED,
    Outcome.OUT_OF_ORDER: TurnOutcome.OUT_OF_ORDER,
    Outcome.NOT_APPLICABLE: TurnOutcome.NOT_APPLICABLE,
}


class RecordingRuntime(ActorRuntime):
    """The real runtime, remembering what it answered: timer firings are made inside the
    scheduler, so this is how the model learns which `TimerFired` events were applied."""

    def __init__(self, pool: Pool) -> None:
        # A long idle time keeps the cache alive, so a stale cache is really exercised.
        super().__init__(Database(pool), BEHAVIOUR, mailbox_size=8, idle_after_s=300)
        self.answered: list[tuple[Inbound, TurnOutcome]] = []

    async def ask(self, message: Inbound | ArtistInbound) -> TurnOutcome:
        outcome = await super().ask(message)
        if isinstance(message, Inbound):
            self.answered.append((message, outcome))
        return outcome


@dataclass
class StripeStandIn:
    """The deposit channel's deliverer: records the request, makes no session.

    The rule `stripe_made_the_link` then feeds `DepositLinkCreated` itself, as
    actors/providers/stripe/checkout.py would after Stripe answered; keeping the two apart lets
    hypothesis put other events between the request and the link.
    """

    requested: set[int] = field(default_factory=set)  # attempts asked for

    async def deliver(self, delivery: Delivery, deadline: Deadline) -> str | None:
        assert isinstance(delivery.effect, RequestDepositLink)
        assert delivery.effect.wa_id == LEAD
        self.requested.add(delivery.effect.attempt)
        return f"cs_request_{delivery.effect.attempt}"


@dataclass(frozen=True)
class Send:
    """A message the fake Graph API accepted for the lead, and how things stood then."""

    idempotency_key: str
    status: Status
    free_form: bool  # not a template
    window_open: bool  # within 24 h of the lead's last message (or no message known)


class LeadMachine(RuleBasedStateMachine):
    """One lead, every way the outside world can poke it, checked against the model."""

    dsn: str = ""  # set by the autouse fixture below, before hypothesis builds a machine

    def __init__(self) -> None:
        super().__init__()
        # Rules are sync; every await runs on this loop, which lives as long as the run.
        self.loop = asyncio.Runner()
        self.stack = AsyncExitStack()
        self.clock = FakeClock()
        self.graph = FakeGraphApi()
        self.stripe = StripeStandIn()
        self.ids = itertools.count(1)
        self.pool: Pool = self.run(self._open())
        self.runtime = RecordingRuntime(self.pool)
        self.other: RecordingRuntime | None = None  # "another replica", made on first use
        self.scheduler = TimerScheduler(Database(self.pool), self.runtime, self.clock)
        # -- the model --
        self.state: LeadState = BEHAVIOUR.initial(LEAD)
        self.turns = 0  # turns applied: the snapshot's version must equal it
        self.acknowledged: dict[str, str] = {}  # message id -> inbox outcome, first delivery
        self.delivered: list[Inbound] = []  # everything delivered, for re-deliveries
        # Per turn: status before, status after, and each `move` the behaviour made.
        self.turn_moves: list[tuple[Status, Status]] = []
        self.sends: list[Send] = []

    async def _open(self) -> Pool:
        pool = await self.stack.enter_async_context(open_pool(self.dsn, min_size=2, max_size=6))
        await pool.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY")
        server = self.stack.enter_context(self.graph.serve())
        client = await self.stack.enter_async_context(GraphClient.opened(4))
        self.sender = WhatsAppSender(
            client,
            COMPOSER,
            api_base=server.api_base,
            phone_number_id=self.graph.phone_number_id,
            access_token=self.graph.access_token,
            templates=Templates.from_config(COMPOSER, TEMPLATES, default_language="en_GB"),
            artist_number=ARTIST,
            clock=self.clock,  # the 24-hour window is judged on the same fake time
        )
        return pool

    def run(self, work: Coroutine[Any, Any, T]) -> T:
        return self.loop.run(work)

    def teardown(self) -> None:
        async def close() -> None:
            await self.runtime.aclose()
            if self.other is not None:
                await self.other.aclose()
            await self.stack.aclose()

        try:
            self.run(close())
        finally:
            self.loop.close()

    # -- the model -------------------------------------------------------------------

    def _apply(self, inbound: Inbound, outcome: TurnOutcome) -> None:
        """Check the runtime's answer against the model, then advance the model."""
        if inbound.message_id in self.acknowledged:
            assert outcome is TurnOutcome.DUPLICATE, (inbound.message_id, outcome)
            return
        # decide raises InvalidTransition on any move outside the table.
        decision = BEHAVIOUR.decide(self.state, inbound.event)
        assert outcome is _OUTCOMES[decision.outcome], (inbound.event, outcome, decision.outcome)
        self.turn_moves.append((self.state.status, decision.state.status))
        self.state = decision.state
        hypothesis.event(f"reached {self.state.status.value}")  # --hypothesis-show-statistics
        self.turns += 1
        self.acknowledged[inbound.message_id] = decision.outcome.value

    def _deliver(self, inbound: Inbound, runtime: ActorRuntime | None = None) -> None:
        outcome = self.run((runtime or self.runtime).ask(inbound))
        self._apply(inbound, outcome)
        if inbound not in self.delivered:
            self.delivered.append(inbound)

    def _inbound(self, event: Event, record: dict[str, Any] | None = None) -> Inbound:
        return Inbound(LEAD, event.message_id, event, record or {}, f"corr-{event.message_id}")

    def _message(
        self, *, text: str | None = None, reply_id: str | None = None, sent_at: int | None = None
    ) -> Inbound:
        message_id = f"wamid.lead{next(self.ids)}"
        now = self.clock.now()
        event = MessageReceived(
            message_id=message_id,
            wa_id=LEAD,
            sent_at=int(now.timestamp()) if sent_at is None else sent_at,
            received_at=now,
            kind="interactive" if reply_id else "text",
            text=text,
            reply_id=reply_id,
            profile_name="Ana",
        )
        return self._inbound(event, {"text": text, "reply_id": reply_id})

    def _fire_due_timers(self, *, elsewhere: bool = False) -> None:
        """Fire through a real scheduler (ours, or the other replica's); exactly the
        model's armed, due timers fire, each once."""
        now = int(self.clock.now().timestamp())
        expected = sorted((t.kind.value, t.due_at) for t in self.state.timers if t.due_at <= now)
        runtime = self._other() if elsewhere else self.runtime
        scheduler = (
            TimerScheduler(Database(self.pool), runtime, self.clock)
            if elsewhere
            else self.scheduler
        )
        runtime.answered.clear()
        fired = self.run(scheduler.fire_due())
        answered = list(runtime.answered)
        got = sorted(
            (i.event.kind.value, i.event.due_at)
            for i, _ in answered
            if isinstance(i.event, TimerFired)
        )
        assert (fired, got) == (len(expected), expected)
        for inbound, outcome in answered:
            self._apply(inbound, outcome)

    # -- a head start ---------------------------------------------------------------------

    @initialize(head_start=st.sampled_from(["none", "none", "submitted", "approved", "linked"]))
    def start_somewhere(self, head_start: str) -> None:
        """Begin some runs further along, by the same real events a lead and the artist
        would send, so the deposit and booking states get their share of the steps."""
        if head_start == "none":
            return
        self.lead_answers(count=8, pause_s=0)  # greeting, six answers, "yes"
        assert self.state.status is Status.PENDING_APPROVAL
        if head_start in ("approved", "linked"):
            self.artist_acts(ArtistAction.APPROVE)
        if head_start == "linked":
            self.stripe_made_the_link(ttl_s=7200, pays_at_once=False)

    # -- the lead ----------------------------------------------------------------------

    @rule(count=st.integers(min_value=1, max_value=8), pause_s=st.sampled_from([0, 5, 600]))
    def lead_answers(self, count: int, pause_s: int) -> None:
        """The cooperative lead: `count` messages, each the right answer to the question
        asked ("yes" to the summary, "Hi" otherwise), so that runs reach confirming,
        approval and payment within a few steps."""
        for _ in range(count):
            self.clock.advance(pause_s)
            if self.state.status is Status.CONFIRMING:
                text = "yes"
            else:
                text = ANSWERS.get(self.state.current_question or "", "Hi")
            self._deliver(self._message(text=text))

    @rule(text=st.sampled_from(TEXTS), pause_s=st.sampled_from([0, 30]))
    def lead_says(self, text: str, pause_s: int) -> None:
        self.clock.advance(pause_s)
        self._deliver(self._message(text=text))

    @rule(reply_id=st.sampled_from(REPLY_IDS))
    def lead_taps(self, reply_id: str) -> None:
        self._deliver(self._message(reply_id=reply_id))

    @precondition(lambda self: self.state.last_message_ts > 0)
    @rule(text=st.sampled_from(TEXTS), age_s=st.integers(min_value=1, max_value=3600))
    def lead_message_arrives_late(self, text: str, age_s: int) -> None:
        """A fresh id whose timestamp is older than the newest message applied."""
        self._deliver(self._message(text=text, sent_at=self.state.last_message_ts - age_s))

    @precondition(lambda self: bool(self.delivered))
    @rule(data=st.data(), elsewhere=st.booleans())
    def redelivered(self, data: st.DataObject, elsewhere: bool) -> None:
        """Meta (or Stripe, or the admin's retry) delivers an id already handled again,
        here or to the other replica: it must be a duplicate, applied zero times."""
        earlier = data.draw(st.sampled_from(self.delivered))
        self._deliver(earlier, self._other() if elsewhere else None)

    @rule(text=st.sampled_from(TEXTS))
    def delivered_to_both_replicas_at_once(self, text: str) -> None:
        """The same new message reaches two replicas concurrently: one applies it."""
        inbound = self._message(text=text)

        async def both() -> list[TurnOutcome]:
            return list(await asyncio.gather(self.runtime.ask(inbound), self._other().ask(inbound)))

        outcomes = self.run(both())
        assert outcomes.count(TurnOutcome.DUPLICATE) == 1, outcomes
        (applied,) = [o for o in outcomes if o is not TurnOutcome.DUPLICATE]
        self._apply(inbound, applied)
        self.delivered.append(inbound)

    # -- the artist (admin API) -----------------------------------------------------------

    @rule(action=st.sampled_from(ARTIST_ACTIONS))
    def artist_acts(self, action: ArtistAction) -> None:
        event = ArtistActed(
            message_id=f"admin:{next(self.ids)}",
            wa_id=LEAD,
            action=action,
            received_at=self.clock.now(),
            via="admin",
        )
        self._deliver(self._inbound(event, {"action": action.value}))

    # -- Stripe -------------------------------------------------------------------------

    @precondition(
        lambda self: (
            self.state.status is Status.BOOKING_PENDING and self.state.deposit is Deposit.REQUESTED
        )
    )
    @rule(ttl_s=st.sampled_from([1800, 7200, DAY]), pays_at_once=st.booleans())
    def stripe_made_the_link(self, ttl_s: int, pays_at_once: bool) -> None:
        """The relay takes the deposit request to "Stripe"; the session comes back, and
        the lead may pay straight away.

        (Draining and paying here, rather than waiting for those rules to come up, keeps
        the approve -> link -> payment chain short enough for hypothesis to find often.)"""
        attempt = self.state.deposit_attempt
        if attempt not in self.stripe.requested:
            self.relay_drains_the_outbox([])
        assert attempt in self.stripe.requested, "the deposit request was not delivered"
        session_id = f"cs_test_{attempt}_{next(self.ids)}"
        event = DepositLinkCreated(
            message_id=f"stripe-session:{session_id}",
            wa_id=LEAD,
            attempt=attempt,
            session_id=session_id,
            url=f"https://pay.test/{session_id}",
            expires_at=int(self.clock.now().timestamp()) + ttl_s,
            received_at=self.clock.now(),
        )
        self._deliver(self._inbound(event, {"session_id": session_id, "attempt": attempt}))
        if pays_at_once:
            self.stripe_event("paid", latest=True, amount=DEPOSIT_AMOUNT)

    @precondition(lambda self: bool(self.state.deposit_sessions))
    @rule(
        kind=st.sampled_from(["paid", "paid", "expired", "unpaid"]),
        latest=st.booleans(),
        amount=st.sampled_from([DEPOSIT_AMOUNT, DEPOSIT_AMOUNT, 100]),
    )
    def stripe_event(self, kind: str, latest: bool, amount: int) -> None:
        """A verified Stripe event for one of the sessions we issued (the latest or the
        first), as web/ would route it: paid, paid with a wrong amount, unpaid, expired."""
        session = self.state.deposit_sessions[-1 if latest else 0]
        n = next(self.ids)
        event = PaymentEventReceived(
            message_id=f"stripe:evt_{n}",
            wa_id=LEAD,
            event_id=f"evt_{n}",
            event_type=(
                "checkout.session.expired" if kind == "expired" else "checkout.session.completed"
            ),
            received_at=self.clock.now(),
            livemode=False,
            session_id=session.session_id,
            payment_status={"paid": "paid", "unpaid": "unpaid"}.get(kind),
            amount=amount,
            currency=DEPOSIT_CURRENCY,
            payment_intent=f"pi_{n}" if kind == "paid" else None,
        )
        self._deliver(self._inbound(event, {"event_id": event.event_id}))

    # -- crashes and replicas -------------------------------------------------------------

    def _other(self) -> RecordingRuntime:
        if self.other is None:
            self.other = RecordingRuntime(self.pool)
        return self.other

    @rule()
    def crash_and_reload(self) -> None:
        """The process goes away and a fresh one starts: only Postgres remembers."""
        self.run(self.runtime.aclose())
        self.runtime = RecordingRuntime(self.pool)
        self.scheduler = TimerScheduler(Database(self.pool), self.runtime, self.clock)

    @rule(text=st.sampled_from([*ANSWERS.values(), "Hi", "yes", "STOP", "START"]))
    def another_replica_handles_the_next_message(self, text: str) -> None:
        """Behind our runtime's back the version moves; its cache must not win later."""
        if self.state.status is Status.QUALIFYING and text in ANSWERS.values():
            text = ANSWERS.get(self.state.current_question or "", text)
        self._deliver(self._message(text=text), self._other())

    # -- delivery ---------------------------------------------------------------------------

    @rule(failures=st.lists(st.sampled_from(FAILURES), max_size=3))
    def relay_drains_the_outbox(self, failures: list[GraphFailure]) -> None:
        """Meta fails the next calls as scripted; the relay runs until nothing is pending
        (sent, retried then sent, sent as a template, suppressed, or dead-lettered)."""
        self.graph.fail_next(*failures)
        before = len(self.graph.sent)
        self.run(self._drain())
        # No turn runs during the drain: the model's state is the lead's state throughout.
        last = self.state.last_message_ts
        window_open = last == 0 or self.clock.now().timestamp() - last < DAY
        for message in self.graph.sent[before:]:
            if message.to == LEAD:
                key = str(message.body["biz_opaque_callback_data"])
                free_form = message.type != "template"
                self.sends.append(Send(key, self.state.status, free_form, window_open))
                hypothesis.event("sent to the lead" if free_form else "sent as a template")

    async def _drain(self) -> None:
        relay = OutboxRelay(
            Database(self.pool),
            {"whatsapp": self.sender, "deposit": self.stripe},
            max_attempts=4,
            backoff=FAST_BACKOFF,
            poll_interval_s=0.005,
        )
        task = asyncio.create_task(relay.run())
        try:
            deadline = time.monotonic() + DRAIN_TIMEOUT_S
            while await self.pool.fetchval("SELECT count(*) FROM outbox WHERE status = 'pending'"):
                assert time.monotonic() < deadline, "the outbox did not drain"
                await asyncio.sleep(0.005)
        finally:
            relay.stop()
            await task

    # -- time -------------------------------------------------------------------------------

    @rule(seconds=st.sampled_from([0, 60, 3600]), elsewhere=st.booleans())
    def timers_fire(self, seconds: int, elsewhere: bool) -> None:
        """A little time passes and a scheduler polls: ours, or another replica's."""
        self.clock.advance(seconds)
        self._fire_due_timers(elsewhere=elsewhere)

    @rule(extra_s=st.sampled_from([1, 3600, DAY + 1]))
    def clock_jumps_past_a_day(self, extra_s: int) -> None:
        """Silence past STALE_AFTER_S (and maybe ABANDON_AFTER_S); the window closes too."""
        self.clock.advance(DAY + extra_s)
        self._fire_due_timers()

    # -- invariants -------------------------------------------------------------------------

    @invariant()
    def snapshot_is_the_model(self) -> None:
        """Acknowledged events applied once each, in order: state and version agree."""
        row = self.run(
            self.pool.fetchrow("SELECT version, status, state FROM leads WHERE lead_key = $1", LEAD)
        )
        if self.turns == 0:
            assert row is None
            return
        assert row is not None
        assert row["version"] == self.turns
        assert row["status"] == self.state.status.value
        stored = state_from_json(row["state"])
        assert stored.status is self.state.status
        assert stored.answers == self.state.answers
        assert stored.current_question == self.state.current_question
        assert (stored.deposit, stored.deposit_attempt, stored.deposit_sessions) == (
            self.state.deposit,
            self.state.deposit_attempt,
            self.state.deposit_sessions,
        )
        assert stored.timers == self.state.timers
        assert stored == self.state  # and everything else the codec carries

    @invariant()
    def inbox_holds_each_acknowledged_message_once(self) -> None:
        rows = self.run(
            self.pool.fetch("SELECT message_id, outcome FROM inbox WHERE lead_key = $1", LEAD)
        )
        assert len(rows) == len(self.acknowledged)
        assert {r["message_id"]: r["outcome"] for r in rows} == self.acknowledged

    @invariant()
    def durable_rows_mirror_the_snapshot(self) -> None:
        """The answers table and the pending timer rows say what the snapshot says."""
        answers = self.run(
            self.pool.fetch(
                "SELECT seq, question_key, value FROM answers WHERE lead_key = $1 ORDER BY seq",
                LEAD,
            )
        )
        assert [(r["seq"], r["question_key"], r["value"]) for r in answers] == [
            (a.seq, a.question, a.value) for a in self.state.answers
        ]
        timers = self.run(
            self.pool.fetch(
                "SELECT kind, due_at FROM timers WHERE lead_key = $1 AND status = 'pending'",
                LEAD,
            )
        )
        assert sorted((r["kind"], _epoch(r["due_at"])) for r in timers) == sorted(
            (t.kind.value, t.due_at) for t in self.state.timers
        )

    @invariant()
    def every_status_change_is_allowed(self) -> None:
        """A turn changes status only along rows of the table (one turn may take several:
        OPTOUT -> NEW -> QUALIFYING on START), so its end is reachable from its start."""
        for before, after in self.turn_moves:
            assert before == after or _reachable(before, after), (before, after)

    @invariant()
    def nothing_reaches_an_opted_out_lead_but_the_confirmation(self) -> None:
        opted_out = [s.idempotency_key for s in self.sends if s.status is Status.OPTOUT]
        if not opted_out:
            return
        rows = self.run(
            self.pool.fetch(
                "SELECT idempotency_key, payload FROM outbox WHERE idempotency_key = ANY($1)",
                opted_out,
            )
        )
        assert len(rows) == len(opted_out)
        for row in rows:
            sent = effect_from_json("whatsapp", row["payload"])
            assert isinstance(sent, ConfirmOptOut), row["payload"]

    @invariant()
    def free_form_only_inside_the_24_hour_window(self) -> None:
        """WhatsApp's rule: outside 24 h of the lead's last message, a template or nothing."""
        late = [s.idempotency_key for s in self.sends if s.free_form and not s.window_open]
        assert not late, late

    @invariant()
    def each_reply_is_sent_at_most_once(self) -> None:
        """No crash window is ever opened here (no stalls, no lost responses, the database
        stays up), so what Meta accepted is exactly the rows marked sent: once each."""
        accepted = [str(m.body["biz_opaque_callback_data"]) for m in self.graph.sent]
        assert len(accepted) == len(set(accepted)), "a reply went out twice"
        rows = self.run(
            self.pool.fetch(
                "SELECT idempotency_key, payload->>'to' AS to FROM outbox"
                " WHERE channel = 'whatsapp' AND status = 'sent'"
            )
        )
        assert sorted(accepted) == sorted(r["idempotency_key"] for r in rows)
        to_lead = sum(1 for r in rows if r["to"] == LEAD)
        assert len(self.graph.to(LEAD)) == to_lead


def _reachable(source: Status, target: Status, hops: int = 3) -> bool:
    seen = {source}
    for _ in range(hops):
        seen |= {t for s in seen for t in ALLOWED[s]}
    return target in seen


def _epoch(moment: datetime) -> int:
    return int(moment.timestamp())


@pytest.fixture(autouse=True)
def _database(database_url: str) -> None:
    """Hand the session's migrated database to the machine (a unittest-style class
    cannot take fixtures as arguments)."""
    LeadMachine.dsn = database_url


LeadMachine.TestCase.settings = settings(
    max_examples=100,
    stateful_step_count=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
TestLeadMachine = LeadMachine.TestCase
