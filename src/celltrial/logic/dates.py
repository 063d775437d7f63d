"""Dates and times for ``datediff``.

REDCap always stores dates as ``YYYY-MM-DD`` (and datetimes as
``YYYY-MM-DD HH:MM[:SS]``) whatever the field's display format, so a stored
value is read as ISO first; the ``format`` argument of ``datediff`` ("ymd",
"mdy", "dmy") says how *typed* dates such as ``"05-31-2020"`` are written.
"""

from __future__ import annotations

import datetime as dt
import re

from celltrial.logic.values import BLANK, Value, number_result

DATE_FORMATS = ("ymd", "mdy", "dmy")

# Length of a unit in seconds.  REDCap documents that datediff counts a year
# as 365.2425 days and a month as 30.44 days (the average Gregorian month),
# rather than counting calendar boundaries.
SECONDS_PER_UNIT: dict[str, float] = {
    "y": 365.2425 * 86400,
    "M": 30.44 * 86400,
    "d": 86400.0,
    "h": 3600.0,
    "m": 60.0,
    "s": 1.0,
}

_TIME = r"(?:[ T]([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?)?"
_PATTERNS = {
    "ymd": re.compile(r"([0-9]{4})[-/]([0-9]{1,2})[-/]([0-9]{1,2})" + _TIME + r"\Z"),
    "mdy": re.compile(r"([0-9]{1,2})[-/]([0-9]{1,2})[-/]([0-9]{4})" + _TIME + r"\Z"),
    "dmy": re.compile(r"([0-9]{1,2})[-/]([0-9]{1,2})[-/]([0-9]{4})" + _TIME + r"\Z"),
}
_TIME_ONLY = re.compile(r"([0-9]{1,2}):([0-9]{2})(?::([0-9]{2}))?\Z")
# Two time-only values (REDCap "time" fields) are compared on the same day.
_TIME_ONLY_DAY = dt.date(2000, 1, 1)


def parse_moment(text: str, fmt: str, today: dt.date) -> dt.datetime | None:
    """Read a date, datetime or time written in ``fmt`` (ISO also accepted); ``None`` if unreadable."""
    text = text.strip()
    if text.lower() == "today":
        return dt.datetime.combine(today, dt.time())
    time_match = _TIME_ONLY.match(text)
    if time_match:
        return _build(_TIME_ONLY_DAY.year, _TIME_ONLY_DAY.month, _TIME_ONLY_DAY.day, *time_match.groups())
    for candidate in (fmt, "ymd") if fmt != "ymd" else ("ymd",):
        match = _PATTERNS[candidate].match(text)
        if not match:
            continue
        a, b, c, hh, mm, ss = match.groups()
        if candidate == "ymd":
            year, month, day = a, b, c
        elif candidate == "mdy":
            month, day, year = a, b, c
        else:
            day, month, year = a, b, c
        moment = _build(year, month, day, hh, mm, ss)
        if moment is not None:
            return moment
    return None


def _build(
    year: int | str, month: int | str, day: int | str, hh: str | None, mm: str | None, ss: str | None
) -> dt.datetime | None:
    try:
        return dt.datetime(int(year), int(month), int(day), int(hh or 0), int(mm or 0), int(ss or 0))
    except ValueError:
        return None


def datediff(first: str, second: str, units: str, fmt: str, signed: bool, today: dt.date) -> Value:
    """``second - first`` in ``units``; blank if either is blank or not a date.

    Unsigned (REDCap's default) returns the absolute difference.  The result is
    not rounded: wrap it in ``rounddown()`` for completed years, as REDCap's own
    age example does.
    """
    start = parse_moment(first, fmt, today)
    end = parse_moment(second, fmt, today)
    if start is None or end is None:
        return BLANK
    difference = (end - start).total_seconds() / SECONDS_PER_UNIT[units]
    return number_result(difference if signed else abs(difference))
