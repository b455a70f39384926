"""
A calendar stream as the busy times need it, read line by line before the library
sees it, so that one odd line costs that line (or its event), never the whole file.

Calendars from real programs carry things icalendar refuses: a VALARM trigger written
`PT-2H` (Google, old Outlook), `RDATE:20131210Z` (a date with a zone), several
VCALENDARs in one stream (Exchange, a railway's ticket export), a VTIMEZONE with an
empty TZID. Here each VCALENDAR of the stream is cut out on its own; each event keeps
only the properties that say when it is (never its title or notes: they are private
and never needed); each kept property is tried alone with icalendar, and one it trips
on is dropped and counted; an event left without a usable DTSTART is dropped and
counted. Alarms are not read at all: they never make anyone busy.

A TZID that names no zone we can use is read as the VTIMEZONE of that name (its
offsets) when the calendar has a usable one, else as a known zone name (IANA or
Windows), else dropped: the time is then floating, read on the studio's clock. Pure.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import icalendar
from icalendar.parser import Contentline, Parameters
from icalendar.timezone import tzp

__all__ = ["CalendarText", "split_calendars"]

# What an event needs to say when it is: the rest is left out.
_KEPT = frozenset(
    {
        "UID",
        "DTSTART",
        "DTEND",
        "DURATION",
        "RRULE",
        "RDATE",
        "EXDATE",
        "EXRULE",
        "RECURRENCE-ID",
        "STATUS",
        "TRANSP",
        "SEQUENCE",
    }
)
_CALENDAR_KEPT = frozenset({"X-WR-TIMEZONE"})
_UNFOLD = re.compile(r"\r?\n[ \t]")
_UNNAMED_ZONE = "X-UNNAMED-ZONE"  # the name given to a VTIMEZONE whose TZID is empty
# What icalendar and its helpers raise on a value they cannot read.
_TRIPS = (ValueError, TypeError, KeyError, AttributeError, IndexError, OverflowError)


@dataclass
class CalendarText:
    """One VCALENDAR of the stream, reduced to what the busy times read."""

    properties: list[str] = field(default_factory=list)  # the calendar's own (X-WR-TIMEZONE)
    zones: dict[str, list[str]] = field(default_factory=dict)  # usable VTIMEZONEs by TZID
    events: list[list[str]] = field(default_factory=list)  # each VEVENT's kept lines
    skipped: int = 0  # properties, events and zones that could not be read

    def ics(self) -> str:
        lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//booking-assistant//busy//EN"]
        lines += self.properties
        for zone in self.zones.values():
            lines += zone
        for event in self.events:
            lines += ["BEGIN:VEVENT", *event, "END:VEVENT"]
        return "\r\n".join([*lines, "END:VCALENDAR", ""])


def split_calendars(text: str) -> list[CalendarText]:
    """Every VCALENDAR in `text`, each cut down and checked line by line."""
    calendars: list[CalendarText] = []
    stack: list[str] = []
    block: list[str] = []
    calendar: CalendarText | None = None
    events: list[list[str]] = []
    for line in _UNFOLD.sub("", text).splitlines():
        if not line.strip():
            continue
        name = line.split(":", 1)[0].split(";", 1)[0].upper()
        value = line.split(":", 1)[1].strip().upper() if ":" in line else ""
        if name == "BEGIN":
            stack.append(value)
            if stack == ["VCALENDAR"]:
                calendar, events = CalendarText(), []
            elif len(stack) == 2 and calendar is not None:
                block = [line]
            elif len(stack) > 2 and calendar is not None and stack[1] == "VTIMEZONE":
                block.append(line)
            continue
        if name == "END":
            ended = stack.pop() if stack else None
            if ended == "VCALENDAR" and not stack and calendar is not None:
                _settle(calendar, events)
                calendars.append(calendar)
                calendar = None
            elif calendar is not None and len(stack) == 1 and ended == "VEVENT":
                events.append(block[1:])
            elif calendar is not None and len(stack) == 1 and ended == "VTIMEZONE":
                _keep_zone(calendar, [*block, line])
            elif calendar is not None and len(stack) >= 2 and stack[1] == "VTIMEZONE":
                block.append(line)
            continue
        if calendar is None:
            continue
        if len(stack) == 1 and name in _CALENDAR_KEPT:
            calendar.properties.append(line)
        elif len(stack) >= 2 and _kept_in_block(stack, name):
            block.append(line)
    if calendar is not None:  # a stream cut short: what came whole is still read
        _settle(calendar, events)
        calendars.append(calendar)
    return calendars


def _kept_in_block(stack: list[str], name: str) -> bool:
    """An event's own line that says when it is, or any line of a VTIMEZONE."""
    return stack[1] == "VTIMEZONE" or (len(stack) == 2 and stack[1] == "VEVENT" and name in _KEPT)


