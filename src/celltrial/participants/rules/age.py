"""Calendar age: completed years and months since the date of birth, never 365.25-day years.

A child is N years old from the N-th anniversary of the birth date (the day itself) until the day
before the next one. A month is completed on the same day of a later month; when that month has no
such day (31 January → February) the month is completed on the first day of the following month.
A 29 February birthday falls, in a common year, on 1 March (``leap_day_birthday="march_1"``, the
rule of statutes such as "An individual born on February 29 attains a specified age on March 1 of any
year that is not a leap year") or, where the protocol declares it, on 28 February (the rule of
England and Taiwan). The protocol's ``participants.leap_day_birthday`` says which applies.

    >>> import datetime as dt
    >>> calendar_age(dt.date(2019, 5, 10), dt.date(2025, 5, 10))
    Age(years=6, months=0, days=0)
    >>> calendar_age(dt.date(2019, 5, 10), dt.date(2025, 5, 9)).years
    5
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from typing import Literal

from celltrial.core.errors import InputError

LeapDayRule = Literal["march_1", "february_28"]


class AgeError(InputError):
    """An age that cannot be computed: a date of birth after the date asked about."""


@dataclass(frozen=True, order=True)
class Age:
    years: int
    months: int  # completed months beyond the completed years (0-11)
    days: int  # days beyond the completed months

    @property
    def total_months(self) -> int:
        return self.years * 12 + self.months

    def __str__(self) -> str:
        return f"{self.years} y {self.months} m"


def _anniversary_day(dob: dt.date, year: int, month: int, rule: LeapDayRule) -> dt.date:
    """The day of ``year``/``month`` on which a period counted from ``dob`` is completed."""
    last = calendar.monthrange(year, month)[1]
    if dob.day <= last:
        return dt.date(year, month, dob.day)
    if rule == "february_28" and dob.month == 2 and dob.day == 29 and month == 2:
        return dt.date(year, 2, last)
    # No such day in that month: the period is completed on the first day of the next month.
    return dt.date(year, month, last) + dt.timedelta(days=1)


def calendar_age(dob: dt.date, on: dt.date, *, leap_day_birthday: LeapDayRule = "march_1") -> Age:
    """The age on ``on`` of a child born on ``dob``: completed years, months and days."""
    if on < dob:
        raise AgeError(f"the date of birth {dob.isoformat()} is after {on.isoformat()}")
    months = (on.year - dob.year) * 12 + (on.month - dob.month)
    # Step back until the month anniversary is on or before `on`.
    while months > 0 and _month_anniversary(dob, months, leap_day_birthday) > on:
        months -= 1
    reached = _month_anniversary(dob, months, leap_day_birthday)
    return Age(months // 12, months % 12, (on - reached).days)


def _month_anniversary(dob: dt.date, months: int, rule: LeapDayRule) -> dt.date:
    if months == 0:
        return dob
    index = dob.month - 1 + months
    year, month = dob.year + index // 12, index % 12 + 1
    # Only whole years keep the February-28 convention; a month count lands on the 1st-of-next rule.
    effective: LeapDayRule = rule if months % 12 == 0 else "march_1"
    return _anniversary_day(dob, year, month, effective)


def birthday(dob: dt.date, years: int, *, leap_day_birthday: LeapDayRule = "march_1") -> dt.date:
    """The day the child becomes ``years`` old."""
    return _anniversary_day(dob, dob.year + years, dob.month, leap_day_birthday)
