"""Liveness (`/healthz`: the process answers) and readiness (`/readyz`: database + schema)."""

from __future__ import annotations

import asyncpg
from quart import Blueprint, ResponseReturnValue

from storage import CONNECTION_ERRORS, pending_count
from web.services import services

__all__ = ["blueprint"]

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
async def healthz() -> ResponseReturnValue:
    return {"status": "ok"}, 200


@blueprint.get("/readyz")
async def readyz() -> ResponseReturnValue:
    try:
        async with services().pool.acquire(timeout=2.0) as con:
            pending = await pending_count(con)
    except (*CONNECTION_ERRORS, asyncpg.PostgresError) as error:
        return {"status": "unavailable", "database": type(error).__name__}, 503
    if pending:
        return {"status": "unavailable", "pending_migrations": pending}, 503
    return {"status": "ready"}, 200
