"""
The composition root: `create_app(settings)` wires blueprints, error handlers and one
`while_serving` lifespan that opens everything in order and closes it in reverse:
copy (refuse to start on a broken file), database (embedded when DATABASE_URL is
unset), migrations, HTTP client, relay, actor runtime.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncGenerator
from contextlib import AsyncExitStack

import httpx
import structlog
from quart import Quart

from actors import ActorRuntime, Backoff, Composer, OutboxRelay, WhatsAppSender
from actors.lead import LeadBehaviour, Policy
from storage import embedded_postgres, migrate, open_pool
from web import health, webhooks
from web.errors import register_error_handlers
from web.logs import configure_logging
from web.request_ids import install_request_ids
from web.services import Services
from web.settings import Settings

__all__ = ["create_app", "create_app_from_env"]

log = structlog.get_logger("web.app")


def create_app(settings: Settings, *, http_client: httpx.AsyncClient | None = None) -> Quart:
    """Build the app. `http_client` lets tests route provider calls to local fakes."""
    app = Quart("booking_assistant")
    app.config["MAX_CONTENT_LENGTH"] = settings.max_body_bytes
    app.config["BODY_TIMEOUT"] = 30
    app.config["BACKGROUND_TASK_SHUTDOWN_TIMEOUT"] = 5
    app.register_blueprint(webhooks.blueprint)
    app.register_blueprint(health.blueprint)
    register_error_handlers(app)
    install_request_ids(app)

    @app.while_serving
    async def lifespan() -> AsyncGenerator[None, None]:
        async with AsyncExitStack() as stack:
            composer = Composer.load(settings.copy_dir, settings.locale)
            dsn = settings.database_url
            if dsn is None:
                dsn = await stack.enter_async_context(embedded_postgres(settings.data_dir))
                log.info("database.embedded", data_dir=str(settings.data_dir))
            pool = await stack.enter_async_context(
                open_pool(dsn, min_size=settings.db_pool_min, max_size=settings.db_pool_max)
            )
            async with pool.acquire() as con:
                applied = await migrate(con)
            log.info("database.migrated", applied=applied)
            client = http_client
            if client is None:
                client = await stack.enter_async_context(
                    httpx.AsyncClient(
                        limits=httpx.Limits(max_connections=settings.relay_concurrency)
                    )
                )
            token = settings.whatsapp_access_token
            relay = OutboxRelay(
                pool,
                {
                    "whatsapp": WhatsAppSender(
                        client,
                        composer,
                        api_base=settings.whatsapp_api_base,
                        phone_number_id=settings.whatsapp_phone_number_id,
                        access_token=token.get_secret_value() if token else None,
                    )
                },
                concurrency=settings.relay_concurrency,
                max_attempts=settings.relay_max_attempts,
                backoff=Backoff(settings.relay_backoff_base_s, settings.relay_backoff_cap_s),
                poll_interval_s=settings.relay_poll_s,
            )
            runtime = ActorRuntime(
                pool,
                LeadBehaviour(
                    composer.script(),
                    Policy(
                        artist_number=settings.artist_whatsapp_number,
                        pilot_allowlist=settings.pilot_numbers(),
                    ),
                ),
                mailbox_size=settings.mailbox_size,
                idle_after_s=settings.actor_idle_s,
                on_effects=relay.wake,
            )
            relay_task = asyncio.create_task(relay.run(), name="outbox-relay")
            Services(settings, pool, runtime, relay).install(app.extensions)
            log.info("service.started")
            try:
                yield
            finally:
                log.info("service.draining")
                await runtime.aclose(settings.drain_timeout_s)
                relay.stop()
                await relay_task
                log.info("service.stopped")

    return app


def create_app_from_env() -> Quart:
    """For `hypercorn 'web.app:create_app_from_env()'`: settings read here, once."""
    settings = Settings()
    configure_logging(settings.log_format, settings.log_level)
    return create_app(settings)
