"""Dose and volume: viable cells from a per-kg dose, the volume to draw, and the delivered-dose tolerance.

Rule (domain note §1.1, ILLUSTRATIVE protocol): dose in viable cells per kg of the screening / Day −1
body weight; viable cells = dose × weight, with the weight capped (60 kg, ILLUSTRATIVE — a protocol
parameter, not a published rule); volume = cells ÷ viable concentration; the delivered viable cells
must be within ±20 % of the intended (tolerance typically ±10–20 %, domain note §4). DESIGN.md:
"doses in cells/kg with the product's concentration and the participant's weight".
Units are in the names: cells/kg, kg, cells, cells/mL, mL.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from celltrial.core.messages import Msg
from celltrial.product.rules.errors import RuleInputError

#: ILLUSTRATIVE protocol weight cap (kg); configurable per protocol, ``None`` means no cap.
DEFAULT_WEIGHT_CAP_KG: float | None = 60.0
#: Default release / delivery tolerance as a fraction of the intended viable cells (±20 %).
DEFAULT_TOLERANCE_FRACTION = 0.20
# Boundary values computed in floating point (e.g. exactly +20 %) must count as inside.
_BOUNDARY_REL_TOL = 1e-9


def _positive(name: str, value: float, unit: str) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RuleInputError(f"{name} must be a number of {unit}, got {value!r}")
    if not math.isfinite(value) or value <= 0:
        raise RuleInputError(f"{name} must be a positive number of {unit}, got {value}")


@dataclass(frozen=True)
class DosePlan:
    dose_cells_per_kg: float
    weight_kg: float
    dosing_weight_kg: float
    weight_capped: bool
    viable_cells: float
    viable_concentration_cells_per_ml: float
    volume_ml: float


@dataclass(frozen=True)
class ToleranceCheck:
    intended_cells: float
    delivered_cells: float
    tolerance_fraction: float
    deviation_fraction: float
    within_tolerance: bool

    @property
    def reason(self) -> str:
        above = self.deviation_fraction >= 0
        template = {
            (True, True): "delivered %(delivered)s viable cells is %(pct)s%% above the intended %(intended)s: within ±%(tol)s%%",
            (True, False): "delivered %(delivered)s viable cells is %(pct)s%% above the intended %(intended)s: outside ±%(tol)s%%",
            (False, True): "delivered %(delivered)s viable cells is %(pct)s%% below the intended %(intended)s: within ±%(tol)s%%",
            (False, False): "delivered %(delivered)s viable cells is %(pct)s%% below the intended %(intended)s: outside ±%(tol)s%%",
        }[(above, self.within_tolerance)]
        return Msg(template, delivered=f"{self.delivered_cells:.3g}", pct=f"{abs(self.deviation_fraction) * 100:.1f}",
                   intended=f"{self.intended_cells:.3g}", tol=f"{self.tolerance_fraction * 100:g}")


def dosing_weight_kg(weight_kg: float, weight_cap_kg: float | None = DEFAULT_WEIGHT_CAP_KG) -> float:
    """The weight used for dosing: the body weight, capped at ``weight_cap_kg`` when a cap is set."""
    _positive("body weight", weight_kg, "kg")
    if weight_cap_kg is None:
        return float(weight_kg)
    _positive("weight cap", weight_cap_kg, "kg")
    return float(min(weight_kg, weight_cap_kg))


def intended_viable_cells(
    dose_cells_per_kg: float, weight_kg: float, weight_cap_kg: float | None = DEFAULT_WEIGHT_CAP_KG
) -> float:
    """Viable cells = dose (cells/kg) × dosing weight (kg)."""
    _positive("dose", dose_cells_per_kg, "viable cells/kg")
    return dose_cells_per_kg * dosing_weight_kg(weight_kg, weight_cap_kg)


def plan_dose(
    dose_cells_per_kg: float,
    weight_kg: float,
    viable_concentration_cells_per_ml: float,
    weight_cap_kg: float | None = DEFAULT_WEIGHT_CAP_KG,
) -> DosePlan:
    """Compute viable cells and the volume (mL) to give: cells ÷ viable concentration."""
    _positive("viable concentration", viable_concentration_cells_per_ml, "viable cells/mL")
    used_weight = dosing_weight_kg(weight_kg, weight_cap_kg)
    cells = intended_viable_cells(dose_cells_per_kg, weight_kg, weight_cap_kg)
    return DosePlan(
        dose_cells_per_kg=float(dose_cells_per_kg),
        weight_kg=float(weight_kg),
        dosing_weight_kg=used_weight,
        weight_capped=used_weight < weight_kg,
        viable_cells=cells,
        viable_concentration_cells_per_ml=float(viable_concentration_cells_per_ml),
        volume_ml=cells / viable_concentration_cells_per_ml,
    )


def check_tolerance(
    intended_cells: float, delivered_cells: float, tolerance_fraction: float = DEFAULT_TOLERANCE_FRACTION
) -> ToleranceCheck:
    """Is |delivered − intended| ÷ intended ≤ tolerance? (boundary inclusive)."""
    _positive("intended viable cells", intended_cells, "cells")
    if isinstance(delivered_cells, bool) or not math.isfinite(delivered_cells) or delivered_cells < 0:
        raise RuleInputError(f"delivered viable cells must be a number of cells ≥ 0, got {delivered_cells}")
    if not math.isfinite(tolerance_fraction) or not 0 < tolerance_fraction < 1:
        raise RuleInputError(
            f"tolerance must be a fraction between 0 and 1 (0.20 = ±20%), got {tolerance_fraction}"
        )
    deviation = (delivered_cells - intended_cells) / intended_cells
    within = abs(deviation) <= tolerance_fraction or math.isclose(
        abs(deviation), tolerance_fraction, rel_tol=_BOUNDARY_REL_TOL
    )
    return ToleranceCheck(
        intended_cells=float(intended_cells),
        delivered_cells=float(delivered_cells),
        tolerance_fraction=tolerance_fraction,
        deviation_fraction=deviation,
        within_tolerance=within,
    )
