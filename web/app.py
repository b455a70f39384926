"""
The composition root: `create_app(settings)` wires blueprints, error handlers and one
`while_serving` lifespan that opens everything in order and closes it in reverse:
copy (refuse to start on a broken file), database (embedded when DATABASE_URL is
unset), migrations, HTTP clients, relay, actor runtime.
"""

from __future__ import annotations

import asyncio
import tempfile
from collections.abc import AsyncGenerator, Callable, Iterator
from contextlib import AsyncExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC
from pathlib import Path
from typing import Literal

import httpx
import stripe
import structlog
from pydantic import SecretStr
from quart import Quart

from actors import ActorRuntime, Actors, Backoff, Composer, OutboxRelay, Queries, WhatsAppSender
from actors.artist import ArtistBehaviour, SignInLinks
from actors.commands import (
    Identities,
    LeadActions,
    RefusedItemsRecord,
    StripeIntake,
    TimeOffDesk,
    WhatsAppIntake,
)
from actors.copy import script_from
from actors.lead import LeadBehaviour, Policy
from actors.lead.invite_links import InviteLinks
from actors.page import AdminAccess, SignIn, signing_key
from actors.providers.calendars.busy_sync import BusyCalendarSync, forget_busy_calendar
from actors.providers.sheets import SheetsSync
from actors.providers.stripe.checkout import CheckoutLinks
from actors.providers.stripe.client import stripe_client
from actors.providers.stripe.payments import PaymentRouting
from actors.providers.stripe.refunds import Refunds
from actors.providers.whatsapp.graph import GraphCalls, GraphClient
from actors.providers.whatsapp.media import MediaFetcher
from actors.providers.whatsapp.pacing import Pacing
from actors.providers.whatsapp.statuses import DeliveryReports
from actors.providers.whatsapp.templates import Templates
from actors.providers.whatsapp.uploads import StudioUploads
from actors.queries import (
    AdminReads,
    Agenda,
    Backlog,
    CalendarFeed,
    CalendarInvites,
    ConsentReads,
    Readiness,
    StudioPage,
)
from actors.runtime.clock import Clock, SystemClock
from actors.runtime.consent_retention import ConsentRetention
from actors.runtime.faults import CrashPoints
from actors.runtime.observe import Observer
from actors.runtime.rejections import Rejections
from actors.runtime.supervisor import Supervisor
from actors.runtime.timers import TimerScheduler
from actors.runtime.waitlist_offers import WaitlistOffers
from actors.schedule import StudioFile
from actors.tenants import DEFAULT_STUDIO_ID, StudioBook, StudioRow
from storage import ClaimerSession, Database, WakeUpListener, embedded_postgres
from web import (
    admin,
    calendar_invite,
    event_words,
    health,
    manifest,  # noqa: F401  (its routes join the studio blueprint on import)
    page_language,
    root,
    stripe_webhook,
    studio,
    studio_calendar,
    studio_calendar_page,  # noqa: F401  (its routes join the studio blueprint on import)
    webhooks,
)
from web.cells import Cell, Cells
from web.clean_fields import install_field_check
from web.edge_paths import CanonicalPaths, install_relative_redirects
from web.errors import register_error_handlers
from web.heap import settle_heap_once_started
from web.logs import configure_logging
from web.metrics import Metrics
from web.request_ids import install_request_ids
from web.security_headers import SecurityHeaders
from web.services import Services
from web.settings import Settings
from web.startup import (
    StartupError,
    check_copy,
    check_database_now,
    log_configuration,
    read_settings,
    refuse,
    service_copy,
)
from web.studio_prefix import FullPath, StudioPrefix
from web.studio_upload import FileRequest
from web.whatsapp_endpoint import WhatsAppEndpoint

__all__ = ["DATABASE_KEY", "ROLES", "Role", "create_app", "create_app_from_env"]

# What a process does: `web` answers webhooks, the admin API and pages; `worker` runs
# the relays, the timer scheduler and the wake-up listener; `all` does both.
Role = Literal["web", "worker", "all"]
ROLES: tuple[Role, ...] = ("web", "worker", "all")

