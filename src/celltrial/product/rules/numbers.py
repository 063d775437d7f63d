"""One validator for the numbers of product rule files: finite, within bounds, Decimal-friendly.

Release specifications and donor rule sets (and the numbers of a lot's results file) go through
``check_number``; the schemas use it as pydantic metadata, ``Annotated[float, number(...)]``. It accepts ``int``, ``float``,
``decimal.Decimal`` (as a database column hands it over) and numeric text (``"1.0e6"``: YAML 1.1 reads
that as a string), and refuses booleans (YAML's ``yes`` is not 1), NaN and infinities in any spelling,
values too large for a float, and anything outside the stated bounds, with the unit in the message.
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from typing import Any

from pydantic import BeforeValidator

from celltrial.product.rules.errors import RuleInputError


def _as_float(value: Any, of: str) -> float:
    if isinstance(value, bool):
        raise RuleInputError(f"must be a number{of}, not {'true' if value else 'false'}")
    if isinstance(value, Decimal):
        if not value.is_finite():
            raise RuleInputError(f"must be a finite number{of}; got {value}")
        number = float(value)
    elif isinstance(value, int):
        try:
            number = float(value)
        except OverflowError:
            raise RuleInputError(f"must be a finite number{of}; got an integer of {len(str(value))} digits") from None
    elif isinstance(value, float):
        number = value
    elif isinstance(value, str):
        try:
            number = float(Decimal(value.strip()))
        except (InvalidOperation, ValueError):
            raise RuleInputError(f"must be a number{of}; got {value!r}") from None
    else:
        raise RuleInputError(f"must be a number{of}; got {value!r}")
    if not math.isfinite(number):
        raise RuleInputError(f"must be a finite number{of}; got {value!r}")
    return number


def check_number(
    value: Any,
    *,
    unit: str = "",
    gt: float | None = None,
    ge: float | None = None,
    lt: float | None = None,
    le: float | None = None,
    whole: bool = False,
    hint: str = "",
) -> float:
    """``value`` as a float (an integral float when ``whole``), or RuleInputError saying what is wrong.

    The message names the bound and the unit ("must be greater than 0 kg; got -2") but not the field:
    the caller (a schema, or ``optional_number``) says which field it was.
    """
    of = f" of {unit}" if unit else ""
    number = _as_float(value, of)
    if whole and not number.is_integer():
        raise RuleInputError(f"must be a whole number{of}; got {value!r}")
    suffix = (f" {unit}" if unit else "") + (f" ({hint})" if hint else "")
    for bound, holds, words in ((gt, lambda b: number > b, "greater than"), (ge, lambda b: number >= b, "at least"),
                                (lt, lambda b: number < b, "less than"), (le, lambda b: number <= b, "at most")):
        if bound is not None and not holds(bound):
            raise RuleInputError(f"must be {words} {bound:g}{suffix}; got {value!r}")
    return number


def number(
    *,
    unit: str = "",
    gt: float | None = None,
    ge: float | None = None,
    lt: float | None = None,
    le: float | None = None,
    whole: bool = False,
    hint: str = "",
) -> BeforeValidator:
    """:func:`check_number` as pydantic metadata: ``Annotated[float, number(unit="kg", gt=0)]``
    (``Annotated[int, number(..., whole=True)]`` for whole numbers)."""

    def validate(value: Any) -> float | int:
        checked = check_number(value, unit=unit, gt=gt, ge=ge, lt=lt, le=le, whole=whole, hint=hint)
        return int(checked) if whole else checked

    return BeforeValidator(validate)
