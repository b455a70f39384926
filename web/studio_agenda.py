"""
The studio page's agenda and the artist's times: routes on the studio blueprint
(`install`), behind its sign-in and CSRF gate.

    GET  /studio/agenda?view=day|week&date=YYYY-MM-DD   a day (default) or a week
    POST /studio/time-off                   Block: date, last_date, from, until, note
    POST /studio/time-off/<id>/delete       Unblock
    POST /studio/leads/<lead id>/set-time   date and time on the studio's clock

Every change is a turn of an actor: time off of the artist's (`BlockTimeOff`,
`UnblockTimeOff`), a set time of the lead's (`ActOnLead`, `set_time`). Here the forms
are read (dates and times on the studio's clock, turned into instants) and answered;
what may happen is the actors' to decide.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID

import structlog
from quart import Blueprint, Response, ResponseReturnValue, redirect, request

from actors import TurnOutcome
from actors.commands import ActOnLead, BlockTimeOff, UnblockTimeOff
from actors.lead import ArtistAction
from actors.schedule import StudioFile
from web.page_language import gettext as _
from web.request_ids import correlation_id
from web.services import services

__all__ = ["install", "session_minutes"]

log = structlog.get_logger("web.studio_agenda")

Page = Callable[..., Awaitable[Response]]

_MAX_NOTE = 200
_MAX_DAYS = 366  # one block spans at most a year


def install(blueprint: Blueprint, page: Page, lead_page: Page) -> None:
    """Add the agenda's routes to the studio blueprint; `page` and `lead_page` render."""

    @blueprint.get("/agenda")
    async def agenda() -> ResponseReturnValue:
        return await _agenda_page(page, request.args)

    @blueprint.post("/time-off")
    async def block() -> ResponseReturnValue:
        form = await request.form
        studio = services().settings.studio()
        if studio is None:
            return await _agenda_page(page, form, status=404)
        parsed = _block(form, studio)
        if isinstance(parsed, str):
            return await _agenda_page(page, form, status=422, wrong=parsed, typed=dict(form))
        starts, ends, note = parsed
        command = BlockTimeOff(starts, ends, note, correlation_id())
        outcome = await services().actors.handle(command)
        log.info("studio.time_off_blocked", outcome=outcome)
        day = form.get("date", "")
        return redirect(
            f"{request.root_path}/studio/agenda?view={_view(form)}&date={day}&done=blocked", 303
        )

    @blueprint.post("/time-off/<int:time_off_id>/delete")
    async def unblock(time_off_id: int) -> ResponseReturnValue:
        form = await request.form
        outcome = await services().actors.handle(UnblockTimeOff(time_off_id, correlation_id()))
        log.info("studio.time_off_unblocked", outcome=outcome)
        day = _day(form.get("date")) or ""
        return redirect(
            f"{request.root_path}/studio/agenda?view={_view(form)}&date={day}&done=unblocked", 303
        )

    @blueprint.post("/leads/<lead_id>/set-time")
    async def set_time(lead_id: str) -> ResponseReturnValue:
        form = await request.form
        studio = services().settings.studio()
        typed = {"set_time_date": form.get("date", ""), "set_time_time": form.get("time", "")}
        try:
            parsed = UUID(lead_id)
        except ValueError:
            return await page("problem.html", 404, problem="no_lead")
        if studio is None:
            return await page("problem.html", 404, problem="no_lead")
        starts = _moment(form.get("date"), form.get("time"), studio)
        now = services().actors.now()
        wrong = None
        if starts is None:
            wrong = _("Give a date (YYYY-MM-DD) and a time (HH:MM).")
        elif starts <= now:
            wrong = _("That time has passed. Pick a later one.")
        elif starts > now + timedelta(days=studio.horizon_days):
            wrong = _("Pick a time within the next %(days)s days.") % {"days": studio.horizon_days}
        if wrong is not None or starts is None:
            return await lead_page(lead_id, 422, typed=typed, wrong={"set_time": wrong or ""})
        view = await services().queries.page.lead(parsed)
        if view is None:
            return await page("problem.html", 404, problem="no_lead")
        if view.status == "BOOKED" and form.get("confirm") != "yes":
            return await page(
                "confirm.html",
                lead=view,
                action="",
                post_to=f"{request.root_path}/studio/leads/{lead_id}/set-time",
                asked=_move_asked(view.name or view.handle, starts, studio),
                fields={"date": form.get("date", ""), "time": form.get("time", "")},
            )
        acted = ActOnLead(
            parsed,
            ArtistAction.SET_TIME,
            correlation_id(),
            starts_at=int(starts.timestamp()),
        )
        taken = await services().actors.handle(acted)
        if taken is None:
            return await page("problem.html", 404, problem="no_lead")
        log.info("studio.time_set", outcome=taken.outcome)
        if taken.outcome is TurnOutcome.NOT_APPLICABLE:
            why = _(
                "That time overlaps another appointment or hold (with the break after it),"
                " or this lead has no time to set now. Nothing changed."
            )
            return await lead_page(lead_id, 409, typed=typed, wrong={"set_time": why})
        return redirect(f"{request.root_path}/studio/leads/{lead_id}?done=set_time", 303)