DATABASE_KEY = "booking.database"

log = structlog.get_logger("web.app")


def create_app(
    settings: Settings,
    *,
    role: Role = "all",
    clock: Clock | None = None,
) -> Quart:
    """Build the app. Tests pass a clock, and point the providers' URLs at local fakes.

    `role` says what this process does (`ROLES`); every role answers /healthz, /readyz
    and /metrics, so each one can be watched and restarted alone.
    """
    clock = clock or SystemClock()
    serves_web, runs_loops = role in ("web", "all"), role in ("worker", "all")
    app = Quart("booking_assistant")
    app.request_class = FileRequest  # the studio's send-file route takes a larger body
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.config["BODY_TIMEOUT"] = 30
    app.config["BACKGROUND_TASK_SHUTDOWN_TIMEOUT"] = 5
    # The page's words go through gettext ({{ _("...") }}, {% trans %}) in LOCALE's
    # Babel catalog (web/page_language.py); the header names STUDIO_NAME.
    app.jinja_env.add_extension("jinja2.ext.i18n")
    page_language.install(app, settings.locale, settings.studio_name)
    event_words.install(app)
    if serves_web:
        app.register_blueprint(webhooks.blueprint)
        app.register_blueprint(stripe_webhook.blueprint)
        app.register_blueprint(admin.blueprint)
        app.register_blueprint(studio_calendar.blueprint)
        app.register_blueprint(calendar_invite.blueprint)
        app.register_blueprint(studio.blueprint)
        app.register_blueprint(root.blueprint)
    app.register_blueprint(health.blueprint)
    register_error_handlers(app)
    install_relative_redirects(app)
    install_field_check(app)
    install_request_ids(app)
    metrics = Metrics()  # this app's own registry: apps in one process share no counter
    metrics.install(app)
    app.asgi_app = FullPath(app.asgi_app)  # type: ignore[method-assign]
    if serves_web:
        app.asgi_app = WhatsAppEndpoint(app, app.asgi_app)  # type: ignore[method-assign]
    # Outermost: one canonical path for every layer, a stored studio's prefix taken off
    # it (web.studio_prefix), then the headers on every answer.
    app.asgi_app = CanonicalPaths(  # type: ignore[method-assign]
        StudioPrefix(
            SecurityHeaders(
                app.asgi_app,
                trust_proxy_headers=settings.trust_proxy_headers,
                public_base_url=settings.public_base_url,
            )
        )
    )

    crash_points = CrashPoints(settings.fault_crash_at)  # FAULT_CRASH_AT: tests only

    @app.while_serving
    async def lifespan() -> AsyncGenerator[None, None]:
        async with AsyncExitStack() as stack:
            if crash_points.armed is not None:
                log.warning("fault.crash_point_armed", point=crash_points.armed.value)
            db, dsn = await _open_database(settings, stack)
            app.extensions[DATABASE_KEY] = db  # for operators' tools and tests, not routes
            book = StudioBook(db)
            await book.describe_default(settings.whatsapp_phone_number_id)
            loops = Supervisor(
                observer=metrics.observer,
                restart_base_s=settings.loop_restart_base_s,
                restart_cap_s=settings.loop_restart_cap_s,
            )
            shared = Shared(
                settings=settings,
                db=db,
                clock=clock,
                observer=metrics.observer,
                crash_points=crash_points,
                runs_loops=runs_loops,
                admin_token=_secret(settings.admin_token),
                deployment_down=loops.down,
            )

            async def open_cell(studio: StudioRow, studio_settings: Settings) -> Cell:
                return await _open_cell(shared, studio, studio_settings)

            cells = Cells(settings, book, stack.enter_context(_studio_files()), open_cell)
            if runs_loops:
                shared.graph = await _graph(settings, stack)
                # Our claims stand while this session does: a dead replica's are taken
                # over within seconds (straight to Postgres, as the listener goes).
                claimer = ClaimerSession(settings.database_listen_url or dsn)
                shared.claimer = claimer
                listener = WakeUpListener(
                    settings.database_listen_url or dsn, cells.wake_all, by_studio=cells.wake
                )
                loops.add("wake-ups", listener.run, listener.stop)
                loops.add("claims-session", claimer.run, claimer.stop)
            await cells.start()
            loops.add("studios", cells.follow, cells.stop_following)
            default = cells.default()
            stack.enter_context(
                metrics.watching(default.services.runtime, default.services.queries.backlog)
            )
            cells.directory.install(app.extensions)
            loops_task = asyncio.create_task(loops.run(), name="supervisor")
            log.info("service.started", role=role, studios=len(cells.directory.all()))
            try:
                yield
            finally:
                log.info("service.draining")
                # A due timer not fired yet fires after the restart; deliveries under way
                # finish, and the rest wait in the outbox.
                loops.stop()
                await loops_task
                await cells.aclose()
                log.info("service.stopped")

    return app


