"""Bacterial endotoxin arithmetic: EU received per kg of recipient weight, and the K/M limit.

Source: USP <85> Bacterial Endotoxins Test — the endotoxin limit is K/M, where K is the threshold
pyrogenic dose, 5 USP-EU/kg for any route other than intrathecal (0.2 EU/kg intrathecal), and M the
maximum dose per kg given in one hour (USP 35 <85>, footnote 2, seen at
https://www.drugfuture.com/Pharmacopoeia/USP35/data/v35300/usp35nf30s0_ec85.html). ChP general
chapter 1143 uses the same L = K/M formula [M: chapter number seen only in an enterprise standard].
For a cell product given as one dose the spec is usually written per recipient: endotoxin EU/mL ×
volume mL / weight kg ≤ 5 EU/kg ("≤5 EU/kg based on recipient weight and product volume",
PMC5993622).
"""

from __future__ import annotations

import math

from celltrial.product.rules.errors import RuleInputError

#: Threshold pyrogenic dose K for intravenous (any non-intrathecal) administration, EU per kg (USP <85>).
K_INTRAVENOUS_EU_PER_KG = 5.0
#: Threshold pyrogenic dose K for intrathecal administration, EU per kg (USP <85>).
K_INTRATHECAL_EU_PER_KG = 0.2


def _positive(name: str, value: float, unit: str) -> None:
    if not math.isfinite(value) or value <= 0:
        raise RuleInputError(f"{name} must be a positive number of {unit}, got {value}")


def endotoxin_eu_per_kg(endotoxin_eu_per_ml: float, volume_ml: float, weight_kg: float) -> float:
    """Endotoxin the recipient receives per kg: EU/mL × mL ÷ kg (EU/kg)."""
    if not math.isfinite(endotoxin_eu_per_ml) or endotoxin_eu_per_ml < 0:
        raise RuleInputError(f"endotoxin must be a number of EU/mL ≥ 0, got {endotoxin_eu_per_ml}")
    _positive("product volume", volume_ml, "mL")
    _positive("recipient weight", weight_kg, "kg")
    return endotoxin_eu_per_ml * volume_ml / weight_kg


def endotoxin_limit_eu_per_ml(volume_ml: float, weight_kg: float, k_eu_per_kg: float = K_INTRAVENOUS_EU_PER_KG) -> float:
    """The K/M limit in EU/mL for a single dose of ``volume_ml`` given to a ``weight_kg`` recipient.

    M = volume / weight (mL/kg), so K/M = K × weight / volume.
    """
    _positive("K (threshold pyrogenic dose)", k_eu_per_kg, "EU/kg")
    _positive("product volume", volume_ml, "mL")
    _positive("recipient weight", weight_kg, "kg")
    return k_eu_per_kg / (volume_ml / weight_kg)
