"""
Free slots: the studio's hours minus appointments, holds, buffers and busy times. Pure.

Everything is computed in the studio's timezone (zoneinfo), day by day on its own
wall clock: a slot starts on the step grid of an opening, lasts the session's real
length, and ends by the opening's close. A wall-clock time that does not exist (the
hour skipped when clocks go forward) is no slot; one that happens twice (clocks go
back) is its first occurrence.

`taken` are the ranges other bookings block: (start, end of session + buffer), exactly
the range the database's exclusion constraint compares, so a slot this module offers
is one the database accepts unless someone took it since. `busy` are the artist's own
calendar events, which keep a buffer on both sides.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from actors.schedule.studio_file import Opening, StudioFile

__all__ = [
    "PER_DAY",
    "ROWS",
    "Interval",
    "Offer",
    "candidates",
    "is_clear",
    "is_free",
    "offer",
]

Interval = tuple[datetime, datetime]  # [start, end), aware
# A list's rows for times: WhatsApp's ten less the last, "None of these" ("Later dates",
# when there are more, takes one of these nine).
ROWS = 9
PER_DAY = 3  # a page spreads its slots over days: at most this many from one day


@dataclass(frozen=True)
class Offer:
    """One page of free slots, and the first free slot after the last one shown, where
    the next page starts (None: no more)."""

    starts: tuple[datetime, ...]
    later: datetime | None = None


def _local(studio: StudioFile, day: date, at: time) -> datetime | None:
    """The instant `at` on `day` in the studio's timezone; None if it does not exist."""
    if at == time.max:  # "24:00": the next midnight
        return _local(studio, day + timedelta(days=1), time(0, 0))
    wall = datetime.combine(day, at)
    aware = wall.replace(tzinfo=studio.timezone)
    back = aware.astimezone(UTC).astimezone(studio.timezone).replace(tzinfo=None)
    return aware.astimezone(UTC) if back == wall else None


def candidates(studio: StudioFile, day: date, length: timedelta) -> Iterator[datetime]:
    """Every start on `day`'s step grid whose session fits in its opening (UTC)."""
    for opening in studio.hours.get(day.weekday(), ()):
        yield from _grid(studio, day, opening, length)


def _grid(studio: StudioFile, day: date, opening: Opening, length: timedelta) -> Iterator[datetime]:
    closes = _local(studio, day, opening.closes)
    if closes is None:
        return
    wall = datetime.combine(day, opening.opens)
    while wall.date() == day:
        start = _local(studio, day, wall.time())
        if start is not None:
            if start + length > closes:
                return
            yield start
        wall += timedelta(minutes=studio.slot_step_minutes)


def _overlaps(a: Interval, b: Interval) -> bool:
    return a[0] < b[1] and b[0] < a[1]


def _clear(
    studio: StudioFile, start: datetime, length: timedelta, taken: Sequence[Interval],
    busy: Sequence[Interval],
) -> bool:  # fmt: skip
    end = start + length
    blocked = (start, end + studio.buffer)
    padded = (start - studio.buffer, end + studio.buffer)
    return not any(_overlaps(blocked, t) for t in taken) and not any(
        _overlaps(padded, b) for b in busy
    )


def is_clear(
    studio: StudioFile, start: datetime, length: timedelta, taken: Sequence[Interval]
) -> bool:
    """Whether a session at `start` overlaps none of `taken` (the database's own test)."""
    return _clear(studio, start, length, taken, ())


def _bookable(studio: StudioFile, start: datetime, now: datetime) -> bool:
    soonest = now + timedelta(hours=studio.min_notice_hours)
    return soonest <= start < now + timedelta(days=studio.horizon_days)


def is_free(
    studio: StudioFile,
    start: datetime,
    length: timedelta,
    *,
    now: datetime,
    taken: Sequence[Interval] = (),
    busy: Sequence[Interval] = (),
) -> bool:
    """Whether `start` is a slot the studio would offer now (a pick is checked again)."""
    day = start.astimezone(studio.timezone).date()
    on_grid = start in set(candidates(studio, day, length))
    return on_grid and _bookable(studio, start, now) and _clear(studio, start, length, taken, busy)


def _free_on(
    studio: StudioFile, day: date, length: timedelta, now: datetime,
    taken: Sequence[Interval], busy: Sequence[Interval],
) -> list[datetime]:  # fmt: skip
    first = _local(studio, day, time(0, 0)) or datetime.combine(day, time(1, 0), studio.timezone)
    window = (first - length - studio.buffer, first + timedelta(days=1, hours=2) + studio.buffer)
    taken_today = [t for t in taken if _overlaps(t, window)]
    busy_today = [b for b in busy if _overlaps(b, window)]
    return [
        start
        for start in candidates(studio, day, length)
        if _bookable(studio, start, now) and _clear(studio, start, length, taken_today, busy_today)
    ]


def _spread(starts: list[datetime], count: int) -> list[datetime]:
    """`count` of a day's `starts`, evenly apart: the morning, the middle, the evening."""
    if len(starts) <= count:
        return starts
    if count == 1:
        return starts[:1]
    last = len(starts) - 1
    return [starts[round(i * last / (count - 1))] for i in range(count)]


def offer(
    studio: StudioFile,
    length: timedelta,
    *,
    now: datetime,
    taken: Sequence[Interval] = (),
    busy: Sequence[Interval] = (),
    from_day: date | None = None,
    after: datetime | None = None,
    fits: Callable[[datetime], bool] | None = None,
) -> Offer:
    """
    A page of free slots from `after` (a moment: the page's first slot starts no
    sooner), else from `from_day` (default: today in the studio): up to nine, spread
    over days, or eight and the first free slot not shown, where "Later dates" goes on.
    `fits`: only the slots it takes (the lead's wishes, `actors.lead.time_wishes`).
    """
    today = now.astimezone(studio.timezone).date()
    last_day = (now + timedelta(days=studio.horizon_days)).astimezone(studio.timezone).date()
    first_day = after.astimezone(studio.timezone).date() if after else from_day
    day = max(first_day or today, today)
    page: list[datetime] = []
    seen: list[datetime] = []  # every free start met so far, in order
    while day <= last_day:
        free = _free_on(studio, day, length, now, taken, busy)
        free = [s for s in free if (after is None or s >= after) and (fits is None or fits(s))]
        if free:
            seen.extend(free)
            if len(page) >= ROWS - 1:  # a later day has slots: page on
                return _paged(page, seen)
            page.extend(_spread(free, PER_DAY))
        day += timedelta(days=1)
    if len(page) > ROWS:
        return _paged(page, seen)
    return Offer(tuple(page))


def _paged(page: list[datetime], seen: list[datetime]) -> Offer:
    """Nine slots and "Later dates", which goes on from the first free slot after the
    last one shown: the rest of a day the page cut is offered next, not skipped."""
    shown = page[: ROWS - 1]
    return Offer(tuple(shown), later=next(s for s in seen if s > shown[-1]))
