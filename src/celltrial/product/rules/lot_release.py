"""Lot disposition and the recipient's dose: the release evaluator split into what is known per lot and
what is known only once a unit is allocated to a participant (pure).

The release specification mixes two kinds of test:

- *lot tests* (identity, purity, viability, sterility, mycoplasma, endotoxin EU/mL, karyotype, passage,
  potency) are judged once per lot, before release;
- *recipient tests* (``viable_dose``: delivered viable cells within ±tolerance of dose × dosing weight;
  ``endotoxin_per_kg``: EU/mL × volume ÷ recipient weight ≤ K, USP <85>) need the participant's weight
  and the volume drawn, so they are judged when a unit is allocated to a dose (:func:`plan_allocation`).

Disposition of a lot (:func:`evaluate_lot`): REJECT when any lot test fails, or a required lot test has no
result and the specification does not allow it to be pending; CONDITIONAL when the only missing results
are tests the specification allows to be pending at release (``pending_allowed``); otherwise RELEASE.
A failing result is out of specification (OOS) and opens an investigation (21 CFR 211.192: "any
unexplained discrepancy ... shall be thoroughly investigated").
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from celltrial.core.messages import Msg
from celltrial.product.rules.dose import DosePlan, ToleranceCheck, check_tolerance, plan_dose
from celltrial.product.rules.errors import RuleInputError
from celltrial.product.rules.release import (
    LotResults,
    ReleaseEvaluation,
    TestOutcome,
    TestStatus,
    evaluate_release,
)
from celltrial.product.rules.specification import ReleaseSpecification, TestKind

RECIPIENT_KINDS = frozenset({TestKind.VIABLE_DOSE, TestKind.ENDOTOXIN_PER_KG})


class Disposition(StrEnum):
    RELEASE = "release"
    CONDITIONAL = "conditional"
    REJECT = "reject"


@dataclass(frozen=True)
class LotEvaluation:
    specification: str
    disposition: Disposition
    outcomes: tuple[TestOutcome, ...]
    pending: tuple[str, ...]           # codes of tests allowed pending and still without a result
    out_of_specification: tuple[str, ...]  # codes of tests whose result fails
    missing: tuple[str, ...]           # codes of required tests without a result (not allowed pending)
    recipient_tests: tuple[str, ...]   # judged at allocation

    @property
    def reasons(self) -> tuple[str, ...]:
        """Why the lot is not simply released, one line per test, in specification order."""
        return tuple(Msg("%(code)s: %(reason)s", code=o.code, reason=o.reason) for o in self.outcomes
                     if o.code in self.out_of_specification or o.code in self.missing or o.code in self.pending)

    def to_dict(self) -> dict[str, Any]:
        return {
            "specification": self.specification,
            "disposition": self.disposition.value,
            "pending": list(self.pending),
            "out_of_specification": list(self.out_of_specification),
            "missing": list(self.missing),
            "recipient_tests": list(self.recipient_tests),
            "tests": [{"code": o.code, "name": o.name, "requirement": o.requirement, "observed": o.observed,
                       "status": "pending" if o.code in self.pending else o.status.value, "reason": o.reason,
                       "source": o.source} for o in self.outcomes],
        }


def lot_tests(spec: ReleaseSpecification) -> ReleaseSpecification:
    return dataclasses.replace(spec, tests=tuple(t for t in spec.tests if t.kind not in RECIPIENT_KINDS))


def recipient_tests(spec: ReleaseSpecification) -> ReleaseSpecification:
    return dataclasses.replace(spec, tests=tuple(t for t in spec.tests if t.kind in RECIPIENT_KINDS))


def evaluate_lot(spec: ReleaseSpecification, values: Mapping[str, Any]) -> LotEvaluation:
    """Judge the lot tests of ``spec`` on ``values`` (analyte → result) and give the lot's disposition."""
    lot_spec = lot_tests(spec)
    evaluation: ReleaseEvaluation = evaluate_release(lot_spec, LotResults(values=dict(values)))
    allowed_pending = {t.code for t in lot_spec.tests if t.pending_allowed}
    pending = tuple(o.code for o in evaluation.outcomes
                    if o.status is TestStatus.MISSING and o.code in allowed_pending)
    missing = tuple(o.code for o in evaluation.outcomes
                    if o.status is TestStatus.MISSING and o.code not in allowed_pending)
    failing = tuple(o.code for o in evaluation.outcomes if o.status is TestStatus.FAIL)
    if failing or missing:
        disposition = Disposition.REJECT
    elif pending:
        disposition = Disposition.CONDITIONAL
    else:
        disposition = Disposition.RELEASE
    return LotEvaluation(
        specification=spec.version_id, disposition=disposition, outcomes=evaluation.outcomes,
        pending=pending, out_of_specification=failing, missing=missing,
        recipient_tests=tuple(t.code for t in spec.tests if t.kind in RECIPIENT_KINDS),
    )


@dataclass(frozen=True)
class AllocationPlan:
    """The dose for one participant from one unit: what to draw and whether the unit can give it."""

    plan: DosePlan
    unit_volume_ml: float
    volume_to_draw_ml: float
    delivered_cells: float
    tolerance: ToleranceCheck
    recipient_outcomes: tuple[TestOutcome, ...]

    @property
    def acceptable(self) -> bool:
        return self.tolerance.within_tolerance and not any(o.blocks_release for o in self.recipient_outcomes)

    @property
    def reasons(self) -> tuple[str, ...]:
        found = [] if self.tolerance.within_tolerance else [self.tolerance.reason]
        found += [Msg("%(code)s: %(reason)s", code=o.code, reason=o.reason) for o in self.recipient_outcomes
                  if o.blocks_release]
        return tuple(found)


def plan_allocation(
    spec: ReleaseSpecification,
    lot_values: Mapping[str, Any],
    *,
    dose_cells_per_kg: float,
    weight_kg: float,
    weight_cap_kg: float | None,
    tolerance_fraction: float,
    viable_concentration_cells_per_ml: float,
    unit_volume_ml: float,
) -> AllocationPlan:
    """Dose = cells/kg × dosing weight (capped); volume = cells ÷ concentration, at most the unit's volume.

    A unit that holds fewer cells than the dose needs gives all it has, which must still be within the
    tolerance. The recipient tests of ``spec`` (viable dose, endotoxin per kg) are judged on the drawn
    volume and the participant's actual weight.
    """
    if not unit_volume_ml > 0:
        raise RuleInputError(f"unit volume must be a positive number of mL, got {unit_volume_ml}")
    plan = plan_dose(dose_cells_per_kg, weight_kg, viable_concentration_cells_per_ml, weight_cap_kg)
    volume = min(plan.volume_ml, unit_volume_ml)
    delivered = volume * viable_concentration_cells_per_ml
    tolerance = check_tolerance(plan.viable_cells, delivered, tolerance_fraction)
    values = {k: v for k, v in lot_values.items()}
    for test in recipient_tests(spec).tests:
        if test.kind is TestKind.VIABLE_DOSE:
            values[test.analytes[0]] = delivered
    evaluation = evaluate_release(
        dataclasses.replace(recipient_tests(spec), weight_cap_kg=weight_cap_kg),
        LotResults(values=values, dose_cells_per_kg=dose_cells_per_kg, volume_ml=volume,
                   recipient_weight_kg=weight_kg),
    )
    return AllocationPlan(plan, float(unit_volume_ml), volume, delivered, tolerance, evaluation.outcomes)
