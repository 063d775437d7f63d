"""The functions an expression may call: arity, design-time checks, semantics.

Each function is declared once here; the parser refuses unknown names and
wrong argument counts from this table, and the evaluator calls ``apply``.
Arguments are evaluated before the call (no function has side effects, so
``if`` evaluating both branches is harmless).
"""

from __future__ import annotations

import datetime as dt
import decimal
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from celltrial.logic.dates import DATE_FORMATS, SECONDS_PER_UNIT, datediff, parse_moment
from celltrial.logic.nodes import Boolean, Call, Node, Number, String
from celltrial.logic.values import (
    BLANK,
    Value,
    as_number,
    as_text,
    is_blank,
    is_numeric_text,
    is_true,
    number_result,
)


@dataclass(frozen=True)
class Context:
    """What evaluation needs besides the record."""

    today: dt.date
    missing_codes: frozenset[str] = field(default_factory=frozenset)


# A design-time check returns (message, position) for the first problem found.
Check = Callable[[Call], "tuple[str, int] | None"]
Impl = Callable[[Sequence[Value], Context], Value]


@dataclass(frozen=True)
class Function:
    name: str
    min_args: int
    max_args: int | None  # None: any number
    impl: Impl
    summary: str
    check: Check | None = None

    def arity_text(self) -> str:
        if self.max_args is None:
            return f"at least {self.min_args} argument{'s' if self.min_args != 1 else ''}"
        if self.min_args == self.max_args:
            return f"{self.min_args} argument{'s' if self.min_args != 1 else ''}"
        return f"{self.min_args} to {self.max_args} arguments"


# --- aggregates -------------------------------------------------------------


def _numbers_ignoring_blanks(args: Sequence[Value]) -> list[float] | None:
    """The numeric arguments; ``None`` if any non-blank argument is not a number."""
    numbers: list[float] = []
    for arg in args:
        if is_blank(arg):
            continue
        number = as_number(arg)
        if number is None:
            return None
        numbers.append(number)
    return numbers


def _aggregate(reduce: Callable[[list[float]], float]) -> Impl:
    def impl(args: Sequence[Value], ctx: Context) -> Value:
        numbers = _numbers_ignoring_blanks(args)
        # Nothing to aggregate stays blank (not 0), so a total is not shown as
        # zero before any item has been answered.
        if not numbers:
            return BLANK
        return number_result(reduce(numbers))

    return impl


# --- rounding ---------------------------------------------------------------


def _rounding(mode: str) -> Impl:
    def impl(args: Sequence[Value], ctx: Context) -> Value:
        number = as_number(args[0])
        places = as_number(args[1]) if len(args) > 1 else 0.0
        if number is None or places is None or not places.is_integer():
            return BLANK
        # Decimal from repr() rounds the number as written (2.675 -> 2.68),
        # not its binary approximation (2.67499999...), which is what a
        # person checking a CRF by hand expects.
        try:
            exact = decimal.Decimal(repr(number))
            rounded = exact.quantize(decimal.Decimal(1).scaleb(-int(places)), rounding=mode)
        except decimal.InvalidOperation:
            # The quantum is beyond decimal's exponent range: so many places
            # leave the number unchanged, so many tens round it to nothing.
            return number_result(number) if places > 0 else 0
        return number_result(float(rounded))

    return impl


# --- one-argument maths -----------------------------------------------------


def _abs(args: Sequence[Value], ctx: Context) -> Value:
    number = as_number(args[0])
    return BLANK if number is None else number_result(abs(number))


def _sqrt(args: Sequence[Value], ctx: Context) -> Value:
    number = as_number(args[0])
    return BLANK if number is None or number < 0 else number_result(math.sqrt(number))


# --- conditions and tests ---------------------------------------------------


def _if(args: Sequence[Value], ctx: Context) -> Value:
    return args[1] if is_true(args[0]) else args[2]


def _isblankormissingcode(args: Sequence[Value], ctx: Context) -> Value:
    value = args[0]
    return is_blank(value) or (isinstance(value, str) and value.strip() in ctx.missing_codes)


def _isnumber(args: Sequence[Value], ctx: Context) -> Value:
    value = args[0]
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return math.isfinite(value)
    return is_numeric_text(value)


def _text_test(test: Callable[[str, str], bool]) -> Impl:
    # REDCap documents contains/starts_with/ends_with as case-insensitive.
    def impl(args: Sequence[Value], ctx: Context) -> Value:
        return test(as_text(args[0]).casefold(), as_text(args[1]).casefold())

    return impl


# --- datediff ---------------------------------------------------------------


