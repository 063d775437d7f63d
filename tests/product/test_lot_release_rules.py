"""Lot disposition and the per-participant dose (pure), against the shipped specifications."""

from __future__ import annotations

import pytest

from celltrial.product.demo import PASSING_RESULTS
from celltrial.product.rules import default_specification
from celltrial.product.rules.lot_release import Disposition, evaluate_lot, plan_allocation
from celltrial.product.rules.specification import default_specification_path, load_specification

V2 = load_specification(default_specification_path().with_name("hbmmsc-release-v2.yaml"))
VALUES = {k: v for k, (v, _unit, _method) in PASSING_RESULTS.items()}


def test_every_lot_test_passing_releases_and_recipient_tests_wait_for_allocation():
    evaluation = evaluate_lot(V2, VALUES)
    assert evaluation.disposition is Disposition.RELEASE
    assert evaluation.recipient_tests == ("VIABLE_DOSE", "ENDOTOXIN_PER_KG")
    assert "VIABLE_DOSE" not in [o.code for o in evaluation.outcomes]


def test_a_pending_sterility_is_a_conditional_release_only_where_the_specification_allows_it():
    without = {k: v for k, v in VALUES.items() if k != "sterility"}
    assert evaluate_lot(V2, without).disposition is Disposition.CONDITIONAL
    assert evaluate_lot(V2, without).pending == ("STERILITY",)
    v1 = evaluate_lot(default_specification(), without)  # v1 does not allow it
    assert v1.disposition is Disposition.REJECT and v1.missing == ("STERILITY",)


def test_a_failing_result_is_out_of_specification():
    evaluation = evaluate_lot(V2, {**VALUES, "cd105_pct": "93"})
    assert evaluation.disposition is Disposition.REJECT
    assert evaluation.out_of_specification == ("CD105",)
    assert any("CD105" in r and "does not meet" in r for r in evaluation.reasons)


def test_dose_and_volume_for_a_child_worked_example():
    """Protocol §dosing (ILLUSTRATIVE, clinical.md §1.1): 0.5 × 10⁶ cells/kg × 24.5 kg (Day −1) = 1.225 × 10⁷
    viable cells; at 5 × 10⁶ viable cells/mL that is 2.45 mL; endotoxin <0.1 EU/mL × 2.45 mL ÷ 24.5 kg
    = <0.01 EU/kg ≤ K = 5 EU/kg (USP <85>)."""
    plan = plan_allocation(V2, VALUES, dose_cells_per_kg=0.5e6, weight_kg=24.5, weight_cap_kg=60,
                           tolerance_fraction=0.20, viable_concentration_cells_per_ml=5e6, unit_volume_ml=10)
    assert plan.plan.viable_cells == pytest.approx(1.225e7)
    assert plan.volume_to_draw_ml == pytest.approx(2.45)
    assert plan.acceptable
    endotoxin = next(o for o in plan.recipient_outcomes if o.code == "ENDOTOXIN_PER_KG")
    assert endotoxin.observed == "<0.01 EU/kg"


def test_the_weight_cap_and_a_unit_too_small_for_the_dose():
    """2.0 × 10⁶ cells/kg × 72 kg capped at 60 kg = 1.2 × 10⁸ cells; a 10 mL unit at 5 × 10⁶/mL holds only
    5 × 10⁷ (58.3 % below): outside ±20 %, so the unit cannot give the dose."""
    plan = plan_allocation(V2, VALUES, dose_cells_per_kg=2e6, weight_kg=72, weight_cap_kg=60, tolerance_fraction=0.2,
                           viable_concentration_cells_per_ml=5e6, unit_volume_ml=10)
    assert plan.plan.dosing_weight_kg == 60 and plan.plan.viable_cells == pytest.approx(1.2e8)
    assert plan.volume_to_draw_ml == 10 and plan.delivered_cells == pytest.approx(5e7)
    assert not plan.acceptable
    assert "58.3% below" in plan.reasons[0]


def test_a_unit_just_within_tolerance_gives_all_it_holds():
    # Needs 1.2e7 cells (2.4 mL at 5e6/mL); a 2.0 mL unit gives 1.0e7: 16.7 % below, within ±20 %.
    plan = plan_allocation(V2, VALUES, dose_cells_per_kg=0.5e6, weight_kg=24, weight_cap_kg=60,
                           tolerance_fraction=0.2, viable_concentration_cells_per_ml=5e6, unit_volume_ml=2.0)
    assert plan.acceptable and plan.volume_to_draw_ml == 2.0
