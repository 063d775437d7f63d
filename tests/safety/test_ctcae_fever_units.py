"""CTCAE v5.0 Fever row and unit conversions.

Fever (SOC General disorders): G1 38.0 – 39.0 °C (100.4 – 102.2 °F); G2 >39.0 – 40.0 °C
(102.3 – 104.0 °F); G3 >40.0 °C (>104.0 °F) for ≤24 hrs; G4 >40.0 °C for >24 hrs.
Conversion factors: Hb 1 g/dL = 10 g/L (CTCAE Anemia row "10.0 g/dL; 100 g/L"); bilirubin
1 mg/dL = 17.1 µmol/L; creatinine 1 mg/dL = 88.4 µmol/L; 1000/mm³ = 1 × 10^9/L (CTCAE
Neutrophil row "1500/mm3; 1.5 x 10e9 /L"); °C = (°F − 32) × 5/9.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from celltrial.safety.ctcae import (
    CtcaeInputError,
    MissingReferenceError,
    Quantity,
    UnknownUnitError,
    convert,
    grade_fever,
)


@pytest.mark.parametrize(
    ("celsius", "expected"),
    [
        ("37.9", 0),
        ("38.0", 1),  # G1 "38.0 – 39.0" includes 38.0
        ("39.0", 1),
        ("39.01", 2),
        ("40.0", 2),
    ],
)
def test_fever_celsius_boundaries(celsius: str, expected: int) -> None:
    assert grade_fever(celsius, "°C").grade == expected


@pytest.mark.parametrize(
    ("fahrenheit", "expected"),
    [("100.3", 0), ("100.4", 1), ("102.2", 1), ("102.3", 2), ("104.0", 2)],
)
def test_fever_fahrenheit_boundaries_from_the_row(fahrenheit: str, expected: int) -> None:
    assert grade_fever(fahrenheit, "°F").grade == expected


@pytest.mark.parametrize(
    ("hours", "expected"),
    [("0.5", 3), ("24", 3), ("24.01", 4), ("72", 4)],  # "for ≤24 hrs" is G3, ">24 hrs" is G4
)
def test_fever_above_40_duration_decides_3_or_4(hours: str, expected: int) -> None:
    assert grade_fever("40.1", "C", duration_hours=hours).grade == expected
    assert grade_fever("104.2", "F", duration_hours=hours).grade == expected


def test_fever_above_40_without_duration_is_refused() -> None:
    with pytest.raises(MissingReferenceError, match="duration"):
        grade_fever("40.5", "C")


def test_fever_duration_is_ignored_at_or_below_40() -> None:
    assert grade_fever("39.5", "C", duration_hours=100).grade == 2


@pytest.mark.parametrize(("value", "unit"), [("104", "C"), ("20", "C"), ("38", "K")])
def test_implausible_or_unknown_temperature_refused(value: str, unit: str) -> None:
    with pytest.raises(CtcaeInputError):
        grade_fever(value, unit)


def test_negative_duration_refused() -> None:
    with pytest.raises(CtcaeInputError, match="duration_hours"):
        grade_fever("40.5", "C", duration_hours=-1)


@pytest.mark.parametrize(
    ("value", "src", "dst", "quantity", "expected"),
    [
        ("10.0", "g/dL", "g/L", Quantity.HAEMOGLOBIN, "100"),
        ("80", "g/L", "g/dL", Quantity.HAEMOGLOBIN, "8"),
        ("1", "mg/dL", "µmol/L", Quantity.BILIRUBIN, "17.1"),
        ("34.2", "umol/L", "mg/dL", Quantity.BILIRUBIN, "2"),
        ("1", "mg/dL", "umol/L", Quantity.CREATININE, "88.4"),
        ("44.2", "μmol/L", "mg/dL", Quantity.CREATININE, "0.5"),  # Greek mu accepted
        ("1500", "/mm³", "10^9/L", Quantity.CELL_COUNT, "1.5"),
        ("75", "10^9/L", "/mm3", Quantity.CELL_COUNT, "75000"),
        ("100.4", "°F", "°C", Quantity.TEMPERATURE, "38"),
        ("40", "C", "F", Quantity.TEMPERATURE, "104"),
    ],
)
def test_unit_conversions(value: str, src: str, dst: str, quantity: Quantity, expected: str) -> None:
    assert convert(value, src, dst, quantity) == Decimal(expected)


def test_unknown_unit_names_the_accepted_ones() -> None:
    with pytest.raises(UnknownUnitError, match="g/dL"):
        convert("10", "mmol/L", "g/L", Quantity.HAEMOGLOBIN)


def test_largest_plausible_cell_count_in_per_mm3_still_grades() -> None:
    # The 10^9 magnitude guard must not refuse real values: WBC 500,000/mm³ (hyperleukocytosis) is
    # 500 × 10^9/L (CTCAE v5.0 conversion 1000/mm³ = 1.0 × 10^9/L) and is simply not decreased.
    from celltrial.safety.ctcae import grade_lab

    assert grade_lab("wbc", 500000, "/mm3", lln=4.0).grade == 0
