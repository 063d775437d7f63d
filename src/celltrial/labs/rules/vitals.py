"""Infusion-day vital signs: the protocol's time points around the start of the infusion and the plausible
range of each sign (a value outside it is a typing error — °F typed as °C, a swapped BP — not a reading).

Time points: before the start, then 15 min, 30 min, 1 h, 2 h and 4 h after it (issue 10 §5). A reading
"before" must be taken at or before the start, within an hour; a later one at or after the start. How far a
reading is from its nominal time is kept (minutes) so that a late reading is visible, not refused.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType

from celltrial.core.errors import InputError
from celltrial.labs.rules.units import UnitError, number


@dataclass(frozen=True)
class TimePoint:
    code: str
    minutes: int  # after the start of the infusion (0: before it)
    label_en: str
    label_zh: str


TIME_POINTS: tuple[TimePoint, ...] = (
    TimePoint("pre", 0, "Before infusion", "输注前"),
    TimePoint("15m", 15, "15 min", "15分钟"),
    TimePoint("30m", 30, "30 min", "30分钟"),
    TimePoint("1h", 60, "1 h", "1小时"),
    TimePoint("2h", 120, "2 h", "2小时"),
    TimePoint("4h", 240, "4 h", "4小时"),
)
BY_CODE: Mapping[str, TimePoint] = MappingProxyType({t.code: t for t in TIME_POINTS})

# sign -> (low, high, unit); inclusive plausibility limits for a child.
VITAL_LIMITS: Mapping[str, tuple[Decimal, Decimal, str]] = MappingProxyType({
    "temperature_c": (Decimal("30.0"), Decimal("43.0"), "°C"),
    "heart_rate": (Decimal(30), Decimal(250), "beats/min"),
    "systolic_bp": (Decimal(40), Decimal(250), "mmHg"),
    "diastolic_bp": (Decimal(20), Decimal(160), "mmHg"),
    "resp_rate": (Decimal(5), Decimal(80), "breaths/min"),
    "spo2": (Decimal(50), Decimal(100), "%"),
})
PRE_WINDOW = dt.timedelta(hours=1)


class VitalsError(InputError):
    """Refused vital signs; ``errors`` maps each field to its message."""

    def __init__(self, errors: dict[str, str]):
        self.errors = errors
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))


def check_vitals(time_point: str, started_at: dt.datetime, measured_at: dt.datetime,
                 values: Mapping[str, object]) -> tuple[dict[str, Decimal], int]:
    """The readings as numbers and the minutes between the reading and its nominal time; VitalsError names
    each refused field with its range and unit."""
    errors: dict[str, str] = {}
    point = BY_CODE.get(time_point)
    if point is None:
        errors["time_point"] = "use one of: " + ", ".join(BY_CODE)
    readings: dict[str, Decimal] = {}
    for name, (low, high, unit) in VITAL_LIMITS.items():
        raw = values.get(name)
        if raw in (None, ""):
            errors[name] = "required"
            continue
        try:
            found = number(raw, name)
        except UnitError as exc:
            errors[name] = str(exc)
            continue
        if not low <= found <= high:
            errors[name] = f"{found} {unit} is outside {low}–{high} {unit}"
            continue
        readings[name] = found
    if "systolic_bp" in readings and "diastolic_bp" in readings and readings["diastolic_bp"] >= readings["systolic_bp"]:
        errors["diastolic_bp"] = "the diastolic pressure must be below the systolic"
    deviation = 0
    if point is not None:
        nominal = started_at + dt.timedelta(minutes=point.minutes)
        if point.minutes == 0:
            if measured_at > started_at:
                errors["measured_at"] = "the reading before the infusion must be taken before it starts"
            elif started_at - measured_at > PRE_WINDOW:
                errors["measured_at"] = "the reading before the infusion must be within 1 h of its start"
        elif measured_at < started_at:
            errors["measured_at"] = "this reading is after the start of the infusion: its time cannot be before it"
        deviation = round((measured_at - nominal).total_seconds() / 60) if point.minutes else 0
    if errors:
        raise VitalsError(errors)
    return readings, deviation