async def _graph(settings: Settings, stack: AsyncExitStack) -> GraphClient:
    """
    The one client for Graph, at WHATSAPP_API_BASE (a local fake's, in tests): messages,
    read receipts, media lookups and downloads. Each delivery under way holds at most one
    of its connections at a time.
    """
    return await stack.enter_async_context(GraphClient.opened(settings.relay_concurrency))


# A held slot outlives its Checkout link by this much, so a payment made in the link's
# last minute still finds its time held when Stripe's event arrives.
_HOLD_GRACE_S = 15 * 60


@dataclass
class Shared:
    """What every studio's cell in one process shares."""

    settings: Settings  # the deployment's (the default studio's, too)
    db: Database  # the default studio's handle on the one pool
    clock: Clock
    observer: Observer
    crash_points: CrashPoints
    runs_loops: bool
    deployment_down: Callable[[], list[str]] = list  # the shared loops that are down
    graph: GraphCalls | None = None
    claimer: ClaimerSession | None = None
    admin_token: str | None = None  # the operator's: opens every studio's admin API


async def _open_cell(shared: Shared, studio: StudioRow, settings: Settings) -> Cell:
    """Build and start `studio`'s cell with its `settings`; its loops run at once."""
    stack = AsyncExitStack()
    try:
        cell = await _compose(shared, studio, settings, stack)
    except BaseException:
        await stack.aclose()
        raise
    return cell


