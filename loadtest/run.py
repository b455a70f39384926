"""
One load-test run: start the cluster, play every lead, (optionally) inject chaos, wait
for the outbox to drain, check the promises, and summarise it all as one JSON object.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import time
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from actors import Composer, load_copy, script_from
from actors.lead import LeadBehaviour, Policy
from loadtest.chaos import Chaos, ChaosPlan, FaultLog, after_kill_delays
from loadtest.checks import Check, Observed, observe, run_checks
from loadtest.cluster import APP_SECRET, ARTIST_NUMBER, Cluster, open_cluster, scratch_database
from loadtest.conversation import PAYING_ROLES, LeadScript, Role
from loadtest.fairness import backlog_replies, fairness
from loadtest.fairness import summary as fairness_summary
from loadtest.http import LeanClient
from loadtest.leads import LeadDriver, LeadResult, Mix
from loadtest.logs import RunLogs
from loadtest.memory import measure_memory
from loadtest.progress import Progress
from loadtest.rss import RssSampler
from loadtest.stats import ms
from loadtest.statuses import StatusFeed
from loadtest.studios import Studio
from loadtest.traffic import Deliveries, Tally
from web.settings import DEFAULT_COPY_DIR

__all__ = ["LoadTest", "run_load_test"]

COPY_DIR = DEFAULT_COPY_DIR  # the copy the replicas read
# The replicas run as this studio, so the reference renders the names as they do.
STUDIO_NAME, ARTIST_NAME = "Loadtest Ink", "Lou"


@dataclass(frozen=True)
class LoadTest:
    """What to run; every field has a command-line option of the same name."""

    replicas: int = 1
    roles: bool = False  # each replica as a web process and a worker process
    leads: int = 100
    steps: int = 5
    concurrency: int = 64
    duplicate_rate: float = 0.1
    reorder_rate: float = 0.05
    batch_rate: float = 0.2
    batch_size: int = 4
    pay_share: float = 0.1
    opt_out_share: float = 0.05
    status_share: float = 0.3  # share of accepted messages whose statuses Meta posts
    reaction_rate: float = 0.1  # share of steps after which the lead reacts to the bot
    # > 0: the replicas run with a STUDIO_FILE, so paying leads pick a time before they
    # pay; this share of all leads then moves it (half) or cancels it (half).
    schedule_share: float = 0.0
    seed: int | None = None
    chaos: bool = False
    chaos_duration_s: float = 60.0
    kill_every_s: float = 5.0
    graph_failure_rate: float = 0.05
    reply_timeout_s: float = 30.0
    give_up_after_s: float = 120.0
    drain_timeout_s: float = 120.0
    memory_leads: int = 0  # > 0: the memory mode instead of conversations
    database_url: str | None = None
    postgres_restart_command: str | None = None
    log_dir: Path | None = None
    keep_logs: bool = False  # a passing run's temporary log folder is removed otherwise
    locale: str = "en_GB"
    studios: int = 1  # > 1: the default studio and studios-1 stored ones, leads spread
    # > 0: the last studio's this many leads write their first message at once, while
    # the others talk; the summary's `fairness` measures the others' reply delays.
    backlog: int = 0
    relay_poll_s: float = 0.1  # each studio's relays look this often besides wake-ups


async def run_load_test(config: LoadTest, progress: Progress) -> dict[str, Any]:
    """
    The run, summarised. `wall_s` is the whole of it, from here until the replicas and
    the database are gone; `log_dir` is where the logs stay, or None once removed.
    """
    started = time.perf_counter()
    seed = config.seed if config.seed is not None else random.randrange(2**32)
    logs = RunLogs(config.log_dir, keep=config.keep_logs)
    summary: dict[str, Any] = {}
    try:
        summary = await _run(config, seed, logs.path, progress)
    finally:
        passed = bool(summary.get("passed", summary.get("ok", False)))
        kept = logs.finish(passed=passed)
        if kept:
            why = "" if passed else "the run failed: "
            progress.say(f"{why}logs kept in {logs.path}")
    return {
        **summary,
        "wall_s": round(time.perf_counter() - started, 2),
        "log_dir": str(logs.path) if kept else None,
    }


async def _run(config: LoadTest, seed: int, log_dir: Path, progress: Progress) -> dict[str, Any]:
    rng = random.Random(seed)
    async with (
        scratch_database(config.database_url, config.postgres_restart_command) as database,
        open_cluster(
            database,
            replicas=config.replicas,
            log_dir=log_dir,
            env=_replica_env(config, log_dir),
            roles=config.roles,
            studios=config.studios,
        ) as cluster,
    ):
        progress.say(f"{config.replicas} replica(s) ready; logs in {log_dir}; seed {seed}")
        if config.memory_leads > 0:
            report = await measure_memory(
                cluster.replicas[0],
                leads=config.memory_leads,
                connections=config.concurrency,
                app_secret=APP_SECRET,
                progress=progress.say,
            )
            return {"mode": "memory", "seed": seed, **report.as_json()}
        summary = await _conversations(config, cluster, rng, progress)
        return {**summary, "seed": seed}


# The studio of a scheduling run: open every day, short sessions, no notice needed, so
# leads find times and often the same ones; a cancellation keeps the deposit.
STUDIO_FILE = """\
timezone: Europe/London
hours:
  monday: [["08:00", "22:00"]]
  tuesday: [["08:00", "22:00"]]
  wednesday: [["08:00", "22:00"]]
  thursday: [["08:00", "22:00"]]
  friday: [["08:00", "22:00"]]
  saturday: [["08:00", "22:00"]]
  sunday: [["08:00", "22:00"]]
