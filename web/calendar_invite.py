"""
`GET /calendar/visit/<start>/<token>.ics`: the lead's "add to calendar" file, the address
the booking's message carries. The token is the only credential (a phone opening the
link sends no other); a wrong one, or an appointment moved or cancelled since, answers
404, as for an address that does not exist.
"""

from __future__ import annotations

from quart import Blueprint, ResponseReturnValue

from web.services import services

__all__ = ["blueprint"]

blueprint = Blueprint("calendar_invite", __name__)

# A file to open (the phone offers to add its event), never kept by a cache on the way.
_HEADERS = {
    "Content-Type": "text/calendar; charset=utf-8",
    "Content-Disposition": 'attachment; filename="appointment.ics"',
    "Cache-Control": "private, no-store",
}


@blueprint.get("/calendar/visit/<int:start>/<token>.ics")
async def calendar_invite(start: int, token: str) -> ResponseReturnValue:
    invites = services().queries.calendar_invites
    invite = None if invites is None else await invites.invite(start, token)
    if invite is None:
        return {"error": "not found"}, 404
    return invite, 200, _HEADERS
