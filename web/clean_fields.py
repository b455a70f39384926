"""
A NUL (U+0000) or a lone surrogate in what a person typed is refused with 422 before
anything is read or written: every query parameter, form field (and file name), and
every string of an admin JSON body, keys included.

Why: Postgres cannot hold U+0000 in `text` or `jsonb`, and a lone surrogate is not a
character at all, so either fails the statement that meets it: a search answered 500,
an admin reply 503. No person types either; refusing them at the edge says so clearly,
where a webhook's body (which a provider sends, and retries) is cleaned instead
(web.clean_json).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

from quart import Quart, ResponseReturnValue, request

__all__ = ["UNUSABLE", "body_unusable", "fields_unusable", "install_field_check", "unusable"]

_HOSTILE = re.compile("[\x00\ud800-\udfff]")
# What a refusal says (the admin API's and the other routes' `{"error": ...}`).
UNUSABLE = "text holds a NUL or a lone surrogate"
# Blueprints that check in their own hooks, to answer in their own way: the studio page
# (its problem page) and the admin API (after its bearer check).
_OWN_CHECK = frozenset({"studio", "admin_api.admin"})


def unusable(texts: Iterable[str]) -> bool:
    """Whether any of `texts` holds a NUL or a lone surrogate."""
    return any(_HOSTILE.search(text) for text in texts)


async def fields_unusable() -> bool:
    """Whether a query parameter or a form field (name, value, file name) is unusable."""
    if unusable(_pairs(request.args.items(multi=True))):
        return True
    if request.method not in ("POST", "PUT", "PATCH") or request.mimetype not in (
        "application/x-www-form-urlencoded",
        "multipart/form-data",
    ):
        return False
    form = await request.form
    files = await request.files
    names = [item.filename or "" for _, item in files.items(multi=True)]
    return unusable(_pairs(form.items(multi=True))) or unusable([*files.keys(), *names])


async def body_unusable() -> bool:
    """Whether a JSON body holds an unusable string (one that is not JSON: the route's)."""
    raw = await request.get_data(cache=True, as_text=False)
    if not raw:
        return False
    try:
        parsed = json.loads(raw)  # Python's parser keeps "\\ud800" and "\\u0000" as they are
    except (ValueError, RecursionError):
        return False
    return unusable(_strings(parsed))


def install_field_check(app: Quart) -> None:
    """The check for every route but those that make it themselves (`_OWN_CHECK`)."""

    @app.before_request
    async def _refuse_unusable_fields() -> ResponseReturnValue | None:
        if request.blueprint in _OWN_CHECK or not await fields_unusable():
            return None
        return {"error": UNUSABLE}, 422


def _pairs(items: Iterable[tuple[str, str]]) -> list[str]:
    return [text for pair in items for text in pair]


def _strings(value: Any) -> Iterable[str]:
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            yield item
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)