async def _compose(
    shared: Shared, studio_row: StudioRow, settings: Settings, stack: AsyncExitStack
) -> Cell:
    clock, observer, crash_points = shared.clock, shared.observer, shared.crash_points
    # A disabled studio's cell only lets the operator read it: no loops, no own token.
    runs_loops = shared.runs_loops and studio_row.enabled
    db = shared.db.for_studio(studio_row.id)
    copy = service_copy(settings)
    studio = settings.studio()
    relays: list[OutboxRelay] = []

    def wake_relays() -> None:
        for each in relays:
            each.wake()

    studio_key = await signing_key(db, _studio_secret(settings.session_secret, studio_row))
    invites = _invite_links(settings, studio_key, studio)
    links = _sign_in_links(settings, studio_key)
    composer = Composer(
        copy,
        timezone=studio.timezone if studio else UTC,
        sign_in_url=links.url if links else None,
        rules=studio.rules if studio else None,
        deposit=settings.deposit,
    )
    script = script_from(copy)
    artist = ArtistBehaviour(settings.artist_whatsapp_number, words=script.words, links=links)
    runtime = ActorRuntime(
        db,
        LeadBehaviour(script, _policy(settings, invites)),
        mailbox_size=settings.mailbox_size,
        idle_after_s=settings.actor_idle_s,
        # This process's relays at once; in the web role, the worker processes by
        # the turn's NOTIFY (a process with its own relays sends none).
        on_effects=wake_relays,
        relays_in_process=runs_loops,
        mirror_to_sheets=settings.sheets_enabled(),
        observer=observer,
        crash_points=crash_points,
        artist=artist,
    )
    loops = Supervisor(
        observer=observer,
        restart_base_s=settings.loop_restart_base_s,
        restart_cap_s=settings.loop_restart_cap_s,
    )
    relay, timers, busy = None, None, None
    statuses = DeliveryReports(db, runtime, clock.now, observer=observer)
    if runs_loops:
        assert shared.graph is not None
        relay = _relay(settings, db, composer, shared.graph, clock, shared)
        mirror = _sheets_relay(settings, db, composer, stack, shared)
        relays.extend([relay] if mirror is None else [relay, mirror])
        payments = _stripe(settings, studio_row, stack)
        relay.add_channel(
            "deposit", _checkout(settings, db, runtime, composer, payments, studio_row)
        )
        relay.add_channel("stripe_refund", Refunds(payments))
        relay.add_channel("media", _media(settings, db, shared.graph))
        if studio is not None:  # a freed time, to the waitlisted leads
            relay.add_channel("waitlist", WaitlistOffers(db, runtime, studio.timezone, clock.now))
        relay.on_early_failure(statuses.early_failure)
        timers = TimerScheduler(
            db, runtime, clock, poll_interval_s=settings.timer_poll_s, observer=observer
        )
        loops.add("timer-scheduler", timers.run, timers.stop)
        if studio is not None and studio.consent is not None:
            retention = ConsentRetention(
                db,
                clock,
                studio.timezone,
                interval_s=settings.timer_poll_s * 60,
                runtime=runtime,
            )
            loops.add("consent-retention", retention.run, retention.stop)
        busy = await _busy_calendar(settings, db, clock, stack, studio)
        if busy is not None:
            loops.add("busy-calendar", busy.run, busy.stop)
        for name, each in zip(("outbox-relay", "sheets-relay"), relays, strict=False):
            loops.add(name, each.run, each.stop)

    def down() -> list[str]:
        return [*shared.deployment_down(), *loops.down()]

    queries = _queries(settings, db, composer, clock, studio, invites, down)
    sign_in = _sign_in(settings, db, runtime, clock)
    ended = await sign_in.follow_password()
    if ended:
        log.warning(
            "studio.sessions_ended",
            why="studio_password_changed",
            count=ended,
            studio=studio_row.slug,
        )
    own_token = studio_row.settings.get("admin_token")
    if studio_row.id == DEFAULT_STUDIO_ID or not studio_row.enabled:
        own_token = None  # ADMIN_TOKEN alone
    services = Services(
        settings=settings,
        actors=Actors(
            whatsapp=WhatsAppIntake(
                runtime,
                statuses,
                artist,
                settings.turn_wait_s,
                Identities(
                    db,
                    clock.now,
                    artist_number=settings.artist_whatsapp_number,
                    artist_user_id=settings.artist_whatsapp_user_id,
                ),
            ),
            stripe=StripeIntake(runtime, PaymentRouting(db), clock.now, settings.turn_wait_s),
            leads=LeadActions(
                db, runtime, clock.now, settings.turn_wait_s, wake_relays, composer.plain
            ),
            sign_in=sign_in,
            admin_access=AdminAccess(
                db,
                shared.admin_token,
                also=own_token
                if studio_row.id != DEFAULT_STUDIO_ID and studio_row.enabled
                else None,
            ),
            calendar_feed=queries.calendar_feed,
            rejections=Rejections(db),
            refused_items=RefusedItemsRecord(db),
            clock=clock,
            time_off=TimeOffDesk(runtime, clock.now, settings.turn_wait_s),
        ),
        queries=queries,
        runtime=runtime,
        sign_in=sign_in,
        studio_key=studio_key,
        relay=relay,
        timers=timers,
        busy_calendar=busy,
        studio=studio_row,
    )
    return Cell(studio_row, services, relays, loops.run, loops.stop, stack)


def _studio_secret(configured: SecretStr | None, studio: StudioRow) -> str | None:
    """SESSION_SECRET signs the default studio's cookies as it always has; another
    studio's are signed with a key of its own (kept in its rows), so that a cookie of one
    studio is nobody's at another's prefix."""
    if configured is None or studio.id != DEFAULT_STUDIO_ID:
        return None
    return configured.get_secret_value()