def _datediff(args: Sequence[Value], ctx: Context) -> Value:
    units = as_text(args[2])
    fmt, signed = "ymd", False
    if len(args) == 4 and _is_flag(args[3]):
        # Current REDCap form: datediff(d1, d2, units, returnSignedValue).
        signed = _literal_flag(args[3])
    elif len(args) >= 4:
        fmt = as_text(args[3]).lower()
        signed = len(args) == 5 and _literal_flag(args[4])
    first, second = args[0], args[1]
    if not isinstance(first, str) or not isinstance(second, str):
        return BLANK  # a number or boolean is never a date
    return datediff(first, second, units, fmt, signed, ctx.today)


def _is_flag(value: Value) -> bool:
    return isinstance(value, bool) or (isinstance(value, str) and value.strip().lower() in ("true", "false"))


def _literal_flag(value: Value) -> bool:
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def _is_flag_node(node: Node) -> bool:
    return isinstance(node, Boolean) or (
        isinstance(node, String) and node.value.strip().lower() in ("true", "false")
    )


def _check_datediff(call: Call) -> tuple[str, int] | None:
    # Two spellings exist: datediff(d1, d2, units[, format[, signed]]) (older
    # REDCap) and datediff(d1, d2, units, signed) (current REDCap, which reads
    # dates as stored); a true/false fourth argument selects the second.
    args = call.args
    units = args[2]
    allowed_units = ", ".join(f'"{u}"' for u in SECONDS_PER_UNIT)
    if not isinstance(units, String) or units.value not in SECONDS_PER_UNIT:
        return (f"datediff units must be a quoted literal, one of {allowed_units}", units.position)
    fmt = "ymd"
    if len(args) > 3 and not (len(args) == 4 and _is_flag_node(args[3])):
        fmt_node = args[3]
        if not isinstance(fmt_node, String) or fmt_node.value.lower() not in DATE_FORMATS:
            return ('datediff date format must be "ymd", "mdy" or "dmy" (or true/false)', fmt_node.position)
        fmt = fmt_node.value.lower()
    if len(args) > 4 and not _is_flag_node(args[4]):
        return ("datediff's last argument (return signed value) must be true or false", args[4].position)
    for date_arg in args[:2]:
        if isinstance(date_arg, String) and parse_moment(date_arg.value, fmt, dt.date.today()) is None:
            return (f"'{date_arg.value}' is not 'today' or a date in {fmt} format", date_arg.position)
        if isinstance(date_arg, Boolean):
            return ("datediff needs a date, not true/false", date_arg.position)
    return None


def _check_places(call: Call) -> tuple[str, int] | None:
    if len(call.args) > 1:
        places = call.args[1]
        if isinstance(places, Number) and not float(places.value).is_integer():
            return (f"{call.name} needs a whole number of decimal places", places.position)
        if isinstance(places, String | Boolean):
            return (f"{call.name} needs a number of decimal places", places.position)
    return None


def _mean(numbers: list[float]) -> float:
    return math.fsum(numbers) / len(numbers)


_FUNCTIONS = [
    Function("if", 3, 3, _if, "if(condition, value_if_true, value_if_false)"),
    Function(
        "datediff",
        3,
        5,
        _datediff,
        'datediff(date1, date2, units[, "ymd"|"mdy"|"dmy"][, signed]): date2 - date1',
        _check_datediff,
    ),
    Function("sum", 1, None, _aggregate(math.fsum), "sum of the non-blank arguments"),
    Function("min", 1, None, _aggregate(min), "smallest non-blank argument"),
    Function("max", 1, None, _aggregate(max), "largest non-blank argument"),
    Function("mean", 1, None, _aggregate(_mean), "mean of the non-blank arguments"),
    Function(
        "round",
        1,
        2,
        _rounding(decimal.ROUND_HALF_UP),
        "round(x, places): half away from zero",
        _check_places,
    ),
    Function(
        "rounddown", 1, 2, _rounding(decimal.ROUND_DOWN), "rounddown(x, places): toward zero", _check_places
    ),
    Function(
        "roundup", 1, 2, _rounding(decimal.ROUND_UP), "roundup(x, places): away from zero", _check_places
    ),
    Function("abs", 1, 1, _abs, "absolute value"),
    Function("sqrt", 1, 1, _sqrt, "square root (blank for a negative number)"),
    Function("isblankormissingcode", 1, 1, _isblankormissingcode, "true if blank or a missing-data code"),
    Function("isnumber", 1, 1, _isnumber, "true if the value is a number"),
    Function("contains", 2, 2, _text_test(lambda h, n: n in h), "contains(text, part), case-insensitive"),
    Function("starts_with", 2, 2, _text_test(str.startswith), "starts_with(text, part), case-insensitive"),
    Function("ends_with", 2, 2, _text_test(str.endswith), "ends_with(text, part), case-insensitive"),
]

FUNCTIONS: dict[str, Function] = {f.name: f for f in _FUNCTIONS}


def check_call(call: Call) -> tuple[str, int] | None:
    """Design-time check of a call whose name and arity are already known good."""
    check = FUNCTIONS[call.name].check
    return check(call) if check else None


__all__ = ["FUNCTIONS", "Context", "Function", "Node", "check_call"]
