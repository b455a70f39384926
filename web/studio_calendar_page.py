"""
The studio page's Calendar screen: the artist's calendar feed to subscribe to, and how
their own calendar (BUSY_CALENDAR_URL) was last read.

    GET  /studio/calendar          the feed's address (to copy), a webcal:// Subscribe
                                   link, the steps for iPhone and Google Calendar, and
                                   how many parts of the artist's own calendar were
                                   skipped when it was last read
    POST /studio/calendar/rotate   New address: a new key through `RotateFeedKey`, the
                                   old address answers 404 at once (409 and the reason
                                   when the key is STUDIO_CALENDAR_KEY)

Its routes join the studio blueprint (`web.studio`), so the same gate holds: a live
session, and `csrf` on the POST. The address is a secret: it is shown to the signed-in
artist and never logged.
"""

from __future__ import annotations

from urllib.parse import urlencode, urlsplit

import structlog
from quart import ResponseReturnValue, redirect, request

from actors.commands import RotateFeedKey
from actors.queries import FeedAddress, KeyFromSettings, KeySource
from web.services import services
from web.studio import _page, blueprint

__all__ = ["feed_url"]

log = structlog.get_logger("web.studio_calendar_page")


def feed_url(address: FeedAddress) -> str:
    """The feed's address: PUBLIC_BASE_URL's, else the origin the request came to."""
    base = services().settings.public_base_url or request.host_url
    return f"{base.rstrip('/')}/studio/calendar.ics?{urlencode({'key': address.key})}"


def _webcal(url: str) -> str:
    """The same address for a phone's calendar app to subscribe to."""
    parts = urlsplit(url)
    return "webcal://" + url[len(parts.scheme) + 3 :]


@blueprint.get("/calendar")
async def calendar_page() -> ResponseReturnValue:
    feed = services().queries.calendar_feed
    address = await feed.address()
    url = feed_url(address)
    return await _page(
        "calendar.html",
        feed_url=url,
        webcal_url=_webcal(url),
        from_setting=address.source is KeySource.SETTING,
        rotated=request.args.get("rotated") == "1",
        busy=await feed.busy_state(),
    )


@blueprint.post("/calendar/rotate")
async def rotate_calendar() -> ResponseReturnValue:
    try:
        await services().actors.handle(RotateFeedKey())
    except KeyFromSettings:
        return await _page("problem.html", 409, problem="calendar_key_setting")
    log.info("studio.calendar_key_rotated")
    return redirect(request.root_path + "/studio/calendar?rotated=1", 303)