async def _busy_calendar(
    settings: Settings, db: Database, clock: Clock, stack: AsyncExitStack, studio: StudioFile | None
) -> BusyCalendarSync | None:
    """The artist's calendar's refresh loop; without BUSY_CALENDAR_URL, none, and a copy
    kept from an earlier configuration is dropped so that it blocks nothing."""
    url = settings.busy_calendar_url
    if url is None:
        await forget_busy_calendar(db)
        return None
    client = await stack.enter_async_context(
        httpx.AsyncClient(headers={"User-Agent": "booking-assistant (busy calendar)"})
    )
    return BusyCalendarSync(
        db,
        url.get_secret_value(),
        client,
        clock,
        refresh_s=settings.busy_calendar_refresh_s,
        horizon_days=settings.busy_calendar_horizon_days,
        timeout_s=settings.busy_calendar_timeout_s,
        # All-day events block the studio's days; without a studio, the calendar's own.
        timezone=studio.timezone.key if studio else None,
    )


def _calendar_feed(
    settings: Settings, db: Database, composer: Composer, clock: Clock, studio: StudioFile | None
) -> CalendarFeed:
    key = settings.studio_calendar_key
    return CalendarFeed(
        db,
        composer,
        configured_key=key.get_secret_value() if key is not None else None,
        # Events carry their timezone, so phones show them right, on the studio's clock.
        timezone=studio.timezone.key if studio else "UTC",
        now=clock.now,
        location=studio.address if studio else None,
        base_url=settings.public_base_url,
        busy_calendar=settings.busy_calendar_url is not None,
        deposit=settings.deposit,
        locale=settings.locale,
    )


def _queries(
    settings: Settings,
    db: Database,
    composer: Composer,
    clock: Clock,
    studio: StudioFile | None,
    invites: InviteLinks | None,
    down: object,
) -> Queries:
    """Every read the web shows."""
    admin_reads = AdminReads(db, settings.deposit)
    return Queries(
        page=StudioPage(
            db,
            admin_reads,
            composer,
            clock.now,
            settings.artist_whatsapp_number,
            frozenset(settings.whatsapp_templates),
            timezone=studio.timezone if studio else UTC,
            locale=settings.locale,
            deposit=settings.deposit,
            prices=studio.message_prices if studio else None,
        ),
        admin=admin_reads,
        calendar_feed=_calendar_feed(settings, db, composer, clock, studio),
        backlog=Backlog(db),
        # Every role reports the calendar's state, kept in the database by the worker.
        readiness=Readiness(db, down, busy_calendar=settings.busy_calendar_url is not None),  # type: ignore[arg-type]
        calendar_invites=_calendar_invites(db, composer, clock, studio, invites),
        consent=ConsentReads(db, on=studio is not None and studio.consent is not None),
        agenda=None if studio is None else Agenda(db, clock.now, studio, settings.locale),
    )


def _invite_links(
    settings: Settings, signing_key: str, studio: StudioFile | None
) -> InviteLinks | None:
    """The lead's "add to calendar" links: with appointments and a public address."""
    base = settings.public_base_url
    return None if studio is None or base is None else InviteLinks.derived(base, signing_key)


def _calendar_invites(
    db: Database,
    composer: Composer,
    clock: Clock,
    studio: StudioFile | None,
    invites: InviteLinks | None,
) -> CalendarInvites | None:
    if studio is None or invites is None:
        return None
    return CalendarInvites(
        db, composer, invites, studio.timezone.key, clock.now, address=studio.address
    )


def _policy(settings: Settings, invites: InviteLinks | None) -> Policy:
    return Policy(
        artist_number=settings.artist_whatsapp_number,
        pilot_allowlist=settings.pilot_numbers(),
        deposit_amount=settings.deposit.minor,
        deposit_currency=settings.deposit_currency,
        locale=settings.locale,
        livemode=settings.stripe_livemode(),
        stale_after_s=settings.stale_after_s,
        abandon_after_s=settings.abandon_after_s,
        deposit_reminder_before_s=settings.deposit_reminder_before_s,
        templated=frozenset(settings.whatsapp_templates),
        read_receipts=settings.whatsapp_read_receipts,
        studio=settings.studio(),
        hold_s=settings.deposit_link_ttl_s + _HOLD_GRACE_S,
        hold_grace_s=_HOLD_GRACE_S,
        invites=invites,
    )


