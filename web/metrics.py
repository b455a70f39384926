"""
`GET /metrics` in Prometheus' text format, from one registry per app.

    events      counted as they happen: the actors report through `PrometheusObserver`
                (their `actors.runtime.observe.Observer` port), and webhook answers are counted
                from the status and the JSON the routes already return (an
                `after_request` hook, and `web.whatsapp_endpoint` for the route it
                serves), so the routes know nothing of metrics
    live state  read at scrape time by `LiveState`: mailboxes, live actors, the pool
    database    read by the route at scrape time through `actors.queries.backlog`, one short
                query each under a timeout; when the database does not answer, the
                scrape still succeeds with the rest and `booking_metrics_database_up` is 0

Nothing here touches prometheus_client's global registry: the composition root builds
a `Metrics` per app, so tests and several apps in one process never share a counter.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime

import structlog
from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4, generate_latest
from quart import Blueprint, Quart, Response, ResponseReturnValue, current_app, request

from actors import ActorRuntime, TurnOutcome
from actors.queries import Backlog
from actors.runtime import DeliveryOutcome
from web.admin import admin_only
from web.services import services

__all__ = ["LiveState", "Metrics", "PrometheusObserver", "blueprint"]

blueprint = Blueprint("metrics", __name__)
admin_only(blueprint)  # Prometheus scrapes with the admin token as its bearer credential
log = structlog.get_logger("web.metrics")

_KEY = "booking.metrics"
WEBHOOK_ROUTES = ("/webhooks/whatsapp", "/webhooks/stripe")
# What a 200 may report in `{"received": {outcome: n}}`; other keys are not counted.
_RECEIVED = frozenset(
    {*(outcome.value for outcome in TurnOutcome), "unrouted", "no_studio", "status", "refused"}
)
# The lists of a WhatsApp delivery whose items are refused one by one.
REFUSED_FIELDS = ("messages", "statuses", "user_preferences", "message_echoes", "state_sync")
WEBHOOK_OUTCOMES = (*sorted(_RECEIVED), "rejected", "4xx", "5xx")
# A turn is one short transaction; the tail is lock waits and a struggling database.
_TURN_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30)


class PrometheusObserver:
    """The actors' `Observer`, as counters and a histogram in one registry."""

    def __init__(self, registry: CollectorRegistry) -> None:
        self._turns = Histogram(
            "booking_turn_duration_seconds",
            "Turns from mailbox to answer, by event type and outcome.",
            ("event_type", "outcome"),
            buckets=_TURN_BUCKETS,
            registry=registry,
        )
        self._turns_failed = Counter(
            "booking_turns_failed",
            "Turns that did not commit (or broke after commit), by error class.",
            ("reason",),
            registry=registry,
        )
        self._passivated = Counter(
            "booking_actors_passivated",
            "Idle actors that ended and dropped their cached state.",
            registry=registry,
        )
        self._deliveries = Counter(
            "booking_deliveries",
            "Outbox rows settled by the relay, by channel, outcome and error code.",
            ("channel", "outcome", "error_code"),
            registry=registry,
        )
        self._loop_restarts = Counter(
            "booking_loop_restarts",
            "Background loops (relays, timer scheduler) restarted after a crash.",
            ("loop",),
            registry=registry,
        )
        self._timers_fired = Counter(
            "booking_timers_fired",
            "Due timers fed to their actor, by kind and turn outcome (or failed).",
            ("kind", "outcome"),
            registry=registry,
        )

        self._statuses = Counter(
            "booking_whatsapp_statuses",
            "Meta's delivery reports on our messages, by state and error code.",
            ("state", "error_code"),
            registry=registry,
        )

        self._priced = Counter(
            "booking_whatsapp_priced_messages",
            "Our messages Meta priced, by category, type and pricing model: each message "
            "once, when its first status carrying `pricing` was kept.",
            ("category", "type", "pricing_model"),
            registry=registry,
        )

    def turn_finished(self, event_type: str, outcome: str, seconds: float) -> None:
        self._turns.labels(event_type, outcome).observe(seconds)

    def turn_failed(self, reason: str) -> None:
        self._turns_failed.labels(reason).inc()

    def passivated(self) -> None:
        self._passivated.inc()

    def delivery_finished(
        self, channel: str, outcome: DeliveryOutcome, error_code: str | None
    ) -> None:
        self._deliveries.labels(channel, outcome, error_code or "").inc()

    def timer_fired(self, kind: str, outcome: str) -> None:
        self._timers_fired.labels(kind, outcome).inc()

    def loop_restarted(self, loop: str) -> None:
        self._loop_restarts.labels(loop).inc()

    def status_reported(self, state: str, error_code: str | None) -> None:
        self._statuses.labels(state, error_code or "").inc()

    def message_priced(self, category: str, kind: str | None, model: str | None) -> None:
        self._priced.labels(_label(category), _label(kind), _label(model)).inc()


class LiveState:
    """A collector that reads the runtime and the pool when scraped: state, not events."""

    def __init__(self, runtime: ActorRuntime, backlog: Backlog) -> None:
        self._runtime = runtime
        self._backlog = backlog

    def collect(self) -> Iterator[Metric]:
        depths = [actor.mailbox_depth for actor in self._runtime.live_actors()]
        yield _gauge(
            "booking_mailbox_depth", "Messages queued, summed over live actors.", sum(depths)
        )
        yield _gauge(
            "booking_mailbox_depth_max",
            "Messages queued in the fullest mailbox.",
            max(depths, default=0),
        )
        yield _gauge("booking_actors_live", "Actors with a running task.", len(depths))
        pool = self._backlog.pool_use()
        yield _gauge("booking_db_pool_size", "Open connections in the pool.", pool.open)
        yield _gauge("booking_db_pool_idle", "Open connections not lent out.", pool.idle)
        yield _gauge("booking_db_pool_in_use", "Connections lent out.", pool.open - pool.idle)
        yield _gauge("booking_db_pool_max_size", "The pool's limit.", pool.max)