async def _agenda_page(
    page: Page,
    asked: Mapping[str, str],
    *,
    status: int = 200,
    wrong: str | None = None,
    typed: Mapping[str, str] | None = None,
) -> Response:
    reader = services().queries.agenda
    if reader is None:
        return await page("agenda.html", 404 if status == 200 else status, agenda=None)
    view = await reader.view(_view(asked), _day(asked.get("date")))
    return await page(
        "agenda.html",
        status,
        agenda=view,
        done=request.args.get("done"),
        wrong=wrong,
        typed=typed or {},
    )


@dataclass(frozen=True)
class _Asked:
    """The confirm page's words (`web.studio_confirm.Confirmation`'s shape)."""

    heading: str
    what: tuple[str, ...]
    yes: str


def _move_asked(who: str, starts: datetime, studio: StudioFile) -> _Asked:
    local = starts.astimezone(studio.timezone)
    when = f"{local:%Y-%m-%d %H:%M}"
    return _Asked(
        _("Move %(who)s's appointment to %(when)s?") % {"who": who, "when": when},
        (
            _("The appointment moves there at once, same length; the old time is freed."),
            _("They are told on WhatsApp, with a new calendar link."),
        ),
        _("Yes, move it"),
    )


def session_minutes(form: Mapping[str, str]) -> int | str | None:
    """The approval's session length: `session_minutes_other` (typed minutes) when filled,
    else the picked `session_minutes`; None: the studio's default. A string: what to fix."""
    other = (form.get("session_minutes_other") or "").strip()
    picked = (form.get("session_minutes") or "").strip()
    chosen = other or picked
    if not chosen:
        return None
    if not chosen.isascii() or not chosen.isdigit() or not 1 <= int(chosen) <= 24 * 60:
        return _("Type the session's length in minutes, from 1 to 1440.")
    return int(chosen)


def _view(asked: Mapping[str, str]) -> str:
    return "week" if asked.get("view") == "week" else "day"


def _day(text: str | None) -> date | None:
    """A YYYY-MM-DD date; None when absent or malformed (the agenda then shows today)."""
    if not text or len(text) != 10:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _clock(text: str | None) -> time | None:
    """An HH:MM time of day; None when absent or malformed."""
    if not text or len(text) != 5 or text[2] != ":":
        return None
    try:
        return time.fromisoformat(text)
    except ValueError:
        return None


def _local(day: date, at: time, studio: StudioFile) -> datetime:
    return datetime.combine(day, at, studio.timezone).astimezone(UTC)


def _moment(day_text: str | None, time_text: str | None, studio: StudioFile) -> datetime | None:
    day, at = _day(day_text), _clock(time_text)
    return None if day is None or at is None else _local(day, at, studio)


def _block(form: Mapping[str, str], studio: StudioFile) -> tuple[datetime, datetime, str] | str:
    """The Block form as [start, end) and its note, or what to fix."""
    first = _day(form.get("date"))
    if first is None:
        return _("Give the first day as YYYY-MM-DD.")
    last_text = (form.get("last_date") or "").strip()
    last = _day(last_text) if last_text else first
    if last is None or last < first:
        return _("Give the last day as YYYY-MM-DD, on or after the first.")
    if (last - first).days >= _MAX_DAYS:
        return _("Block at most a year at a time.")
    from_text, until_text = (form.get("from") or "").strip(), (form.get("until") or "").strip()
    if bool(from_text) != bool(until_text):
        return _("Give both From and Until (HH:MM), or neither for whole days.")
    note = (form.get("note") or "").strip()
    if len(note) > _MAX_NOTE or any(c in note for c in "\r\n"):
        return _("Keep the note to one line of at most 200 characters.")
    if not from_text:
        return (
            _local(first, time(0), studio),
            _local(last + timedelta(days=1), time(0), studio),
            note,
        )
    opens, closes = _clock(from_text), _clock(until_text)
    if opens is None or closes is None:
        return _("Give From and Until as HH:MM.")
    starts, ends = _local(first, opens, studio), _local(last, closes, studio)
    if ends <= starts:
        return _("Until must be after From.")
    return starts, ends, note
