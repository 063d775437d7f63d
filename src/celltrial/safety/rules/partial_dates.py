"""ISO 8601 partial dates for onset and resolution (``2026``, ``2026-01``, ``2026-01-15``).

DESIGN.md "Time": clinical dates allow ISO 8601 partial dates where the CRF allows an unknown day or
month. A partial date is a *range* of calendar days; comparisons with a window use its earliest and
latest possible day.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import date

from celltrial.safety.rules.errors import SafetyRuleError

_PATTERN = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


@dataclass(frozen=True)
class PartialDate:
    text: str
    earliest: date
    latest: date

    @property
    def complete(self) -> bool:
        return self.earliest == self.latest


def parse_partial(text: str, field: str = "date") -> PartialDate:
    """Parse ``YYYY``, ``YYYY-MM`` or ``YYYY-MM-DD``; anything else is refused naming ``field``."""
    value = (text or "").strip()
    match = _PATTERN.match(value)
    if not match:
        raise SafetyRuleError(f"{field}: give a date as YYYY-MM-DD, or YYYY-MM / YYYY when the day or month "
                              f"is unknown (got {text!r})")
    year, month, day = int(match[1]), match[2], match[3]
    if not 1900 <= year <= 2200:
        raise SafetyRuleError(f"{field}: year {year} is out of range")
    try:
        if month is None:
            return PartialDate(value, date(year, 1, 1), date(year, 12, 31))
        m = int(month)
        if day is None:
            last = calendar.monthrange(year, m)[1] if 1 <= m <= 12 else 0
            return PartialDate(value, date(year, m, 1), date(year, m, last))
        d = date(year, m, int(day))
        return PartialDate(value, d, d)
    except ValueError as exc:
        raise SafetyRuleError(f"{field}: {value} is not a calendar date") from exc


def may_fall_within(partial: PartialDate, start: date, end: date) -> bool:
    """Whether the partial date can lie in [start, end] (inclusive)."""
    return partial.earliest <= end and partial.latest >= start


def not_after(first: PartialDate, second: PartialDate) -> bool:
    """Whether ``first`` can be on or before ``second`` (resolution never before onset)."""
    return first.earliest <= second.latest