@dataclass(frozen=True)
class _Scrape:
    """The app's registry plus what this one scrape read from the database."""

    registry: CollectorRegistry
    database: list[Metric]

    def collect(self) -> Iterator[Metric]:
        yield from self.registry.collect()
        yield from self.database


class Metrics:
    """One app's registry, the observer its actors report to, and its webhook counts."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.observer = PrometheusObserver(self.registry)
        self._webhooks = Counter(
            "booking_webhooks",
            "Webhook deliveries answered, by route and outcome (per message for a 200).",
            ("route", "outcome"),
            registry=self.registry,
        )
        for route in WEBHOOK_ROUTES:
            for outcome in WEBHOOK_OUTCOMES:
                self._webhooks.labels(route, outcome)  # every series exists from zero
        self._refused = Counter(
            "booking_webhook_items_refused",
            "Webhook items that could not be taken (kept in GET /admin/refused), by route "
            "and the list they came in.",
            ("route", "field"),
            registry=self.registry,
        )
        for field in REFUSED_FIELDS:
            self._refused.labels(WEBHOOK_ROUTES[0], field)

    def install(self, app: Quart) -> None:
        """Serve `GET /metrics` on `app` and count its webhook answers."""
        app.extensions[_KEY] = self
        app.register_blueprint(blueprint)
        app.after_request(self._count_webhook)

    @contextmanager
    def watching(self, runtime: ActorRuntime, backlog: Backlog) -> Iterator[None]:
        """Report the state of `runtime` and the database pool while the block runs."""
        state = LiveState(runtime, backlog)
        self.registry.register(state)
        try:
            yield
        finally:
            self.registry.unregister(state)

    async def render(self, backlog: Backlog, now: datetime) -> bytes:
        """The text exposition: everything in process, plus the database as of `now`."""
        return generate_latest(_Scrape(self.registry, await _read_database(backlog, now)))

    def count_webhook(self, route: str, status: int, answer: object) -> None:
        """Count one webhook answer of `status` with its JSON body `answer`."""
        for outcome, count in _webhook_outcomes(status, answer).items():
            self._webhooks.labels(route, outcome).inc(count)

    def count_refused(self, route: str, by_field: Mapping[str, int]) -> None:
        """Count a delivery's refused items, by the list each came in."""
        for field, count in by_field.items():
            self._refused.labels(route, field).inc(count)

    async def _count_webhook(self, response: Response) -> Response:
        rule = request.url_rule
        if request.method == "POST" and rule is not None and rule.rule in WEBHOOK_ROUTES:
            answer = await response.get_json(silent=True) if response.status_code == 200 else None
            self.count_webhook(rule.rule, response.status_code, answer)
        return response

    @staticmethod
    def of(extensions: Mapping[str, object]) -> Metrics:
        """The metrics installed on an app (its `extensions`)."""
        metrics = extensions.get(_KEY)
        if not isinstance(metrics, Metrics):
            raise RuntimeError("metrics are not installed on this app")
        return metrics


async def _read_database(source: Backlog, now: datetime) -> list[Metric]:
    reading = await source.read(now)
    if reading is None:
        return [_database_up(False)]
    backlog = reading.outbox
    due = reading.timers_due
    pending = GaugeMetricFamily(
        "booking_outbox_pending",
        "Undelivered outbox rows by channel (a channel with none has no series).",
        labels=("channel",),
    )
    for channel in backlog:
        pending.add_metric((channel.channel,), channel.pending)
    oldest = max((channel.oldest_age_s for channel in backlog), default=0.0)
    return [
        pending,
        _gauge(
            "booking_outbox_oldest_pending_age_seconds",
            "Age of the oldest undelivered outbox row (0 when there is none).",
            oldest,
        ),
        _gauge("booking_timers_due", "Pending timers whose due time has passed.", due),
        _database_up(True),
    ]


def _webhook_outcomes(status: int, answer: object) -> dict[str, int]:
    if status == 401:
        return {"rejected": 1}
    if 400 <= status < 500:
        return {"4xx": 1}
    if status >= 500:
        return {"5xx": 1}
    received = answer.get("received") if isinstance(answer, dict) else None
    if not isinstance(received, dict):
        return {}
    return {
        outcome: count
        for outcome, count in received.items()
        if outcome in _RECEIVED and isinstance(count, int) and count > 0
    }


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def _database_up(up: bool) -> GaugeMetricFamily:
    return _gauge(
        "booking_metrics_database_up",
        "1 when this scrape read the database-derived metrics, 0 when it could not.",
        1.0 if up else 0.0,
    )


@blueprint.get("/metrics")
async def scrape() -> ResponseReturnValue:
    metrics = Metrics.of(current_app.extensions)
    running = services()
    body = await metrics.render(running.queries.backlog, running.actors.now())
    return body, 200, {"Content-Type": CONTENT_TYPE_PLAIN_0_0_4}


_LABEL = re.compile(r"[A-Za-z_]{1,40}")


def _label(value: str | None) -> str:
    """Meta's word as a label, or "other": a label is never free text of unbounded kinds."""
    if value is None:
        return ""
    return value if _LABEL.fullmatch(value) else "other"
