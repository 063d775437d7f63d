"""Visit target dates and windows relative to the dosing day (Day 0), and where each visit stands.

Day numbers are the protocol's: Day 0 is the dosing day, Day −1 the day before; there is no gap
between them. A visit's window runs from ``day − minus`` to ``day + plus``, both days included.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


@dataclass(frozen=True)
class Planned:
    code: str
    order: int
    day: int
    target: dt.date
    earliest: dt.date
    latest: dt.date


def plan(visits: Iterable[tuple[str, int, int, int]], day0: dt.date) -> list[Planned]:
    """``(code, day, minus, plus)`` for each visit in schedule order → dated visits."""
    planned = []
    for order, (code, day, minus, plus) in enumerate(visits, start=1):
        target = day0 + dt.timedelta(days=day)
        planned.append(Planned(code, order, day, target, target - dt.timedelta(days=minus),
                               target + dt.timedelta(days=plus)))
    return planned


class Standing(StrEnum):
    UNSCHEDULED = "unscheduled"  # no Day 0 yet
    UPCOMING = "upcoming"
    OPEN = "open"  # today is inside the window
    OVERDUE = "overdue"  # the window has closed and the visit was not done
    DONE = "done"
    DONE_EARLY = "done_early"  # done before the window opened: out of window
    DONE_LATE = "done_late"  # done after the window closed: out of window
    MISSED = "missed"
    CANCELLED = "cancelled"


OUT_OF_WINDOW = frozenset({Standing.DONE_EARLY, Standing.DONE_LATE, Standing.OVERDUE})


def standing(earliest: dt.date | None, latest: dt.date | None, actual: dt.date | None, today: dt.date,
             *, missed: bool = False, cancelled: bool = False) -> Standing:
    if cancelled:
        return Standing.CANCELLED
    if missed:
        return Standing.MISSED
    if actual is not None:
        if earliest is not None and actual < earliest:
            return Standing.DONE_EARLY
        if latest is not None and actual > latest:
            return Standing.DONE_LATE
        return Standing.DONE
    if earliest is None or latest is None:
        return Standing.UNSCHEDULED
    if today > latest:
        return Standing.OVERDUE
    if today >= earliest:
        return Standing.OPEN
    return Standing.UPCOMING


def week_of(today: dt.date) -> tuple[dt.date, dt.date]:
    """Monday and Sunday of the ISO week that holds ``today``."""
    monday = today - dt.timedelta(days=today.weekday())
    return monday, monday + dt.timedelta(days=6)


def due_in(earliest: dt.date | None, latest: dt.date | None, first: dt.date, last: dt.date) -> bool:
    """The visit's window overlaps the days ``first``..``last``."""
    return earliest is not None and latest is not None and earliest <= last and latest >= first