def _media(settings: Settings, db: Database, graph: GraphCalls) -> MediaFetcher:
    token = settings.whatsapp_access_token
    return MediaFetcher(
        graph,
        db,
        api_base=settings.whatsapp_api_base,
        api_version=settings.whatsapp_api_version,
        access_token=token.get_secret_value() if token else None,
        max_bytes=settings.media_max_bytes,
        timeout_s=settings.whatsapp_timeout_s,
    )


def _relay(
    settings: Settings,
    db: Database,
    composer: Composer,
    graph: GraphCalls,
    clock: Clock,
    shared: Shared,
) -> OutboxRelay:
    """
    The relay with its WhatsApp channel. Refuses to start (`CopyError`) when a configured
    template lacks its copy parameters.
    """
    token = settings.whatsapp_access_token
    relay = OutboxRelay(
        db,
        concurrency=settings.relay_concurrency,
        lease_s=settings.relay_lease_s,
        max_attempts=settings.relay_max_attempts,
        backoff=_backoff(settings),
        poll_interval_s=settings.relay_poll_s,
        observer=shared.observer,
        crash_points=shared.crash_points,
        excluding=["sheets"] if settings.sheets_enabled() else [],
        claimer=shared.claimer,
    )
    relay.add_channel(
        "whatsapp",
        WhatsAppSender(
            graph,
            composer,
            api_base=settings.whatsapp_api_base,
            api_version=settings.whatsapp_api_version,
            phone_number_id=settings.whatsapp_phone_number_id,
            access_token=token.get_secret_value() if token else None,
            timeout_s=settings.whatsapp_timeout_s,
            templates=Templates.from_config(
                composer, settings.whatsapp_templates, default_language=settings.locale
            ),
            # A paced wait plus two calls (free-form, then its template) fit in a lease.
            # Each studio's number is paced on its own: WHATSAPP_RATE_PER_S each.
            pacing=Pacing(
                settings.whatsapp_rate_per_s,
                settings.whatsapp_recipient_interval_s,
                max_wait_s=max(0.0, settings.relay_lease_s - 3 * settings.whatsapp_timeout_s),
            ),
            artist_number=settings.artist_whatsapp_number,
            clock=clock,  # the 24-hour window is judged on the service's clock
            pair_rate_hold_s=settings.relay_backoff_base_s,  # 131056: that recipient waits
            uploads=StudioUploads(
                db,
                graph,
                api_base=settings.whatsapp_api_base,
                api_version=settings.whatsapp_api_version,
                phone_number_id=settings.whatsapp_phone_number_id,
                access_token=token.get_secret_value() if token else None,
            ),
        ),
    )
    return relay


def _stripe(
    settings: Settings, studio: StudioRow, stack: AsyncExitStack
) -> stripe.StripeClient | None:
    """One Stripe client for both Stripe channels (Checkout links, refunds); None: no key.
    A Connect account's calls go with the platform's key and its `Stripe-Account`."""
    if settings.stripe_api_key is None:
        return None
    http = stripe.HTTPXClient(timeout=20.0)
    stack.push_async_callback(http.close_async)
    return stripe_client(
        settings.stripe_api_key.get_secret_value(),
        settings.stripe_api_base,
        http,
        account=studio.settings.get("stripe_account"),
    )


def _checkout(
    settings: Settings,
    db: Database,
    runtime: ActorRuntime,
    composer: Composer,
    client: stripe.StripeClient | None,
    studio: StudioRow,
) -> CheckoutLinks:
    return CheckoutLinks(
        client,
        db,
        runtime,
        deposit=settings.deposit,
        ttl_s=settings.deposit_link_ttl_s,
        success_url=settings.checkout_success_url,
        cancel_url=settings.checkout_cancel_url,
        product_name=composer.plain("deposit_product"),
        fee_name=composer.plain("drawing_fee_product"),
        studio=studio.slug,
    )


