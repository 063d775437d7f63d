"""CTCAE v5.0 laboratory grading, checked boundary by boundary against the published rows.

Source for every expected grade: NCI CTCAE v5.0 (27 Nov 2017), term rows as transcribed in
pharmaverse/admiral data-raw/adlb_grading/ncictcaev5.json. Convention: ">a – b" = a < x ≤ b and
"<a – b" = b ≤ x < a, so each boundary is tested exactly on it and just past it.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from celltrial.safety.ctcae import (
    CtcaeInputError,
    MissingReferenceError,
    UnknownTermError,
    UnknownUnitError,
    grade,
    grade_lab,
)

EPS = Decimal("0.001")


def _g(term: str, value: object, unit: str, **refs: object) -> int:
    return grade_lab(term, value, unit, **refs).grade


# --- ALT / AST increased: ">ULN – 3.0 × ULN; >3.0 – 5.0; >5.0 – 20.0; >20.0 × ULN" (baseline normal)
# and "1.5 – 3.0 × baseline; >3.0 – 5.0; >5.0 – 20.0; >20.0 × baseline" (baseline abnormal).


@pytest.mark.parametrize("term", ["alt", "ast"])
@pytest.mark.parametrize(
    ("multiple", "on_grade", "above_grade"),
    [(1, 0, 1), (3, 1, 2), (5, 2, 3), (20, 3, 4)],
)
def test_aminotransferase_uln_boundaries_baseline_normal(
    term: str, multiple: int, on_grade: int, above_grade: int
) -> None:
    uln = Decimal(40)
    on = uln * multiple
    assert _g(term, on, "U/L", uln=uln) == on_grade
    assert _g(term, on + EPS, "U/L", uln=uln) == above_grade


@pytest.mark.parametrize("term", ["alt", "ast"])
def test_aminotransferase_normal_baseline_keeps_uln_series(term: str) -> None:
    # CTCAE v5.0 ALT/AST row: "if baseline was normal" the ULN multiples apply; baseline 35 ≤ ULN 40.
    assert _g(term, 121, "U/L", uln=40, baseline=35) == 2
    assert _g(term, 120, "U/L", uln=40, baseline=35) == 1


@pytest.mark.parametrize("term", ["alt", "ast"])
@pytest.mark.parametrize(
    ("multiple", "below_grade", "on_grade", "above_grade"),
    [
        # Grade 1 "1.5 – 3.0 × baseline" has no ">": 1.5 × baseline itself is Grade 1.
        (Decimal("1.5"), 0, 1, 1),
        (Decimal("3.0"), 1, 1, 2),
        (Decimal("5.0"), 2, 2, 3),
        (Decimal("20.0"), 3, 3, 4),
    ],
)
def test_aminotransferase_abnormal_baseline_boundaries(
    term: str, multiple: Decimal, below_grade: int, on_grade: int, above_grade: int
) -> None:
    uln, baseline = Decimal(40), Decimal(80)  # baseline 2 × ULN: abnormal
    on = baseline * multiple
    assert _g(term, on - EPS, "U/L", uln=uln, baseline=baseline) == below_grade
    assert _g(term, on, "U/L", uln=uln, baseline=baseline) == on_grade
    assert _g(term, on + EPS, "U/L", uln=uln, baseline=baseline) == above_grade


def test_alt_abnormal_baseline_changes_the_grade() -> None:
    # ALT 250 U/L, ULN 40: 6.25 × ULN → Grade 3 on the ULN series; with baseline 100 (abnormal)
    # it is 2.5 × baseline → Grade 1 on the baseline series (CTCAE v5.0 ALT row).
    assert _g("alt", 250, "U/L", uln=40) == 3
    result = grade_lab("alt", 250, "U/L", uln=40, baseline=100)
    assert result.grade == 1
    assert "baseline" in result.criterion


def test_alt_abnormal_baseline_below_one_and_a_half_times_is_grade_0() -> None:
    # Above the ULN but below 1.5 × an abnormal baseline: no v5.0 criterion is met.
    assert _g("alt", 140, "U/L", uln=40, baseline=100) == 0


# --- Blood bilirubin increased: ">ULN – 1.5; >1.5 – 3.0; >3.0 – 10.0; >10.0 × ULN";
# baseline abnormal: ">1.0 – 1.5; >1.5 – 3.0; >3.0 – 10.0; >10.0 × baseline".


@pytest.mark.parametrize(
    ("multiple", "on_grade", "above_grade"),
    [(Decimal(1), 0, 1), (Decimal("1.5"), 1, 2), (Decimal(3), 2, 3), (Decimal(10), 3, 4)],
)
def test_bilirubin_uln_boundaries(multiple: Decimal, on_grade: int, above_grade: int) -> None:
    uln = Decimal(21)
    assert _g("bilirubin", uln * multiple, "umol/L", uln=uln) == on_grade
    assert _g("bilirubin", uln * multiple + EPS, "umol/L", uln=uln) == above_grade


@pytest.mark.parametrize(
    ("multiple", "on_grade", "above_grade"),
    [(Decimal(1), 0, 1), (Decimal("1.5"), 1, 2), (Decimal(3), 2, 3), (Decimal(10), 3, 4)],
)
def test_bilirubin_abnormal_baseline_boundaries(multiple: Decimal, on_grade: int, above_grade: int) -> None:
    uln, baseline = Decimal(21), Decimal(30)
    assert _g("bilirubin", baseline * multiple, "umol/L", uln=uln, baseline=baseline) == on_grade
    assert _g("bilirubin", baseline * multiple + EPS, "umol/L", uln=uln, baseline=baseline) == above_grade


def test_bilirubin_mg_dl_boundary_lands_exactly() -> None:
    # 1.5 mg/dL against ULN 1.0 mg/dL is exactly 1.5 × ULN: Grade 1 (">1.5" is Grade 2); 1 mg/dL = 17.1 µmol/L.
    assert _g("bilirubin", "1.5", "mg/dL", uln="1.0") == 1
    assert _g("bilirubin", "1.51", "mg/dL", uln="1.0") == 2


# --- Creatinine increased: G1 ">ULN – 1.5 × ULN"; G2 ">1.5 – 3.0 × baseline; >1.5 – 3.0 × ULN";
# G3 ">3.0 baseline; >3.0 – 6.0 × ULN"; G4 ">6.0 × ULN".


@pytest.mark.parametrize(
    ("multiple", "on_grade", "above_grade"),
    [(Decimal(1), 0, 1), (Decimal("1.5"), 1, 2), (Decimal(3), 2, 3), (Decimal(6), 3, 4)],
)
def test_creatinine_uln_boundaries(multiple: Decimal, on_grade: int, above_grade: int) -> None:
    uln = Decimal(60)
    assert _g("creatinine", uln * multiple, "umol/L", uln=uln) == on_grade
    assert _g("creatinine", uln * multiple + EPS, "umol/L", uln=uln) == above_grade


@pytest.mark.parametrize(
    ("multiple", "on_grade", "above_grade"), [(Decimal("1.5"), 1, 2), (Decimal(3), 2, 3)]
)
def test_creatinine_baseline_boundaries(multiple: Decimal, on_grade: int, above_grade: int) -> None:
    # ULN high enough that only the baseline multiples can decide; value above ULN keeps G1 floor.
    uln, baseline = Decimal(40), Decimal(30)
    on = baseline * multiple
    expected_on = max(on_grade, 1 if on > uln else 0)
    assert _g("creatinine", on, "umol/L", uln=uln, baseline=baseline) == expected_on
    assert _g("creatinine", on + EPS, "umol/L", uln=uln, baseline=baseline) == above_grade


def test_paediatric_creatinine_baseline_multiple_beats_uln_multiple() -> None:
    # A child: ULN 60 µmol/L, baseline 30 µmol/L, value 95 µmol/L.
    # ULN series: 95/60 = 1.58 × ULN → Grade 2. Baseline series: 95/30 = 3.17 × baseline → Grade 3.
    # CTCAE v5.0 Creatinine row G3 ">3.0 baseline": the higher grade wins.
    assert _g("creatinine", 95, "umol/L", uln=60) == 2
    result = grade_lab("creatinine", 95, "umol/L", uln=60, baseline=30)
    assert result.grade == 3
    assert "baseline" in result.criterion


def test_paediatric_creatinine_in_mg_dl() -> None:
    # 0.9 mg/dL, ULN 0.7, baseline 0.25: ULN series 1.29 × ULN → G1; baseline 3.6 × → G3.
    assert _g("creatinine", "0.9", "mg/dL", uln="0.7") == 1
    assert _g("creatinine", "0.9", "mg/dL", uln="0.7", baseline="0.25") == 3


# --- Decreased counts: "<LLN – a" (G1), "<a – b" (G2), "<b – c" (G3), "<c" (G4), 10^9/L.


@pytest.mark.parametrize(
    ("term", "g2", "g3", "g4"),
    [
        ("neutrophils", "1.5", "1.0", "0.5"),  # Neutrophil count decreased
        ("platelets", "75", "50", "25"),  # Platelet count decreased
        ("wbc", "3.0", "2.0", "1.0"),  # White blood cell decreased
        ("lymphocytes", "0.8", "0.5", "0.2"),  # Lymphocyte count decreased
    ],
)
def test_count_boundaries_both_sides(term: str, g2: str, g3: str, g4: str) -> None:
    lln = Decimal(g2) * 2
    for limit, grade_at_limit, grade_below in (
        (lln, 0, 1),
        (Decimal(g2), 1, 2),
        (Decimal(g3), 2, 3),
        (Decimal(g4), 3, 4),
    ):
        assert _g(term, limit, "10^9/L", lln=lln) == grade_at_limit, (term, limit)
        assert _g(term, limit - EPS, "10^9/L", lln=lln) == grade_below, (term, limit)


def test_absolute_counts_ignore_lln_above_grade_1() -> None:
    # CTCAE v5.0 Neutrophil row: G2 "<1.5 × 10^9/L" is absolute; a low LLN (benign ethnic
    # neutropenia) does not stop ANC 1.3 from being Grade 2 (domain note §3.1).
    assert _g("neutrophils", "1.3", "10^9/L", lln="1.2") == 2


def test_grade_2_to_4_counts_need_no_lln() -> None:
    assert _g("platelets", 20, "10^9/L") == 4
    with pytest.raises(MissingReferenceError, match="LLN"):
        grade_lab("platelets", 140, "10^9/L")


@pytest.mark.parametrize(
    ("value", "unit", "lln", "expected"),
    [
        # exactly 1500/mm³ = 1.5 × 10^9/L is not "<1500", so only Grade 1 (< LLN 2000/mm³)
        ("1500", "/mm3", "2000", 1),
        ("1499", "/mm3", "2000", 2),
        ("999", "cells/uL", "2000", 3),
        ("499", "/µL", "2000", 4),
        ("1.0", "10^3/uL", "2.0", 2),
    ],
)
def test_neutrophils_per_mm3(value: str, unit: str, lln: str, expected: int) -> None:
    # CTCAE v5.0 Neutrophil row gives both "1500/mm3" and "1.5 x 10e9 /L": 1000/mm³ = 1 × 10^9/L.
    assert _g("neutrophils", value, unit, lln=lln) == expected


# --- Anemia: "<LLN – 100 g/L" (G1), "<100 – 80 g/L" (G2), "<80 g/L; transfusion indicated" (G3).


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        ("120", "g/L", 0),  # = LLN
        ("119.9", "g/L", 1),
        ("100", "g/L", 1),
        ("99.9", "g/L", 2),
        ("80", "g/L", 2),
        ("79.9", "g/L", 3),
        ("10.0", "g/dL", 1),  # 10.0 g/dL = 100 g/L
        ("9.99", "g/dL", 2),
        ("8.0", "g/dL", 2),
        ("7.99", "g/dL", 3),
    ],
)
def test_anemia_boundaries(value: str, unit: str, expected: int) -> None:
    lln = "120" if unit == "g/L" else "12.0"
    assert _g("anemia", value, unit, lln=lln) == expected


def test_anemia_value_never_gives_grade_4() -> None:
    # CTCAE v5.0 Anemia G4 is "life-threatening consequences; urgent intervention indicated".
    assert _g("haemoglobin", 30, "g/L", lln=120) == 3


# --- Result object and input errors.


def test_result_carries_version_term_and_criterion_in_words() -> None:
    result = grade("ALT", 130, "U/L", uln=40)
    assert (result.term, result.term_name, result.version, result.suggested) == (
        "alt",
        "Alanine aminotransferase increased",
        "5.0",
        False,
    )
    assert "3.0 × ULN" in result.criterion
    assert result.to_dict()["version"] == "5.0"


def test_missing_uln_is_named() -> None:
    with pytest.raises(MissingReferenceError, match="ULN"):
        grade_lab("alt", 130, "U/L")
    with pytest.raises(MissingReferenceError, match="ULN"):
        grade_lab("bilirubin", 30, "umol/L", baseline=25)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"term": "alt", "value": 50, "unit": "mg/dL", "uln": 40}, UnknownUnitError, "U/L"),
        ({"term": "alt", "value": "abc", "unit": "U/L", "uln": 40}, CtcaeInputError, "value"),
        ({"term": "alt", "value": -5, "unit": "U/L", "uln": 40}, CtcaeInputError, "negative"),
        ({"term": "alt", "value": 50, "unit": "U/L", "uln": 0}, CtcaeInputError, "ULN"),
        ({"term": "alt", "value": float("nan"), "unit": "U/L", "uln": 40}, CtcaeInputError, "finite"),
        ({"term": "neutrophils", "value": 1, "unit": "10^9/L", "lln": 3, "uln": 2}, CtcaeInputError, "LLN"),
        ({"term": "ggt", "value": 1, "unit": "U/L"}, UnknownTermError, "unknown"),
    ],
)
def test_bad_input_is_refused_with_a_reason(
    kwargs: dict[str, object], error: type[Exception], match: str
) -> None:
    term = kwargs.pop("term")
    assert isinstance(term, str)
    with pytest.raises(error, match=match):
        grade(term, **kwargs)  # type: ignore[arg-type]


def test_errors_are_value_errors() -> None:
    assert issubclass(CtcaeInputError, ValueError)
