"""Unit conversions against the cited factors (labs/rules/units.py).

The mass-to-molar factors are derived here from the molar masses, computed from the IUPAC standard atomic
weights (abridged, IUPAC CIAAW 2021: C 12.011, H 1.008, N 14.007, O 15.999), and compared with the rounded
factors of the published SI conversion tables (Young DS, Ann Intern Med 1987;106:114–129; AMA Manual of
Style SI table) that the code uses: creatinine 88.4, bilirubin 17.1, urea nitrogen 0.357, urea 0.1665.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from celltrial.labs.rules import ANALYTES, UnitError, convert, normalise_unit, to_si
from celltrial.labs.rules import units as u

ATOMIC = {"C": Decimal("12.011"), "H": Decimal("1.008"), "N": Decimal("14.007"), "O": Decimal("15.999")}


def molar_mass(formula: dict[str, int]) -> Decimal:
    return sum((ATOMIC[el] * n for el, n in formula.items()), Decimal(0))


@pytest.mark.parametrize(("table", "formula", "published"), [
    (u.CREATININE, {"C": 4, "H": 7, "N": 3, "O": 1}, "88.4"),      # creatinine C4H7N3O
    (u.BILIRUBIN, {"C": 33, "H": 36, "N": 4, "O": 6}, "17.1"),     # bilirubin C33H36N4O6
])
def test_mg_per_dl_to_umol_per_l_is_ten_over_the_molar_mass(table, formula, published):
    # 1 mg/dL = 10 mg/L; 10 mg/L ÷ M (mg/mmol) = 10/M mmol/L = 10 000/M µmol/L
    derived = Decimal(10_000) / molar_mass(formula)
    assert to_si("1", "mg/dL", table) == Decimal(published)
    assert abs(derived - Decimal(published)) < Decimal("0.05")  # the published factor is the rounded derivation


def test_urea_nitrogen_and_urea_factors_follow_from_their_molar_masses():
    bun = Decimal(10) / molar_mass({"N": 2})  # 1 mg/dL of urea nitrogen → mmol/L urea (2 N per molecule)
    urea = Decimal(10) / molar_mass({"C": 1, "H": 4, "N": 2, "O": 1})
    assert to_si("1", "mg/dL", u.UREA) == Decimal("0.357") and abs(bun - Decimal("0.357")) < Decimal("0.0005")
    assert to_si("1", "mg/dL urea", u.UREA) == Decimal("0.1665") and abs(urea - Decimal("0.1665")) < Decimal("0.0001")


def test_haemoglobin_g_per_dl_and_g_per_l_both_ways():
    # CTCAE v5.0 Anemia row: "<LLN - 10.0 g/dL; <LLN - 100 g/L"
    assert convert("10.0", "g/dL", "g/L", u.HAEMOGLOBIN) == Decimal("100.0")
    assert convert("128", "g/L", "g/dL", u.HAEMOGLOBIN) == Decimal("12.8")


def test_creatinine_and_bilirubin_back_to_mg_per_dl():
    assert convert("88.4", "µmol/L", "mg/dL", u.CREATININE) == Decimal(1)
    assert convert("34.2", "umol/L", "mg/dL", u.BILIRUBIN) == Decimal(2)


def test_cell_counts_per_cubic_millimetre_and_per_microlitre():
    # CTCAE v5.0 Neutrophil count decreased: "<1500/mm3; <1.5 x 10e9 /L"
    assert to_si("1500", "/mm³", u.CELL_COUNT) == Decimal("1.5")
    assert to_si("1500", "cells/uL", u.CELL_COUNT) == Decimal("1.5")
    assert to_si("6.8", "×10⁹/L", u.CELL_COUNT) == Decimal("6.8") == to_si("6.8", "10^3/µL", u.CELL_COUNT)


def test_enzyme_activity_in_microkatal():
    # 1 U = 1 µmol/min and 1 kat = 1 mol/s, so 1 µkat/L = 60 U/L
    assert to_si("0.5", "µkat/L", u.ENZYME) == Decimal("30.0")


def test_spellings_normalise_and_unknown_units_name_the_accepted_ones():
    assert normalise_unit(" ×10⁹/L ") == normalise_unit("10^9/l") == normalise_unit("10e9/L")
    assert normalise_unit("μmol/L") == normalise_unit("µmol/L") == "umol/l"  # Greek mu and the micro sign
    with pytest.raises(UnitError, match="mg/dL"):
        ANALYTES["CREAT"].to_si("40", "mmol/L")
    for bad in ("abc", "1e999", "NaN", True):
        with pytest.raises(UnitError):
            ANALYTES["ALT"].to_si(bad, "U/L")


def test_every_analyte_accepts_its_own_si_unit_unchanged():
    for code in ANALYTES.values():
        assert code.to_si("7", code.si_unit) == Decimal(7), code.code
