"""
The composition root: `create_app(settings)` wires blueprints, error handlers and one
`while_serving` lifespan that opens everything in order and closes it in reverse:
copy (refuse to start on a broken file), database (embedded when DATABASE_URL is
unset), migrations, HTTP clients, relay, actor runtime.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from contextlib import AsyncExitStack
from datetime import UTC
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
from actors.schedule import StudioFile  # the hours and policies (STUDIO_FILE)
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
    if serves_web:
        app.asgi_app = WhatsAppEndpoint(app, app.asgi_app)  # type: ignore[method-assign]
    # Outermost: one canonical path for every layer, then the headers on every answer.
    app.asgi_app = CanonicalPaths(  # type: ignore[method-assign]
        SecurityHeaders(
            app.asgi_app,
            trust_proxy_headers=settings.trust_proxy_headers,
            public_base_url=settings.public_base_url,
        )
    )

    crash_points = CrashPoints(settings.fault_crash_at)  # FAULT_CRASH_AT: tests only

    @app.while_serving
    async def lifespan() -> AsyncGenerator[None, None]:
        async with AsyncExitStack() as stack:
            if crash_points.armed is not None:
                log.warning("fault.crash_point_armed", point=crash_points.armed.value)
            copy = service_copy(settings)
            studio = settings.studio()
            db, dsn = await _open_database(settings, stack)
            app.extensions[DATABASE_KEY] = db  # for operators' tools and tests, not routes
            relays: list[OutboxRelay] = []

            def wake_relays() -> None:
                for each in relays:
                    each.wake()

            studio_key = await signing_key(db, _secret(settings.session_secret))
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
            artist = ArtistBehaviour(
                settings.artist_whatsapp_number, words=script.words, links=links
            )
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
                observer=metrics.observer,
                crash_points=crash_points,
                artist=artist,
            )
            loops = Supervisor(
                observer=metrics.observer,
                restart_base_s=settings.loop_restart_base_s,
                restart_cap_s=settings.loop_restart_cap_s,
            )
            relay, timers, busy = None, None, None
            statuses = DeliveryReports(db, runtime, clock.now, observer=metrics.observer)
            if runs_loops:
                graph = await _graph(settings, stack)
                # Our claims stand while this session does: a dead replica's are taken
                # over within seconds (straight to Postgres, as the listener goes).
                claimer = ClaimerSession(settings.database_listen_url or dsn)
                relay = _relay(
                    settings, db, composer, graph, clock, metrics.observer, crash_points, claimer
                )
                mirror = _sheets_relay(
                    settings, db, composer, stack, metrics.observer, crash_points, claimer
                )
                relays.extend([relay] if mirror is None else [relay, mirror])
                payments = _stripe(settings, stack)
                relay.add_channel("deposit", _checkout(settings, db, runtime, composer, payments))
                relay.add_channel("stripe_refund", Refunds(payments))
                relay.add_channel("media", _media(settings, db, graph))
                if studio is not None:  # a freed time, to the waitlisted leads
                    relay.add_channel(
                        "waitlist", WaitlistOffers(db, runtime, studio.timezone, clock.now)
                    )
                relay.on_early_failure(statuses.early_failure)
                timers = TimerScheduler(
                    db,
                    runtime,
                    clock,
                    poll_interval_s=settings.timer_poll_s,
                    observer=metrics.observer,
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
                listener = WakeUpListener(settings.database_listen_url or dsn, wake_relays)
                loops.add("wake-ups", listener.run, listener.stop)
                loops.add("claims-session", claimer.run, claimer.stop)
            queries = _queries(settings, db, composer, clock, studio, invites, loops)
            stack.enter_context(metrics.watching(runtime, queries.backlog))
            sign_in = _sign_in(settings, db, runtime, clock)
            ended = await sign_in.follow_password()
            if ended:
                log.warning("studio.sessions_ended", why="studio_password_changed", count=ended)
            loops_task = asyncio.create_task(loops.run(), name="supervisor")
            Services(
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
                    stripe=StripeIntake(
                        runtime, PaymentRouting(db), clock.now, settings.turn_wait_s
                    ),
                    leads=LeadActions(
                        db, runtime, clock.now, settings.turn_wait_s, wake_relays, composer.plain
                    ),
                    sign_in=sign_in,
                    admin_access=AdminAccess(db, _secret(settings.admin_token)),
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
            ).install(app.extensions)
            log.info("service.started", role=role)
            try:
                yield
            finally:
                log.info("service.draining")
                # A due timer not fired yet fires after the restart; deliveries under way
                # finish, and the rest wait in the outbox.
                loops.stop()
                await loops_task
                await runtime.aclose(settings.drain_timeout_s)
                log.info("service.stopped")

    return app


async def _graph(settings: Settings, stack: AsyncExitStack) -> GraphClient:
    """
    The one client for Graph, at WHATSAPP_API_BASE (a local fake's, in tests): messages,
    read receipts, media lookups and downloads. Each delivery under way holds at most one
    of its connections at a time.
    """
    return await stack.enter_async_context(GraphClient.opened(settings.relay_concurrency))


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


# A held slot outlives its Checkout link by this much, so a payment made in the link's
# last minute still finds its time held when Stripe's event arrives.
_HOLD_GRACE_S = 15 * 60


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
    loops: Supervisor,
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
        readiness=Readiness(db, loops.down, busy_calendar=settings.busy_calendar_url is not None),
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
    observer: Observer | None = None,
    crash_points: CrashPoints | None = None,
    claimer: ClaimerSession | None = None,
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
        observer=observer,
        crash_points=crash_points,
        excluding=["sheets"] if settings.sheets_enabled() else [],
        claimer=claimer,
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


def _stripe(settings: Settings, stack: AsyncExitStack) -> stripe.StripeClient | None:
    """One Stripe client for both Stripe channels (Checkout links, refunds); None: no key."""
    if settings.stripe_api_key is None:
        return None
    http = stripe.HTTPXClient(timeout=20.0)
    stack.push_async_callback(http.close_async)
    return stripe_client(settings.stripe_api_key.get_secret_value(), settings.stripe_api_base, http)


def _checkout(
    settings: Settings,
    db: Database,
    runtime: ActorRuntime,
    composer: Composer,
    client: stripe.StripeClient | None,
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
    )


def _sheets_relay(
    settings: Settings,
    db: Database,
    composer: Composer,
    stack: AsyncExitStack,
    observer: Observer | None,
    crash_points: CrashPoints,
    claimer: ClaimerSession | None = None,
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
        observer=observer,
        crash_points=crash_points,
        claimer=claimer,
    )


def _sign_in_links(settings: Settings, studio_key: str) -> SignInLinks | None:
    """The studio page's sign-in links, made with the studio key (None: no public origin)."""
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
