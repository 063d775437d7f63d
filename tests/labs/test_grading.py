"""CTCAE v5.0 grades of lab results through the grading library, for worked examples at each boundary.

Source: NCI CTCAE v5.0 (27 Nov 2017), SOC Investigations, SOC Blood and lymphatic system disorders and SOC
General disorders (Fever); boundary convention of the table: ">a – b" means a < x ≤ b.
"""

from __future__ import annotations

from decimal import Decimal as D

import pytest

from celltrial.labs.rules import ANALYTES, grade_fever_reading, grade_result

ALT, CREAT, ANC, HB, TBIL, PLT = (ANALYTES[c] for c in ("ALT", "CREAT", "ANC", "HB", "TBIL", "PLT"))


@pytest.mark.parametrize(("value", "grade"), [
    # "Alanine aminotransferase increased", baseline normal, ULN 40 U/L:
    # G1 >ULN – 3.0 × ULN; G2 >3.0 – 5.0 × ULN; G3 >5.0 – 20.0 × ULN; G4 >20.0 × ULN
    ("40", 0), ("41", 1), ("120", 1), ("121", 2), ("200", 2), ("201", 3), ("800", 3), ("801", 4),
])
def test_alt_with_a_normal_baseline_at_each_uln_multiple(value, grade):
    result = grade_result(ALT, D(value), low=D(5), high=D(40), baseline=D(24))
    assert (result.grade, result.term, result.version) == (grade, "Alanine aminotransferase increased", "5.0")


@pytest.mark.parametrize(("value", "grade"), [
    # ALT increased, baseline abnormal (60 U/L > ULN 40): G1 1.5 – 3.0 × baseline (1.5 × baseline inclusive);
    # G2 >3.0 – 5.0 × baseline; G3 >5.0 – 20.0 × baseline; G4 >20.0 × baseline
    ("89", 0), ("90", 1), ("180", 1), ("181", 2), ("300", 2), ("301", 3), ("1200", 3), ("1201", 4),
])
def test_alt_with_an_abnormal_baseline_uses_baseline_multiples(value, grade):
    assert grade_result(ALT, D(value), low=D(5), high=D(40), baseline=D(60)).grade == grade


def test_an_abnormal_baseline_changes_the_grade_of_the_same_value():
    # 150 U/L: 3.75 × ULN (Grade 2, baseline normal) but 2.5 × a baseline of 60 (Grade 1, baseline abnormal)
    assert grade_result(ALT, D(150), low=D(5), high=D(40), baseline=D(30)).grade == 2
    assert grade_result(ALT, D(150), low=D(5), high=D(40), baseline=D(60)).grade == 1


def test_paediatric_creatinine_baseline_multiple_gives_the_higher_grade():
    # "Creatinine increased": G2 >1.5 – 3.0 × baseline; >1.5 – 3.0 × ULN. G3 >3.0 × baseline; >3.0 – 6.0 × ULN.
    # A child: ULN 62 µmol/L, baseline 30 µmol/L. 95 µmol/L is 1.53 × ULN (Grade 2) but 3.17 × baseline (Grade 3).
    assert grade_result(CREAT, D(95), low=D(27), high=D(62), baseline=D(30)).grade == 3
    assert grade_result(CREAT, D(95), low=D(27), high=D(62), baseline=None).grade == 2
    # exactly 3.0 × baseline is not "> 3.0 × baseline": Grade 2
    assert grade_result(CREAT, D(90), low=D(27), high=D(62), baseline=D(30)).grade == 2


def test_creatinine_entered_in_mg_per_dl_is_graded_in_si():
    # 1.2 mg/dL × 88.4 = 106.08 µmol/L > 1.5 × ULN 62 (93) and ≤ 3.0 × ULN: Grade 2
    si = CREAT.to_si("1.2", "mg/dL")
    assert grade_result(CREAT, si, low=D(27), high=D(62)).grade == 2


@pytest.mark.parametrize(("value", "grade"), [
    # "Neutrophil count decreased": G1 <LLN – 1.5 × 10^9/L; G2 <1.5 – 1.0; G3 <1.0 – 0.5; G4 <0.5
    ("1.8", 0), ("1.7", 1), ("1.5", 1), ("1.49", 2), ("1.0", 2), ("0.99", 3), ("0.5", 3), ("0.49", 4),
])
def test_neutrophils_lln_gates_grade_1_only(value, grade):
    assert grade_result(ANC, D(value), low=D("1.8"), high=D("8.0")).grade == grade


def test_a_grade_4_count_needs_no_lln_but_grade_1_does():
    assert grade_result(ANC, D("0.4"), low=None, high=None).grade == 4
    undecided = grade_result(ANC, D("1.7"), low=None, high=None)
    assert undecided.grade is None and "not graded" in undecided.criterion and "LLN" in undecided.criterion


def test_anemia_from_g_per_dl_and_its_value_only_ceiling():
    # "Anemia": G1 <LLN – 10.0 g/dL; G2 <10.0 – 8.0 g/dL; G3 <8.0 g/dL. G4 is clinical, never a value.
    assert grade_result(HB, HB.to_si("9.9", "g/dL"), low=D(115), high=D(155)).grade == 2
    assert grade_result(HB, HB.to_si("8.0", "g/dL"), low=D(115), high=D(155)).grade == 2
    assert grade_result(HB, HB.to_si("4.0", "g/dL"), low=D(115), high=D(155)).grade == 3


def test_bilirubin_in_mg_per_dl_against_a_uln_in_si():
    # "Blood bilirubin increased": G2 >1.5 – 3.0 × ULN. 2.0 mg/dL = 34.2 µmol/L; ULN 21 → 1.63 × ULN
    assert grade_result(TBIL, TBIL.to_si("2.0", "mg/dL"), low=D("3.4"), high=D(21)).grade == 2


def test_platelets_absolute_grade_2():
    # "Platelet count decreased": G2 <75.0 – 50.0 × 10^9/L
    assert grade_result(PLT, PLT.to_si("60000", "/mm³"), low=D(150), high=D(450)).grade == 2


def test_analytes_without_a_ctcae_row_are_not_graded():
    for code in ("BUN", "INR", "APTT"):
        result = grade_result(ANALYTES[code], D(99), low=D(1), high=D(2))
        assert result.grade is None and result.term == ""


@pytest.mark.parametrize(("celsius", "grade"), [
    # "Fever": G1 38.0 – 39.0 °C; G2 >39.0 – 40.0 °C; G3 >40.0 °C for ≤24 hrs
    ("37.9", 0), ("38.0", 1), ("39.0", 1), ("39.1", 2), ("40.0", 2), ("40.1", 3),
])
def test_fever_boundaries(celsius, grade):
    result = grade_fever_reading(D(celsius))
    assert (result.grade, result.term, result.version) == (grade, "Fever", "5.0")
