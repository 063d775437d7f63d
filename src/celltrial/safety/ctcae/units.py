"""Unit conversion to the canonical unit in which each CTCAE v5.0 threshold is stated.

Factors (domain note clinical.md §3.1 and the CTCAE v5.0 rows themselves):
- haemoglobin: 1 g/dL = 10 g/L (CTCAE Anemia row: "10.0 g/dL; 100 g/L");
- total bilirubin: 1 mg/dL = 17.1 µmol/L;
- creatinine: 1 mg/dL = 88.4 µmol/L;
- cell counts: 1000/mm³ = 1.0 × 10^9/L (CTCAE Neutrophil row: "1500/mm3; 1.5 x 10e9 /L");
- temperature: °C = (°F − 32) × 5/9 (CTCAE Fever row: "38.0 - 39.0 °C (100.4 - 102.2 °F)").

Arithmetic is in :class:`~decimal.Decimal` so that a value typed exactly on a CTCAE boundary
(e.g. 1.5 mg/dL against ULN 1.0 mg/dL) lands exactly on it after conversion; binary floats
would put some boundary values a hair on the wrong side.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import Enum

from celltrial.safety.ctcae.errors import CtcaeInputError, UnknownUnitError


class Quantity(Enum):
    """What is measured; decides the canonical unit and the accepted units."""

    ENZYME_ACTIVITY = "enzyme activity"
    BILIRUBIN = "bilirubin concentration"
    CREATININE = "creatinine concentration"
    CELL_COUNT = "cell count"
    HAEMOGLOBIN = "haemoglobin concentration"
    TEMPERATURE = "body temperature"


@dataclass(frozen=True)
class _Unit:
    label: str
    factor: Decimal  # canonical = value × factor (+ offset handled for temperature)


_CANONICAL: dict[Quantity, str] = {
    Quantity.ENZYME_ACTIVITY: "U/L",
    Quantity.BILIRUBIN: "µmol/L",
    Quantity.CREATININE: "µmol/L",
    Quantity.CELL_COUNT: "10^9/L",
    Quantity.HAEMOGLOBIN: "g/L",
    Quantity.TEMPERATURE: "°C",
}

# Keys are normalised spellings (see _normalise); values the unit and its factor to canonical.
_ACCEPTED: dict[Quantity, dict[str, _Unit]] = {
    Quantity.ENZYME_ACTIVITY: {
        "u/l": _Unit("U/L", Decimal(1)),
        "iu/l": _Unit("IU/L", Decimal(1)),
    },
    Quantity.BILIRUBIN: {
        "umol/l": _Unit("µmol/L", Decimal(1)),
        "mg/dl": _Unit("mg/dL", Decimal("17.1")),
    },
    Quantity.CREATININE: {
        "umol/l": _Unit("µmol/L", Decimal(1)),
        "mg/dl": _Unit("mg/dL", Decimal("88.4")),
    },
    Quantity.CELL_COUNT: {
        "10^9/l": _Unit("10^9/L", Decimal(1)),
        "10*9/l": _Unit("10^9/L", Decimal(1)),
        "10e9/l": _Unit("10^9/L", Decimal(1)),
        "g/l": _Unit("G/L", Decimal(1)),  # "giga per litre", common on Chinese lab reports
        "10^3/ul": _Unit("10^3/µL", Decimal(1)),
        "k/ul": _Unit("10^3/µL", Decimal(1)),
        "/mm3": _Unit("/mm³", Decimal("0.001")),
        "cells/mm3": _Unit("/mm³", Decimal("0.001")),
        "/ul": _Unit("/µL", Decimal("0.001")),
        "cells/ul": _Unit("/µL", Decimal("0.001")),
    },
    Quantity.HAEMOGLOBIN: {
        "g/l": _Unit("g/L", Decimal(1)),
        "g/dl": _Unit("g/dL", Decimal(10)),
    },
    Quantity.TEMPERATURE: {
        "c": _Unit("°C", Decimal(1)),
        "degc": _Unit("°C", Decimal(1)),
        "celsius": _Unit("°C", Decimal(1)),
        "f": _Unit("°F", Decimal(1)),
        "degf": _Unit("°F", Decimal(1)),
        "fahrenheit": _Unit("°F", Decimal(1)),
    },
}

_FAHRENHEIT = {"f", "degf", "fahrenheit"}
_IMPLAUSIBLE = Decimal("1e9")


def canonical_unit(quantity: Quantity) -> str:
    """The unit in which CTCAE thresholds for ``quantity`` are applied here."""
    return _CANONICAL[quantity]


def accepted_units(quantity: Quantity) -> tuple[str, ...]:
    """Spellings accepted for ``quantity`` (case-insensitive; µ may be typed as u)."""
    return tuple(sorted({u.label for u in _ACCEPTED[quantity].values()}))


def _normalise(unit: str) -> str:
    text = unit.strip().lower().replace(" ", "")
    for micro in ("µ", "μ"):  # micro sign U+00B5 and Greek mu U+03BC
        text = text.replace(micro, "u")
    text = text.replace("³", "3").replace("°", "deg").replace("×", "x")
    if text.startswith("x10"):
        text = text[1:]
    return text


def to_decimal(value: object, field: str) -> Decimal:
    """Read a number given as int, float, str or Decimal; refuse NaN and infinities."""
    if isinstance(value, bool):
        raise CtcaeInputError(f"{field}: expected a number, got {value!r}")
    try:
        number = Decimal(str(value).strip()) if not isinstance(value, Decimal) else value
    except (InvalidOperation, ValueError) as exc:
        raise CtcaeInputError(f"{field}: expected a number, got {value!r}") from exc
    if not number.is_finite():
        raise CtcaeInputError(f"{field}: expected a finite number, got {value!r}")
    # No value of these quantities reaches 10^9 in any accepted unit (cell counts in /mm³ stay below
    # 10^7). A typo such as 1e99999999 would otherwise overflow the decimal context (traceback) or
    # print a million-digit criterion.
    if number.copy_abs() >= _IMPLAUSIBLE:  # copy_abs is exact; abs() rounds and can overflow
        raise CtcaeInputError(f"{field}: {value!r} is implausibly large; check the value and its unit")
    return number


def _known_unit(unit: str, quantity: Quantity) -> tuple[str, _Unit]:
    """The normalised unit key and its conversion; UnknownUnitError names the accepted units."""
    key = _normalise(unit)
    known = _ACCEPTED[quantity].get(key)
    if known is None:
        raise UnknownUnitError(
            f"unit {unit!r} is not accepted for {quantity.value}; use one of: "
            + ", ".join(accepted_units(quantity))
        )
    return key, known


def to_canonical(value: Decimal, unit: str, quantity: Quantity) -> Decimal:
    """Convert ``value`` in ``unit`` to the canonical unit of ``quantity``.

    Raises :class:`UnknownUnitError` naming the accepted units when ``unit`` is not one of them.
    """
    key, known = _known_unit(unit, quantity)
    if quantity is Quantity.TEMPERATURE and key in _FAHRENHEIT:
        return fahrenheit_to_celsius(value)
    return value * known.factor


def from_canonical(value: Decimal, unit: str, quantity: Quantity) -> Decimal:
    """Inverse of :func:`to_canonical` (e.g. g/L → g/dL, µmol/L → mg/dL, °C → °F)."""
    key, known = _known_unit(unit, quantity)
    if quantity is Quantity.TEMPERATURE and key in _FAHRENHEIT:
        return celsius_to_fahrenheit(value)
    return value / known.factor


def convert(value: object, from_unit: str, to_unit: str, quantity: Quantity) -> Decimal:
    """Convert between any two accepted units of ``quantity``."""
    number = to_decimal(value, "value")
    return from_canonical(to_canonical(number, from_unit, quantity), to_unit, quantity)


def fahrenheit_to_celsius(value: Decimal) -> Decimal:
    return (value - 32) * 5 / 9


def celsius_to_fahrenheit(value: Decimal) -> Decimal:
    return value * 9 / 5 + 32