def _sheets_relay(
    settings: Settings,
    db: Database,
    composer: Composer,
    stack: AsyncExitStack,
    shared: Shared,
) -> OutboxRelay | None:
    """The Sheets mirror's relay (None when mirroring is off); the main one skips its rows."""
    if not settings.sheets_enabled():
        return None
    return OutboxRelay(
        db,
        {"sheets": _sheets(settings, db, composer, stack)},
        channels=["sheets"],
        concurrency=settings.sheets_concurrency,
        lease_s=settings.relay_lease_s,
        max_attempts=settings.relay_max_attempts,
        backoff=_backoff(settings),
        poll_interval_s=settings.relay_poll_s,
        observer=shared.observer,
        crash_points=shared.crash_points,
        claimer=shared.claimer,
    )


def _sign_in_links(settings: Settings, studio_key: str) -> SignInLinks | None:
    """The studio page's sign-in links, made with the studio key (None: no public origin;
    a stored studio's origin ends with its prefix)."""
    base = settings.public_base_url
    return SignInLinks(str(base), studio_key) if base else None


def _sign_in(settings: Settings, db: Database, runtime: ActorRuntime, clock: Clock) -> SignIn:
    return SignIn(
        db,
        runtime,
        clock,
        settings.turn_wait_s,
        artist_number=settings.artist_whatsapp_number,
        public_base_url=settings.public_base_url,
        password=_secret(settings.studio_password),
    )


def _secret(value: SecretStr | None) -> str | None:
    return value.get_secret_value() if value is not None else None


def _backoff(settings: Settings) -> Backoff:
    return Backoff(
        settings.relay_backoff_base_s,
        settings.relay_backoff_cap_s,
        settings.relay_backoff_jitter_s,
    )


def _sheets(
    settings: Settings, db: Database, composer: Composer, stack: AsyncExitStack
) -> SheetsSync:
    assert settings.sheets_spreadsheet_id
    assert settings.google_service_account_file
    sheets = SheetsSync(
        db,
        composer,
        spreadsheet_id=settings.sheets_spreadsheet_id,
        service_account_file=settings.google_service_account_file,
        api_base=settings.sheets_api_base,
        timeout_s=10.0,  # up to six calls a delivery must fit well inside the relay's lease
        deposit=settings.deposit,
        locale=settings.locale,
    )
    stack.callback(sheets.close)
    return sheets


async def _open_database(settings: Settings, stack: AsyncExitStack) -> tuple[Database, str]:
    dsn = settings.database_url
    if dsn is None:
        dsn = await stack.enter_async_context(embedded_postgres(settings.data_dir))
        log.info("database.embedded", data_dir=str(settings.data_dir))
    db = await stack.enter_async_context(
        Database.open(
            dsn,
            min_size=settings.db_pool_min,
            max_size=settings.db_pool_max,
            statement_cache_size=settings.db_statement_cache_size,
        )
    )
    applied = await db.migrate()
    log.info("database.migrated", applied=applied)
    return db, dsn


@contextmanager
def _studio_files() -> Iterator[Path]:
    """Where this process writes stored studios' copy files and STUDIO_FILEs to read."""
    with tempfile.TemporaryDirectory(prefix="booking-studios-") as folder:
        yield Path(folder)


def create_app_from_env() -> Quart:
    """
    For the Procfile's `hypercorn 'web.app:create_app_from_env()'`: the checks of `serve`
    (settings, WHATSAPP_APP_SECRET and WHATSAPP_VERIFY_TOKEN included, the copy, the
    database), each refusal one line on stderr and exit status 2.
    """
    try:
        settings = read_settings(serving=True)
        configure_logging(
            settings.log_format, settings.log_level, libraries=settings.log_level_libraries
        )
        check_copy(settings)
        check_database_now(settings.database_url)
    except StartupError as error:
        raise SystemExit(refuse(error)) from None
    log_configuration(settings)
    app = create_app(settings)
    settle_heap_once_started(app)
    return app
