"""A shipment's temperature log, imported from the data logger's CSV, and its excursions (pure).

A cryopreserved cell product travels in a liquid-nitrogen dry shipper; its logger records the
temperature every few minutes. An *excursion* is a run of consecutive readings outside the allowed
range; each is reported with its start, end, duration and the worst reading. The default range
(at most −150 °C, no lower bound) is ILLUSTRATIVE: a common margin below the glass transition of
DMSO-cryopreserved cells for vapour-phase LN2 storage and shipping; the sponsor's shipping SOP sets it.

The CSV: a header row naming a time column (``time``, ``timestamp``, ``date_time``, ``datetime``…) and
a temperature column (``temperature``, ``temp``, ``temperature_c``, ``°C``…), comma or semicolon
separated. Times are ISO 8601; a time without an offset is read in the logger's time zone, which the
caller gives. Every refused row is named by its line number.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
import re
import zoneinfo
from collections.abc import Sequence
from dataclasses import dataclass

from celltrial.product.rules.errors import RuleInputError

#: ILLUSTRATIVE upper limit for a dry-shipper shipment of a cryopreserved product (°C).
DEFAULT_MAX_C = -150.0
#: Caps: a logger file is a few thousand rows; anything far larger is not a logger file.
MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 100_000

_TIME_NAMES = ("time", "timestamp", "datetime", "date_time", "date time", "recorded_at", "time (utc)", "时间")
_TEMP_NAMES = ("temperature", "temp", "temperature_c", "temperature (°c)", "temp (°c)", "°c", "temp_c", "温度")


@dataclass(frozen=True)
class Reading:
    at: dt.datetime
    celsius: float


@dataclass(frozen=True)
class Excursion:
    start: dt.datetime
    end: dt.datetime
    worst_celsius: float
    readings: int

    @property
    def minutes(self) -> float:
        return (self.end - self.start).total_seconds() / 60

    def describe(self) -> str:
        return (f"{self.readings} reading(s) outside the range from {self.start.isoformat()} to "
                f"{self.end.isoformat()} ({self.minutes:g} min), worst {self.worst_celsius:g} °C")


@dataclass(frozen=True)
class TemperatureLog:
    readings: tuple[Reading, ...]
    min_c: float | None
    max_c: float | None
    excursions: tuple[Excursion, ...]

    @property
    def has_excursion(self) -> bool:
        return bool(self.excursions)

    @property
    def first(self) -> dt.datetime:
        return self.readings[0].at

    @property
    def last(self) -> dt.datetime:
        return self.readings[-1].at


def _column(header: Sequence[str], names: Sequence[str], what: str) -> int:
    cleaned = [re.sub(r"\s+", " ", h.strip().strip("\ufeff")).casefold() for h in header]
    for i, name in enumerate(cleaned):
        if name in names:
            return i
    raise RuleInputError(f"the header row has no {what} column (found: {', '.join(h.strip() for h in header) or 'nothing'}; "
                         f"expected one of: {', '.join(names)})")


def _time(text: str, zone: dt.tzinfo, line: int) -> dt.datetime:
    value = text.strip().replace("/", "-")
    try:
        at = dt.datetime.fromisoformat(value)
    except ValueError:
        raise RuleInputError(f"line {line}: time {text.strip()!r} is not an ISO 8601 date and time "
                             "(e.g. 2025-03-01T09:00:00+08:00)") from None
    if at.tzinfo is None:
        at = at.replace(tzinfo=zone)
    return at.astimezone(dt.UTC)


def _celsius(text: str, line: int) -> float:
    try:
        value = float(text.strip().replace("°C", "").replace("℃", "").strip())
    except ValueError:
        raise RuleInputError(f"line {line}: temperature {text.strip()!r} is not a number of °C") from None
    if not math.isfinite(value) or not -273.15 <= value <= 100:
        raise RuleInputError(f"line {line}: temperature {text.strip()} °C is outside −273.15 to 100 °C")
    return value


def read_logger_csv(data: bytes | str, *, time_zone: str = "UTC") -> tuple[Reading, ...]:
    """The readings of a logger CSV, oldest first. Raises RuleInputError naming the line of a bad row."""
    if isinstance(data, bytes):
        if len(data) > MAX_BYTES:
            raise RuleInputError(f"the temperature log is {len(data)} bytes; at most {MAX_BYTES} are accepted")
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise RuleInputError("the temperature log is not UTF-8 text (export it from the logger as CSV)") from None
    else:
        text = data
    if "\x00" in text:
        raise RuleInputError("the temperature log contains NUL characters: it is not a CSV text file")
    try:
        zone = zoneinfo.ZoneInfo(time_zone)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise RuleInputError(f"unknown time zone {time_zone!r}") from None
    sample = text[:2048]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    rows = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        header = next(rows)
    except StopIteration:
        raise RuleInputError("the temperature log is empty") from None
    except csv.Error as exc:
        raise RuleInputError(f"line 1: {exc}") from None
    t_col = _column(header, _TIME_NAMES, "time")
    c_col = _column(header, _TEMP_NAMES, "temperature")
    readings: list[Reading] = []
    try:
        for line, row in enumerate(rows, start=2):
            if not row or all(not cell.strip() for cell in row):
                continue
            if len(readings) >= MAX_ROWS:
                raise RuleInputError(f"the temperature log has more than {MAX_ROWS} readings")
            if len(row) <= max(t_col, c_col):
                raise RuleInputError(f"line {line}: expected at least {max(t_col, c_col) + 1} columns, got {len(row)}")
            reading = Reading(_time(row[t_col], zone, line), _celsius(row[c_col], line))
            if readings and reading.at < readings[-1].at:
                raise RuleInputError(f"line {line}: time {reading.at.isoformat()} is before the reading above it")
            readings.append(reading)
    except csv.Error as exc:
        raise RuleInputError(f"the temperature log is not valid CSV: {exc}") from None
    if not readings:
        raise RuleInputError("the temperature log has a header but no readings")
    return tuple(readings)


def find_excursions(readings: Sequence[Reading], *, max_c: float | None = DEFAULT_MAX_C,
                    min_c: float | None = None) -> TemperatureLog:
    """Group consecutive out-of-range readings into excursions (inclusive limits are within range)."""
    if max_c is None and min_c is None:
        raise RuleInputError("give an upper or a lower temperature limit (°C)")
    if max_c is not None and min_c is not None and min_c >= max_c:
        raise RuleInputError(f"the lower limit {min_c:g} °C must be below the upper limit {max_c:g} °C")
    excursions: list[Excursion] = []
    run: list[Reading] = []

    def outside(r: Reading) -> bool:
        return (max_c is not None and r.celsius > max_c) or (min_c is not None and r.celsius < min_c)

    def close() -> None:
        if run:
            worst = max(run, key=lambda r: max(r.celsius - (max_c if max_c is not None else math.inf),
                                                 (min_c if min_c is not None else -math.inf) - r.celsius))
            excursions.append(Excursion(run[0].at, run[-1].at, worst.celsius, len(run)))
            run.clear()

    for reading in readings:
        if outside(reading):
            run.append(reading)
        else:
            close()
    close()
    return TemperatureLog(tuple(readings), min_c, max_c, tuple(excursions))
