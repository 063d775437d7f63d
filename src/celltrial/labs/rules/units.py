"""Units of the lab panels and their conversion to SI (the unit every result is stored, flagged and graded in).

Factors and their sources:

- haemoglobin: 1 g/dL = 10 g/L (1 dL = 0.1 L; CTCAE v5.0 Anemia row "10.0 g/dL; 100 g/L");
- total bilirubin: 1 mg/dL = 17.1 µmol/L, i.e. 10 mg/L ÷ 584.66 g/mol (bilirubin C33H36N4O6);
- creatinine: 1 mg/dL = 88.4 µmol/L, i.e. 10 mg/L ÷ 113.12 g/mol (creatinine C4H7N3O);
- blood urea nitrogen: 1 mg/dL of urea nitrogen = 0.357 mmol/L of urea, i.e. 10 mg/L ÷ 28.014 g/mol (N2:
  each urea molecule carries two nitrogen atoms); urea itself 1 mg/dL = 0.1665 mmol/L (10 ÷ 60.06 g/mol, CH4N2O);
- enzyme activity: 1 U/L = 1 µmol/min/L and 1 kat = 1 mol/s, so 1 µkat/L = 60 U/L (IFCC/IUPAC definition of
  the katal);
- cell counts: 1 /mm³ = 1 /µL = 10^6/L, so 1000/mm³ = 1 × 10^9/L and 10^3/µL = 10^9/L (CTCAE v5.0
  Neutrophil row "1500/mm3; 1.5 x 10e9 /L").

The molar masses are from the IUPAC standard atomic weights (C 12.011, H 1.008, N 14.007, O 15.999); the
rounded factors are those of the published SI conversion tables (Young DS, "Implementation of SI units for
clinical laboratory data", Ann Intern Med 1987;106:114–129; AMA Manual of Style, SI conversion table) and
of the domain note (clinical.md §3.1). Arithmetic is Decimal, so a value typed on a boundary stays on it.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from types import MappingProxyType

from celltrial.core.errors import InputError

# Normalised spelling -> (display label, factor to the SI unit of that quantity)
HAEMOGLOBIN: Mapping[str, tuple[str, Decimal]] = MappingProxyType(
    {"g/l": ("g/L", Decimal(1)), "g/dl": ("g/dL", Decimal(10))})
CELL_COUNT: Mapping[str, tuple[str, Decimal]] = MappingProxyType({
    "10^9/l": ("×10⁹/L", Decimal(1)), "g/l": ("G/L", Decimal(1)), "10^3/ul": ("×10³/µL", Decimal(1)),
    "k/ul": ("×10³/µL", Decimal(1)), "/mm3": ("/mm³", Decimal("0.001")), "/ul": ("/µL", Decimal("0.001")),
    "cells/mm3": ("/mm³", Decimal("0.001")), "cells/ul": ("/µL", Decimal("0.001")),
})
ENZYME: Mapping[str, tuple[str, Decimal]] = MappingProxyType(
    {"u/l": ("U/L", Decimal(1)), "iu/l": ("IU/L", Decimal(1)), "ukat/l": ("µkat/L", Decimal(60))})
BILIRUBIN: Mapping[str, tuple[str, Decimal]] = MappingProxyType(
    {"umol/l": ("µmol/L", Decimal(1)), "mg/dl": ("mg/dL", Decimal("17.1"))})
CREATININE: Mapping[str, tuple[str, Decimal]] = MappingProxyType(
    {"umol/l": ("µmol/L", Decimal(1)), "mg/dl": ("mg/dL", Decimal("88.4"))})
UREA: Mapping[str, tuple[str, Decimal]] = MappingProxyType({
    "mmol/l": ("mmol/L", Decimal(1)), "mg/dl": ("mg/dL BUN", Decimal("0.357")),
    "mg/dlbun": ("mg/dL BUN", Decimal("0.357")), "mg/dlurea": ("mg/dL urea", Decimal("0.1665")),
})
RATIO: Mapping[str, tuple[str, Decimal]] = MappingProxyType({"": ("", Decimal(1)), "ratio": ("", Decimal(1))})
SECONDS: Mapping[str, tuple[str, Decimal]] = MappingProxyType({"s": ("s", Decimal(1)), "sec": ("s", Decimal(1))})

# Nothing measured in these panels reaches 10^9 in any accepted unit; a typo such as 1e999 is refused.
_IMPLAUSIBLE = Decimal("1e9")


class UnitError(InputError):
    """A unit that is not accepted for the analyte, or a value that is not a number."""


def normalise_unit(unit: str) -> str:
    """Case, spaces, micro sign, superscripts and a leading "×" do not matter: "×10⁹/L" ≡ "10^9/l"."""
    text = (unit or "").strip().lower().replace(" ", "")
    for micro in ("µ", "μ"):
        text = text.replace(micro, "u")
    for sup, plain in (("⁹", "^9"), ("³", "^3"), ("10e", "10^"), ("10*", "10^")):
        text = text.replace(sup, plain)
    text = text.replace("mm^3", "mm3").replace("×", "x")
    if text.startswith("x10"):
        text = text[1:]
    return text.replace("(", "").replace(")", "")


def number(value: object, field: str = "value") -> Decimal:
    """A finite, plausible number from int, str, float or Decimal (never bool)."""
    if isinstance(value, bool) or value is None:
        raise UnitError(f"{field}: expected a number, got {value!r}")
    try:
        found = value if isinstance(value, Decimal) else Decimal(str(value).strip().replace(",", ""))
    except (InvalidOperation, ValueError):
        raise UnitError(f"{field}: expected a number, got {value!r}") from None
    if not found.is_finite() or found.copy_abs() >= _IMPLAUSIBLE:
        raise UnitError(f"{field}: {value!r} is not a plausible number")
    return found


def _factor(units: Mapping[str, tuple[str, Decimal]], unit: str) -> Decimal:
    key = normalise_unit(unit)
    if key not in units:
        accepted = ", ".join(sorted({label or "(none)" for label, _f in units.values()}))
        raise UnitError(f"unit {unit!r} is not accepted here; use one of: {accepted}")
    return units[key][1]


def to_si(value: object, unit: str, units: Mapping[str, tuple[str, Decimal]]) -> Decimal:
    """``value`` in ``unit`` converted to the SI unit of ``units`` (one of the tables above)."""
    return number(value) * _factor(units, unit)


def convert(value: object, from_unit: str, to_unit: str, units: Mapping[str, tuple[str, Decimal]]) -> Decimal:
    """Between any two accepted units of one quantity (g/dL → g/L, µmol/L → mg/dL, …)."""
    return to_si(value, from_unit, units) / _factor(units, to_unit)


def accepted(units: Mapping[str, tuple[str, Decimal]]) -> tuple[str, ...]:
    return tuple(sorted({label for label, _f in units.values()}))
