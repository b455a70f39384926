"""
Liveness (`/healthz`: the process answers) and readiness (`/readyz`: database, schema,
loops; with what an operator should know beside it, such as the busy calendar's state).
"""

from __future__ import annotations

from quart import Blueprint, ResponseReturnValue

from web.services import services

__all__ = ["blueprint"]

blueprint = Blueprint("health", __name__)


@blueprint.get("/healthz")
async def healthz() -> ResponseReturnValue:
    return {"status": "ok"}, 200


@blueprint.get("/readyz")
async def readyz() -> ResponseReturnValue:
    report = await services().queries.readiness.check()
    if not report.ready:
        return {"status": "unavailable", **report.details}, 503
    return {"status": "ready", **report.details}, 200
