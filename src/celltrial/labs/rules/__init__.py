"""The labs room's pure rules (no Django): panels and their analytes, units and conversions to SI,
reference-range files and L/H flags, CTCAE v5.0 grades through ``celltrial.safety.ctcae``, and the
infusion-day vital-sign time points."""

from celltrial.labs.rules.grading import LabGrade, grade_fever_reading, grade_result
from celltrial.labs.rules.panels import ANALYTES, PANELS, Analyte, Panel, analyte, analytes_of
from celltrial.labs.rules.ranges import (
    RangeFileError,
    RangeRow,
    RangeSetData,
    flag,
    parse_range_file,
    select_row,
)
from celltrial.labs.rules.units import UnitError, convert, normalise_unit, to_si
from celltrial.labs.rules.vitals import TIME_POINTS, VITAL_LIMITS, TimePoint, VitalsError, check_vitals

__all__ = [
    "ANALYTES", "PANELS", "TIME_POINTS", "VITAL_LIMITS", "Analyte", "LabGrade", "Panel", "RangeFileError",
    "RangeRow", "RangeSetData", "TimePoint", "UnitError", "VitalsError", "analyte", "analytes_of", "check_vitals",
    "convert", "flag", "grade_fever_reading", "grade_result", "normalise_unit", "parse_range_file", "select_row",
    "to_si",
]
