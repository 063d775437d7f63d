"""Values at evaluation time and REDCap's coercion rules.

A value is a ``str`` (what REDCap stores), an ``int``/``float`` (numbers from
literals and arithmetic) or a ``bool`` (comparisons and logic).  The blank
value is the empty string: a field with no data, and the result of any
arithmetic that could not be done (blank operand, text operand, division by
zero), exactly as a REDCap calculated field stays empty.
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
import operator
import re
from collections.abc import Callable
from typing import Any

Value = str | int | float | bool

BLANK: str = ""

# What counts as "a number stored as text" (PHP's is_numeric, minus hex and
# the special spellings): optional sign, digits with an optional decimal part,
# optional exponent, surrounding whitespace tolerated.
# Only ASCII whitespace: Python's \s also matches control characters such as
# \x1f that float() refuses.
_NUMERIC = re.compile(r"[ \t\r\n]*[-+]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][-+]?[0-9]+)?[ \t\r\n]*\Z")

# Whole-valued floats come back as ints up to this size so that a calc shows
# "5" rather than "5.0"; beyond it a float no longer represents every integer.
_EXACT_INT_LIMIT = 2**53


def is_blank(value: Value) -> bool:
    return isinstance(value, str) and value.strip() == ""


def is_numeric_text(text: str) -> bool:
    return _NUMERIC.match(text) is not None


def as_number(value: Value) -> float | None:
    """The number a value stands for, or ``None`` when it is blank or text."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:
            return None
    elif isinstance(value, str) and is_numeric_text(value):
        try:
            number = float(value)
        except ValueError:  # defensive: the pattern and float() should agree
            return None
    else:
        return None
    return number if math.isfinite(number) else None


def number_result(number: float) -> Value:
    """Normalise an arithmetic result: non-finite becomes blank, whole becomes int."""
    if not math.isfinite(number):
        return BLANK
    if number.is_integer() and abs(number) <= _EXACT_INT_LIMIT:
        return int(number)
    return number


def format_number(number: int | float) -> str:
    """A number as REDCap would show it: no trailing ``.0``, never an exponent."""
    if isinstance(number, float) and number.is_integer() and abs(number) <= _EXACT_INT_LIMIT:
        number = int(number)
    if isinstance(number, int):
        return str(number)
    text = repr(number)
    if "e" in text or "E" in text:
        text = format(decimal.Decimal(text), "f")
    return text


def as_text(value: Value) -> str:
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, int | float):
        return format_number(value)
    return value


def is_true(value: Any) -> bool:
    """REDCap truthiness, used for branching and eligibility.

    True only for ``True`` and for non-zero numbers (including numbers stored as
    text).  Blank, text and errors are false, so a field whose logic cannot be
    evaluated stays hidden and a criterion that cannot be evaluated is not met.
    """
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float | str):
        number = as_number(value)
        return number is not None and number != 0
    return False


_ORDER: dict[str, Callable[[Any, Any], bool]] = {
    "=": operator.eq,
    "<>": operator.ne,
    "<": operator.lt,
    "<=": operator.le,
    ">": operator.gt,
    ">=": operator.ge,
}


def compare(op: str, left: Value, right: Value) -> bool:
    """REDCap comparison semantics.

    - blank ``=`` blank is true; blank ``=`` anything else is false and
      ``<>`` is its negation;
    - an ordering (``< <= > >=``) with a blank on either side is false;
    - two numbers (or numbers stored as text) compare as numbers, so
      ``"1.0" = 1`` and ``"10" > "9"``;
    - anything else compares as text (ISO dates ``YYYY-MM-DD`` order correctly).
    """
    left_blank, right_blank = is_blank(left), is_blank(right)
    if left_blank or right_blank:
        if op == "=":
            return left_blank and right_blank
        if op == "<>":
            return not (left_blank and right_blank)
        return False
    x, y = as_number(left), as_number(right)
    if x is not None and y is not None:
        return _ORDER[op](x, y)
    return _ORDER[op](as_text(left), as_text(right))


def from_python(value: Any) -> Value:
    """Turn a value from a record (as REDCap exports it, or a Python object) into a Value."""
    if value is None:
        return BLANK
    if isinstance(value, bool):
        # A yes/no or true/false field is stored as "1"/"0" by REDCap.
        return "1" if value else "0"
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else BLANK
    if isinstance(value, decimal.Decimal):
        return float(value) if value.is_finite() else BLANK
    if isinstance(value, str):
        return value
    if isinstance(value, dt.datetime):
        fmt = "%Y-%m-%d %H:%M:%S" if value.second else "%Y-%m-%d %H:%M"
        return value.strftime(fmt)
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S" if value.second else "%H:%M")
    # A set or list (checkbox choices) has no single value to compare with;
    # it must be referenced per choice as [field(code)].
    return BLANK
