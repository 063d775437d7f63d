"""CTCAE v5.0 grades of lab results and of fever, through the platform's grading library.

A result is graded in SI against the reference row in force for the child (ULN/LLN) and, where the
grader uses one, the child's baseline: for ALT, AST and bilirubin an abnormal baseline (above the ULN)
switches to the "baseline abnormal" series; for creatinine the baseline multiples are a second route to
Grades 2–3 (which, with a child's low creatinine, often gives the higher grade). The baseline is the last
result of the analyte before dosing (the services choose it). A grade the library cannot decide (no ULN in
the reference set, say) is ``None`` with the reason, never a guess.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from celltrial.labs.rules.panels import Analyte
from celltrial.safety.ctcae import (
    CTCAE_VERSION,
    LAB_TERMS,
    CtcaeInputError,
    MissingReferenceError,
    grade_fever,
    grade_lab,
)


@dataclass(frozen=True)
class LabGrade:
    grade: int | None
    term: str  # the CTCAE term name ("Alanine aminotransferase increased"); blank when none applies
    version: str
    criterion: str


NO_TERM = LabGrade(None, "", "", "")


def _si(analyte: Analyte) -> str:
    """The unit label the grading library accepts for this analyte's SI unit."""
    return {"×10⁹/L": "10^9/L"}.get(analyte.si_unit, analyte.si_unit)


def grade_result(analyte: Analyte, si_value: Decimal, *, low: Decimal | None, high: Decimal | None,
                 baseline: Decimal | None = None) -> LabGrade:
    """The CTCAE v5.0 grade of one result in SI (``low``/``high`` the reference row's LLN/ULN)."""
    if not analyte.ctcae_term:
        return NO_TERM
    term = LAB_TERMS[analyte.ctcae_term]
    usable_baseline = baseline if baseline is not None and baseline > 0 else None
    try:
        result = grade_lab(term, si_value, _si(analyte), uln=high if high and high > 0 else None,
                           lln=low if low and low > 0 else None, baseline=usable_baseline)
    except MissingReferenceError as exc:
        return LabGrade(None, term.name, CTCAE_VERSION, f"not graded: {exc}")
    except CtcaeInputError as exc:
        return LabGrade(None, term.name, CTCAE_VERSION, f"not graded: {exc}")
    return LabGrade(result.grade, result.term_name, result.version, result.criterion)


def grade_fever_reading(temperature_c: Decimal) -> LabGrade:
    """CTCAE v5.0 Fever for one infusion-day reading. Above 40.0 °C the grade needs the hours spent there
    (Grade 3 ≤ 24 h, Grade 4 > 24 h): a single reading cannot tell, so it is graded 3 with that said."""
    try:
        result = grade_fever(temperature_c, "°C")
    except MissingReferenceError:
        result = grade_fever(temperature_c, "°C", duration_hours=0)
        return LabGrade(result.grade, result.term_name, result.version,
                        f"{temperature_c} °C > 40.0 °C: Grade 3 (>40.0 °C for ≤24 hrs) until it has stayed above "
                        "40.0 °C for more than 24 h (Grade 4)")
    return LabGrade(result.grade, result.term_name, result.version, result.criterion)