slot_step_minutes: 30
default_session_minutes: 60
buffer_minutes: 10
horizon_days: 60
min_notice_hours: 0
reschedule_notice_hours: 0
max_reschedules: 1
cancel_notice_hours: 100000
reminder_offsets_minutes: [2880, 720]
aftercare_after_hours: 2
healed_photo_after_days: 28
"""


def _replica_env(config: LoadTest, log_dir: Path) -> dict[str, str]:
    env = {
        # The service's own lease: a killed replica's claims move within seconds by its
        # session (storage.claimer), not by the lease, and `replies_after_kill` says how
        # fast. (At 8 s, as it was, a pause outlived the lease; tests/integration's
        # test_relay covers that.)
        "RELAY_LEASE_S": "60",
        "RELAY_POLL_S": str(config.relay_poll_s),
        "LOCALE": config.locale,
        "STUDIO_NAME": STUDIO_NAME,
        "ARTIST_NAME": ARTIST_NAME,
    }
    if config.schedule_share > 0:
        studio = log_dir / "studio.yml"
        studio.write_text(STUDIO_FILE, encoding="utf-8")
        env["STUDIO_FILE"] = str(studio)
    if config.backlog > 0:
        # Meta's default pace per number, so the backlog really waits on its number's
        # pacing while the other studios' replies should not.
        env["WHATSAPP_RATE_PER_S"] = "80"
    if config.memory_leads > 0:
        env["ACTOR_IDLE_S"] = "2"
        # Memory of idle actors is the question; the Sheets mirror (four rows at a time,
        # as Google's write quota wants) would take an hour to catch up on 100,000 leads.
        env["SHEETS_SPREADSHEET_ID"] = ""
    return env


def _roles(config: LoadTest, rng: random.Random) -> list[str]:
    paying = round(config.leads * config.pay_share)
    opting_out = round(config.leads * config.opt_out_share)
    moving = round(config.leads * config.schedule_share)
    roles = [Role.RESCHEDULE] * (moving // 2) + [Role.CANCEL] * (moving - moving // 2)
    roles += [Role.PAY] * paying + [Role.OPT_OUT] * opting_out
    roles += [Role.CHAT] * (config.leads - len(roles))
    rng.shuffle(roles)
    return roles[: config.leads]


async def _conversations(
    config: LoadTest, cluster: Cluster, rng: random.Random, progress: Progress
) -> dict[str, Any]:
    copy = load_copy(COPY_DIR, config.locale, studio_name=STUDIO_NAME, artist_name=ARTIST_NAME)
    composer, script = Composer(copy), script_from(copy)
    behaviour = LeadBehaviour(
        script,
        Policy(artist_number=ARTIST_NUMBER, livemode=False),
    )
    run_tag = uuid.uuid4().hex[:8]
    first_ts = int(time.time()) - 3600
    scripts = [
        LeadScript(
            wa_id=f"4479{n:08d}",
            role=role,
            steps=config.steps,
            script=script,
            behaviour=behaviour,
            rng=random.Random(rng.randrange(2**32)),
            artist_number=ARTIST_NUMBER,
            first_ts=first_ts,
            run_tag=run_tag,
        )
        for n, role in enumerate(_roles(config, rng))
    ]
    backlog_scripts = [
        LeadScript(
            wa_id=f"4478{n:08d}",
            role=Role.CHAT,
            steps=1,
            script=script,
            behaviour=behaviour,
            rng=random.Random(rng.randrange(2**32)),
            artist_number=ARTIST_NUMBER,
            first_ts=first_ts,
            run_tag=run_tag,
        )
        for n in range(config.backlog)
    ]
    studio_of = _spread(cluster.studios, scripts, backlog_scripts)
    tally = Tally()
    faults = FaultLog()
    sampler = RssSampler(cluster.replicas)
    client = LeanClient(timeout_s=15.0)
    try:
        deliveries = Deliveries(
            client,
            lambda: cluster.replicas,
            app_secret=APP_SECRET,
            stripe_secret=cluster.stripe.webhook_secret,
            rng=random.Random(rng.randrange(2**32)),
            tally=tally,
            give_up_after_s=config.give_up_after_s,
            batch_size=config.batch_size,
            number=cluster.graph.phone_number_id,
        )
        driver = LeadDriver(
            deliveries,
            cluster.graph,
            cluster.stripe,
            Mix(
                duplicate_rate=config.duplicate_rate,
                reorder_rate=config.reorder_rate,
                batch_rate=config.batch_rate,
                reply_timeout_s=config.reply_timeout_s,
                reaction_rate=config.reaction_rate,
            ),
            random.Random(rng.randrange(2**32)),
            ARTIST_NUMBER,
            scheduling=config.schedule_share > 0,
            studio_of=studio_of.__getitem__,
            lead_key_of=cluster.lead_key_of,
        )
        chaos = (
            Chaos(
                cluster,
                ChaosPlan(
                    duration_s=config.chaos_duration_s,
                    kill_every_s=config.kill_every_s,
                    graph_failure_rate=config.graph_failure_rate,
                ),
                faults,
                random.Random(rng.randrange(2**32)),
                progress.say,
            )
            if config.chaos
            else None
        )
        feed = StatusFeed(
            cluster.graph, deliveries, config.status_share, random.Random(rng.randrange(2**32))
        )
        results: list[LeadResult] = []
        backlog: list[LeadResult] = []
        gate = asyncio.Semaphore(config.concurrency)
        backlog_gate = asyncio.Semaphore(config.concurrency)

        posted: list[float] = []  # when each backlog message was acknowledged

        async def write_once(lead: LeadScript) -> None:
            async with backlog_gate:
                backlog.append(await driver.write_once(lead))
                posted.append(time.time())

        async def play(lead: LeadScript) -> None:
            async with gate:
                results.append(await driver.run(lead))
                progress.advance(tally)

        progress.start(len(scripts), tally)
        started = time.perf_counter()
        async with sampler.running(), asyncio.TaskGroup() as group:
            chaos_task = group.create_task(chaos.run()) if chaos else None
            backlog_task = group.create_task(_all(write_once, backlog_scripts))
            leads_task = group.create_task(_all(play, scripts))
            await leads_task
            await backlog_task
            load_s = time.perf_counter() - started
            if chaos_task is not None:
                await chaos_task
            await deliveries.aclose()
        progress.finish(tally)
        progress.say("waiting for the outbox to drain")
        drained = await _drain(cluster, config.drain_timeout_s)
        await cluster.graph_process.settle()
        await feed.aclose()  # the statuses of the last messages are posted too
        observed = await observe(cluster)
        measured = (
            fairness_summary(
                driver.reply_delays, cluster.graph, cluster.studios[-1], backlog, posted
            )
            if config.backlog > 0
            else None
        )
        checks = run_checks(
            [*results, *backlog],
            observed,
            cluster,
            composer,
            faults,
            chaos=config.chaos,
            outbox_drained=drained,
            reported=feed.reported,
        )
        if measured is not None:
            checks += [fairness(measured), backlog_replies(backlog, cluster.graph)]
            measured = {"passed": checks[-2].passed, **measured}
        rss = sampler.peaks_mb()
    finally:
        await client.aclose()
    summary = _summary(
        config, tally, load_s, cluster, observed, checks, faults, rss, chaos, results
    )
    if measured is not None:
        summary["fairness"] = measured
        during = measured["during_backlog"]
        progress.say(
            f"fairness: {measured['replies']} replies to the other studios left in"
            f" p50 {measured['delay_ms']['p50']} ms, p99 {measured['delay_ms']['p99']} ms,"
            f" max {measured['delay_ms']['max']} ms of their webhook's 200"
            f" ({during['replies']} while {measured['backlog_studio']}'s backlog was sent,"
            f" p99 {during['delay_ms']['p99']} ms)"
        )
    if chaos is not None:
        summary["replies_after_kill"] = _after_kill(chaos, cluster)
        after = summary["replies_after_kill"]
        progress.say(
            f"after a kill: {after['sent_by_another']} replies the dead replica had claimed"
            f" went out from another replica in p50 {after['delay_ms']['p50']} ms,"
            f" p99 {after['delay_ms']['p99']} ms, max {after['delay_ms']['max']} ms"
            f" ({after['kills']} kills, {after['claimed']} claimed,"
            f" {after['sent_before_kill']} sent before the kill)"
        )
    return summary


def _after_kill(chaos: Chaos, cluster: Cluster) -> dict[str, Any]:
    """How long the replies a killed replica held claimed waited after the kill."""
    accepted = [
        (str(m.body.get("biz_opaque_callback_data")), m.accepted_at) for m in cluster.graph.sent
    ]
    delays, before = after_kill_delays(chaos.kills, accepted)
    return {
        "kills": len(chaos.kills),
        "claimed": sum(len(k.claimed) for k in chaos.kills),
        "sent_before_kill": before,
        "sent_by_another": len(delays),
        "delay_ms": ms(delays),
    }


def _spread(
    studios: Sequence[Studio], scripts: Sequence[LeadScript], backlog: Sequence[LeadScript]
) -> dict[str, Studio]:
    """Each lead's studio: the played leads in turn over the studios (the last one left
    out when it has the backlog), the backlog's leads all in the last one.

    Paying leads stay in the default studio: a stored studio's Stripe events come to
    `POST /webhooks/stripe/<slug>` (or by Connect's `account`), which this harness posts
    to (`Studio.stripe_path`) once the service routes them; until then a stored studio's
    payment could not be told to it."""
    quiet = list(studios[:-1]) if backlog and len(studios) > 1 else list(studios)
    studio_of = {
        lead.wa_id: studios[0] if lead.role in PAYING_ROLES else quiet[n % len(quiet)]
        for n, lead in enumerate(scripts)
    }
    studio_of.update({lead.wa_id: studios[-1] for lead in backlog})
    return studio_of


async def _all(play: Any, scripts: Sequence[LeadScript]) -> None:
    async with asyncio.TaskGroup() as group:
        for lead in scripts:
            group.create_task(play(lead))


async def _drain(cluster: Cluster, timeout_s: float) -> bool:
    """Wait until no outbox row is pending (the database may be restarting)."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        with contextlib.suppress(OSError, Exception):
            rows = await cluster.database.fetch(
                "SELECT count(*) AS n FROM outbox WHERE status = 'pending'"
            )
            if rows[0]["n"] == 0:
                return True
        await asyncio.sleep(0.2)
    return False


def _summary(
    config: LoadTest,
    tally: Tally,
    load_s: float,
    cluster: Cluster,
    observed: Observed,
    checks: Sequence[Check],
    faults: FaultLog,
    rss: dict[str, float],
    chaos: Chaos | None,
    results: Sequence[LeadResult],
) -> dict[str, Any]:
    first_copy: dict[str, float] = {}
    for message in cluster.graph.sent:
        first_copy.setdefault(
            str(message.body.get("biz_opaque_callback_data")), message.accepted_at
        )
    commit_to_delivery = [
        first_copy[row["key"]] - row["created_at"]
        for row in observed.outbox
        if row["channel"] == "whatsapp" and row["key"] in first_copy
    ]
    accepted_times = sorted(first_copy.values())
    delivery_span = accepted_times[-1] - accepted_times[0] if len(accepted_times) > 1 else 0.0
    passed = all(c.passed for c in checks) and not (chaos and chaos.errors)
    return {
        "mode": "chaos" if config.chaos else "load",
        "passed": passed,
        "config": {
            "replicas": config.replicas,
            "leads": config.leads,
            "steps": config.steps,
            "concurrency": config.concurrency,
            "duplicate_rate": config.duplicate_rate,
            "reorder_rate": config.reorder_rate,
            "batch_rate": config.batch_rate,
            "pay_share": config.pay_share,
            "schedule_share": config.schedule_share,
            "opt_out_share": config.opt_out_share,
            "status_share": config.status_share,
            "reaction_rate": config.reaction_rate,
            "studios": config.studios,
            "backlog": config.backlog,
            "relay_poll_s": config.relay_poll_s,
        },
        "load_s": round(load_s, 2),  # sending the leads' messages; wall_s: the whole run
        "acknowledged": tally.acknowledged,
        "acknowledged_per_s": round(tally.acknowledged / load_s, 1) if load_s else 0.0,
        "latency_ms": ms(tally.latencies_s),
        "attempts_by_status": dict(sorted(tally.attempts.items())),
        "retries": tally.retries,
        "given_up": tally.given_up,
        "reply_waits_timed_out": sum(r.reply_timeouts for r in results),
        "duplicates_sent": tally.duplicates_sent,
        "late_sent": tally.late_sent,
        "batches": tally.batches,
        "status_webhooks": tally.statuses,
        "reactions": tally.reactions,
        "outbound": {
            "delivered": len(first_copy),
            "accepted_copies": len(cluster.graph.sent),
            "deliveries_per_s": round(len(first_copy) / delivery_span, 1) if delivery_span else 0.0,
            "commit_to_delivery_ms": ms(commit_to_delivery),
        },
        "peak_rss_mb": rss,
        "faults": [f.as_json() for f in faults.faults if f.kind != "graph"]
        + [f.as_json() for f in faults.faults if f.kind == "graph"],
        "chaos_errors": chaos.errors if chaos else [],
        "checks": {c.name: c.as_json() for c in checks},
    }


def dumps(summary: dict[str, Any]) -> str:
    return json.dumps(summary, indent=2, default=str)
