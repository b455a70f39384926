"""
How the studio page writes a moment: Jinja filters over `actors.copy.formatting`, so
every date and time on the page is on the studio's clock (STUDIO_FILE's timezone, UTC
without one) and in the words of LOCALE, as CLDR has them.

    {{ entry.at | stamp }}                      "4 dic, 14:00"       a message, a link's expiry
    {{ event.at | stamp(seconds=True) }}        "4 dic, 14:00:05"    an event
    {{ starts_at | slot }}                      "jue, 4 dic, 14:00"  a board row's appointment
    {{ visit.starts_at | span(visit.ends_at) }} "jueves, 4 de diciembre de 2025, 14:00\u201316:00"

Each page is rendered with `wall_clock` (`actors.queries.studio_page.WallClock`) in its
context, which the filters read; the page states its zone once (`wall_clock.zone`).
"""

from __future__ import annotations

from datetime import datetime

from jinja2 import pass_context
from jinja2.runtime import Context
from quart import Blueprint

from actors.copy import format_moment, format_slot, format_span
from actors.queries import WallClock

__all__ = ["install"]


def install(blueprint: Blueprint) -> None:
    """Register the filters with the app that registers `blueprint`."""
    blueprint.add_app_template_filter(_stamp, "stamp")
    blueprint.add_app_template_filter(_slot, "slot")
    blueprint.add_app_template_filter(_span, "span")


@pass_context
def _stamp(context: Context, moment: datetime, *, seconds: bool = False) -> str:
    clock = _wall_clock(context)
    return format_moment(moment, clock.timezone, clock.locale, seconds=seconds)


@pass_context
def _slot(context: Context, moment: datetime) -> str:
    clock = _wall_clock(context)
    return format_slot(moment, clock.timezone, clock.locale)


@pass_context
def _span(context: Context, start: datetime, end: datetime) -> str:
    clock = _wall_clock(context)
    return format_span(start, end, clock.timezone, clock.locale)


def _wall_clock(context: Context) -> WallClock:
    """The page's clock; a page rendered without one is a bug, never a guess at UTC."""
    clock = context.get("wall_clock")
    if not isinstance(clock, WallClock):
        raise TypeError("a studio page with times is rendered with `wall_clock`")
    return clock