def _keep_zone(calendar: CalendarText, lines: list[str]) -> None:
    """A VTIMEZONE the library can build a zone from (an empty TZID gets a name)."""
    tzid = next((ln.split(":", 1)[1] for ln in lines if ln.upper().startswith("TZID")), "")
    tzid = tzid.strip() or _UNNAMED_ZONE
    lines = [f"TZID:{tzid}" if ln.upper().startswith("TZID") else ln for ln in lines]
    if not any(ln.upper().startswith("TZID") for ln in lines):
        lines.insert(1, f"TZID:{tzid}")
    probe = "\r\n".join(["BEGIN:VCALENDAR", *lines, "END:VCALENDAR", ""])
    try:
        parsed = icalendar.Calendar.from_ical(probe)
        for zone in parsed.walk("VTIMEZONE"):
            if isinstance(zone, icalendar.Timezone):
                zone.to_tz(lookup_tzid=False)
    except _TRIPS:
        calendar.skipped += 1
        return
    calendar.zones[tzid] = lines


def _settle(calendar: CalendarText, events: list[list[str]]) -> None:
    """Check each event's lines now that the calendar's zones are known."""
    for lines in events:
        kept = [_zoned(calendar, line) for line in lines]
        good = [line for line in kept if _readable(line)]
        calendar.skipped += len(kept) - len(good)
        if not any(_name(line) == "DTSTART" for line in good):
            if any(_name(line) == "DTSTART" for line in kept):
                calendar.skipped += 1  # the event itself: it says no time we can read
            continue
        calendar.events.append(good)


def _name(line: str) -> str:
    return line.split(":", 1)[0].split(";", 1)[0].upper()


def _zoned(calendar: CalendarText, line: str) -> str:
    """The line with its TZID pointing at a zone we can use, or none (floating)."""
    if ";" not in line.split(":", 1)[0]:
        return line
    try:
        name, params, value = Contentline(line).parts()  # type: ignore[no-untyped-call]
    except _TRIPS:
        return line  # left for `_readable` to refuse
    if "TZID" not in params:
        return line
    tzid = str(params["TZID"]).strip()
    if tzid in calendar.zones:
        return line
    if not tzid and _UNNAMED_ZONE in calendar.zones:
        params["TZID"] = _UNNAMED_ZONE
    elif not tzid or tzp.timezone(tzid) is None:
        del params["TZID"]  # no zone of that name anywhere: the studio's clock
    else:
        return line
    return _line(name, params, value)


def _line(name: str, params: Parameters, value: str) -> str:
    written = params.to_ical().decode()
    return f"{name};{written}:{value}" if written else f"{name}:{value}"


def _readable(line: str) -> bool:
    """Whether icalendar reads this one property on its own."""
    probe = "\r\n".join(["BEGIN:VEVENT", line, "END:VEVENT", ""])
    try:
        event = icalendar.Event.from_ical(probe)
        if getattr(event, "errors", None):
            return False
        value = event.decoded(_name(line))
    except _TRIPS:
        return False
    return not isinstance(value, icalendar.vRecur) or _sane_rule(value)


def _sane_rule(rule: icalendar.vRecur) -> bool:
    """A rule the expansion can finish: RFC 5545 wants INTERVAL and COUNT positive (with
    INTERVAL=0, dateutil searches for the next occurrence for ever); and a person's busy
    time, not one every second or minute (months of those would outgrow any copy)."""
    try:
        counts = [int(n) for n in [*rule.get("INTERVAL", []), *rule.get("COUNT", [])]]
    except _TRIPS:
        return False
    frequent = {str(f).upper() for f in rule.get("FREQ", [])} & {"SECONDLY", "MINUTELY"}
    return all(n >= 1 for n in counts) and not frequent
