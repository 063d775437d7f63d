"""Dose, volume and endotoxin arithmetic.

- Domain note §1.1 (ILLUSTRATIVE protocol): viable cells = dose (cells/kg) × screening/Day −1 weight,
  weight capped at 60 kg, release tolerance ±20 %; volume = cells ÷ viable concentration.
- USP <85> (USP 35, footnote 2): endotoxin limit = K/M, K = 5 EU/kg (any route but intrathecal),
  0.2 EU/kg intrathecal; M = maximum dose per kg. Published worked examples: 3 mL bolus for a 60 kg
  adult → M = 0.050 mL/kg → 100 EU/mL (IV) and 4 EU/mL (intrathecal) (pharmacalculation.com, 2023);
  2 mL for 70 kg → 175 EU/mL (pharmatreasures.com, 2020).
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from celltrial.product.rules import (
    K_INTRATHECAL_EU_PER_KG,
    K_INTRAVENOUS_EU_PER_KG,
    RuleInputError,
    check_tolerance,
    dosing_weight_kg,
    endotoxin_eu_per_kg,
    endotoxin_limit_eu_per_ml,
    plan_dose,
)


def test_usp85_k_values() -> None:
    assert K_INTRAVENOUS_EU_PER_KG == 5.0
    assert K_INTRATHECAL_EU_PER_KG == 0.2


def test_published_k_over_m_examples() -> None:
    assert endotoxin_limit_eu_per_ml(volume_ml=3, weight_kg=60) == pytest.approx(100.0)
    assert endotoxin_limit_eu_per_ml(3, 60, k_eu_per_kg=K_INTRATHECAL_EU_PER_KG) == pytest.approx(4.0)
    assert endotoxin_limit_eu_per_ml(2, 70) == pytest.approx(175.0)


def test_endotoxin_per_kg_is_concentration_times_volume_over_weight() -> None:
    # 0.5 EU/mL × 10 mL ÷ 20 kg = 0.25 EU/kg
    assert endotoxin_eu_per_kg(0.5, 10, 20) == pytest.approx(0.25)
    with pytest.raises(RuleInputError, match="recipient weight"):
        endotoxin_eu_per_kg(0.5, 10, 0)
    with pytest.raises(RuleInputError, match="EU/mL"):
        endotoxin_eu_per_kg(-1, 10, 20)


def test_dose_plan_for_the_protocol_example() -> None:
    # 1.0e6 cells/kg × 23.5 kg = 2.35e7 cells; at 5e6 cells/mL that is 4.7 mL
    plan = plan_dose(1.0e6, 23.5, 5.0e6)
    assert plan.viable_cells == pytest.approx(2.35e7)
    assert plan.volume_ml == pytest.approx(4.7)
    assert not plan.weight_capped


def test_weight_cap() -> None:
    plan = plan_dose(2.0e6, 75.0, 1.0e7)  # capped at 60 kg: 1.2e8 cells, 12 mL
    assert plan.weight_capped and plan.dosing_weight_kg == 60.0
    assert plan.viable_cells == pytest.approx(1.2e8) and plan.volume_ml == pytest.approx(12.0)
    assert plan_dose(2.0e6, 75.0, 1.0e7, weight_cap_kg=None).viable_cells == pytest.approx(1.5e8)
    assert dosing_weight_kg(60.0) == 60.0


@pytest.mark.parametrize(("dose", "weight", "conc", "message"), [
    (0, 20, 1e6, "dose"), (1e6, -3, 1e6, "body weight"), (1e6, 20, 0, "viable concentration"),
    (float("nan"), 20, 1e6, "dose"), (1e6, 20, "5e6", "viable concentration"),
])
def test_bad_dose_inputs_name_the_field_and_unit(dose, weight, conc, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(RuleInputError, match=message):
        plan_dose(dose, weight, conc)


@pytest.mark.parametrize(("delivered", "within"), [
    (2.82e7, True), (2.8201e7, False), (1.88e7, True), (1.8799e7, False), (2.35e7, True),
])
def test_tolerance_both_sides_of_twenty_percent(delivered: float, within: bool) -> None:
    check = check_tolerance(2.35e7, delivered)  # ±20 % of 2.35e7 = 1.88e7 … 2.82e7
    assert check.within_tolerance is within


def test_tolerance_refuses_nonsense() -> None:
    with pytest.raises(RuleInputError, match="tolerance"):
        check_tolerance(1e7, 1e7, tolerance_fraction=20)
    with pytest.raises(RuleInputError, match="delivered"):
        check_tolerance(1e7, -1)


@given(
    st.floats(1e4, 1e8), st.floats(1.0, 200.0), st.floats(1e4, 1e9),
    st.one_of(st.none(), st.floats(10.0, 120.0)),
)
def test_volume_times_concentration_equals_cells(dose: float, weight: float, conc: float, cap: float | None) -> None:
    plan = plan_dose(dose, weight, conc, weight_cap_kg=cap)
    assert math.isclose(plan.volume_ml * plan.viable_concentration_cells_per_ml, plan.viable_cells, rel_tol=1e-12)
    assert math.isclose(plan.viable_cells, dose * min(weight, cap if cap is not None else weight), rel_tol=1e-12)
