"""CTCAE v5.0 "Fever" (SOC General disorders and administration site conditions).

Row: G1 38.0 – 39.0 °C (100.4 – 102.2 °F); G2 >39.0 – 40.0 °C (102.3 – 104.0 °F);
G3 >40.0 °C (>104.0 °F) for ≤24 hrs; G4 >40.0 °C (>104.0 °F) for >24 hrs; G5 death.
G1 has no ">" so 38.0 °C itself is Grade 1. Confirmed against a published transcription of the
v5.0 row (themelanomanurse.org/fever, "CTCAE grading of fever"); the cut-offs are absolute, with
no reference range. ``duration_hours`` is how long the temperature stayed above 40.0 °C; it is
required only when the temperature is above 40.0 °C, where it separates Grade 3 from Grade 4.
"""

from __future__ import annotations

from decimal import Decimal

from celltrial.safety.ctcae.errors import CtcaeInputError, MissingReferenceError
from celltrial.safety.ctcae.result import CTCAE_CITATION, GradeResult, format_number
from celltrial.safety.ctcae.units import Quantity, to_canonical, to_decimal

FEVER_NAME = "Fever"
FEVER_SOC = "General disorders and administration site conditions"
FEVER_GRADE_TEXT = {
    1: "38.0 – 39.0 °C (100.4 – 102.2 °F)",
    2: ">39.0 – 40.0 °C (102.3 – 104.0 °F)",
    3: ">40.0 °C (>104.0 °F) for ≤24 hrs",
    4: ">40.0 °C (>104.0 °F) for >24 hrs",
    5: "Death",
}

_G1, _G2, _G3 = Decimal("38.0"), Decimal("39.0"), Decimal("40.0")
_DAY_HOURS = Decimal(24)
# Readings outside this range are typing errors (e.g. °F entered as °C), not temperatures.
_PLAUSIBLE = (Decimal(25), Decimal(45))


def grade_fever(value: object, unit: str = "°C", *, duration_hours: object | None = None) -> GradeResult:
    """Grade a body temperature; ``duration_hours`` is the time spent above 40.0 °C."""
    celsius = to_canonical(to_decimal(value, "temperature"), unit, Quantity.TEMPERATURE)
    low, high = _PLAUSIBLE
    if not low <= celsius <= high:
        raise CtcaeInputError(
            f"temperature: {format_number(celsius)} °C is outside {low}–{high} °C; check the unit (°C or °F)"
        )
    hours: Decimal | None = None
    if duration_hours is not None:
        hours = to_decimal(duration_hours, "duration_hours")
        if hours < 0:
            raise CtcaeInputError(f"duration_hours: must not be negative, got {format_number(hours)} h")

    shown = f"{format_number(celsius)} °C"
    if celsius > _G3:
        if hours is None:
            raise MissingReferenceError(
                f"fever {shown} is above 40.0 °C: give the hours spent above 40.0 °C "
                "(--duration-hours) to tell Grade 3 (≤24 h) from Grade 4 (>24 h)"
            )
        grade = 4 if hours > _DAY_HOURS else 3
        why = f"{shown} > 40.0 °C for {format_number(hours)} h ({'>' if grade == 4 else '≤'}24 h)"
    elif celsius > _G2:
        grade, why = 2, f"{shown} > 39.0 °C and ≤ 40.0 °C"
    elif celsius >= _G1:
        grade, why = 1, f"{shown} ≥ 38.0 °C and ≤ 39.0 °C"
    else:
        grade, why = 0, f"{shown} < 38.0 °C: no CTCAE v5.0 fever criterion met"
    criterion = why if grade == 0 else f"{why}: Grade {grade} ({FEVER_GRADE_TEXT[grade]})"
    return GradeResult(
        term="fever",
        term_name=FEVER_NAME,
        grade=grade,
        criterion=criterion,
        value=celsius,
        unit="°C",
        source=f"{CTCAE_CITATION}, term '{FEVER_NAME}' ({FEVER_SOC})",
    )
