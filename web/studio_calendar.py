"""
`GET /studio/calendar.ics?key=...`: the artist's calendar feed of booked appointments,
for their phone's calendar to subscribe to. The key is the only credential (calendar
apps send no other), compared in constant time; a wrong or missing key answers 404, as
for an address that does not exist. The address is `GET /admin/calendar`'s.
"""

from __future__ import annotations

from quart import Blueprint, Response, ResponseReturnValue, request

from web.services import services

__all__ = ["blueprint"]

blueprint = Blueprint("studio_calendar", __name__)


@blueprint.get("/studio/calendar.ics")
async def calendar_feed() -> ResponseReturnValue:
    feed = await services().queries.calendar_feed.feed(request.args.get("key", ""))
    if feed is None:
        return {"error": "not found"}, 404
    return Response(
        feed,
        200,
        {
            "Content-Type": "text/calendar; charset=utf-8",
            "Content-Disposition": 'inline; filename="appointments.ics"',
            "Cache-Control": "private, max-age=300",
        },
    )
