"""
`GET /`: the address a studio owner types first leads to the studio page, not to a 404.
"""

from __future__ import annotations

from quart import Blueprint, ResponseReturnValue, redirect, request

__all__ = ["blueprint"]

blueprint = Blueprint("root", __name__)


@blueprint.get("/")
async def root() -> ResponseReturnValue:
    """303 to the studio page: it signs the visitor in first when it needs to."""
    return redirect(request.root_path + "/studio/", 303)
