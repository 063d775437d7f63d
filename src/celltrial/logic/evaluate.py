"""Tree-walking evaluator with REDCap's blank and coercion rules.

Data problems never raise: a missing field, text in arithmetic, division by
zero or an impossible date all make the (sub)result blank, and a blank
condition is false.
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Collection, Mapping
from typing import Any

from celltrial.logic.functions import FUNCTIONS, Context
from celltrial.logic.nodes import (
    COMPARISONS,
    Binary,
    Boolean,
    Call,
    Field,
    FieldRef,
    Negate,
    Node,
    Not,
    Number,
    Smart,
    String,
)
from celltrial.logic.values import BLANK, Value, as_number, compare, from_python, is_true, number_result

Record = Mapping[str, Any]


def _power(x: float, y: float) -> float:
    result = x**y
    # A negative base with a fractional exponent gives a complex number in
    # Python; REDCap (JavaScript/PHP) gives NaN, i.e. a blank calc.
    return result if isinstance(result, float | int) else math.nan


_ARITHMETIC: dict[str, Callable[[float, float], float]] = {
    "+": operator.add,
    "-": operator.sub,
    "*": operator.mul,
    "/": operator.truediv,
    "^": _power,
}


# (event or None, field, instance text) -> the value, for [field][2] and [field][previous-instance]
InstanceLookup = Callable[[str | None, str, str], Any]


class Evaluator:
    def __init__(self, record: Record, events: Mapping[str, Record] | None, context: Context,
                 smart: Mapping[str, Any] | None = None, instances: InstanceLookup | None = None) -> None:
        self.record = record
        self.events = events
        self.context = context
        self.smart = smart or {}
        self.instances = instances

    def value(self, node: Node) -> Value:
        if isinstance(node, Number | String | Boolean):
            return node.value
        if isinstance(node, Field):
            if node.instance is not None and node.instance.lower() != "current-instance":
                # Another instance of a repeating form: only the caller knows the other rows.
                if self.instances is None or node.ref.code is not None:
                    return BLANK
                return from_python(self.instances(node.ref.event, node.ref.field, node.instance.lower()))
            return self.lookup(node.ref)
        if isinstance(node, Smart):
            # Smart variables the caller did not supply are blank (documented in docs/logic.md).
            value = self.smart.get(node.text, self.smart.get(node.text.lower()))
            return from_python(value)
        if isinstance(node, Negate):
            number = as_number(self.value(node.operand))
            return BLANK if number is None else number_result(-number)
        if isinstance(node, Not):
            return not is_true(self.value(node.operand))
        if isinstance(node, Call):
            args = [self.value(arg) for arg in node.args]
            return FUNCTIONS[node.name].impl(args, self.context)
        return self.binary(node)

    def binary(self, node: Binary) -> Value:
        if node.op in COMPARISONS:
            return compare(node.op, self.value(node.left), self.value(node.right))
        # A left-associative chain ([q1] + [q2] + ..., a or b or ...) is folded
        # in a loop down its left side, so its length costs no stack.
        chain: list[Binary] = []
        current: Node = node
        while isinstance(current, Binary) and current.op not in COMPARISONS:
            chain.append(current)
            current = current.left
        result = self.value(current)
        for link in reversed(chain):
            result = self.apply(link, result)
        return result

    def apply(self, node: Binary, left: Value) -> Value:
        op = node.op
        if op == "and":
            return is_true(left) and is_true(self.value(node.right))
        if op == "or":
            return is_true(left) or is_true(self.value(node.right))
        right = self.value(node.right)
        x, y = as_number(left), as_number(right)
        if x is None or y is None:
            return BLANK
        try:
            return number_result(_ARITHMETIC[op](x, y))
        except (ZeroDivisionError, OverflowError):
            return BLANK

    def lookup(self, ref: FieldRef) -> Value:
        if ref.event is None:
            record: Record | None = self.record
        else:
            # A reference to another event never falls back to the current
            # record: silently reading the wrong visit is worse than blank.
            record = None if self.events is None else self.events.get(ref.event)
        if record is None:
            return BLANK
        if ref.code is None:
            return from_python(record.get(ref.field))
        return _checkbox(record, ref.field, ref.code)


def _checkbox(record: Record, field: str, code: str) -> Value:
    """ "1" if the choice is ticked, else "0": a checkbox choice is never blank.

    Accepts REDCap's export shape (``field___code`` = "1"/"0"; REDCap writes a
    minus sign in a code as an underscore and lower-cases it) or a collection
    of ticked codes under ``field``.
    """
    keys = (f"{field}___{code}", f"{field}___{code.lower()}", f"{field}___{code.replace('-', '_').lower()}")
    for key in keys:
        if key in record:
            value = from_python(record[key])
            return "1" if as_number(value) == 1 else "0"
    ticked = record.get(field)
    if isinstance(ticked, str):
        ticked = [part.strip() for part in ticked.split(",")] if ticked.strip() else []
    if isinstance(ticked, Collection):
        return "1" if code in {str(item) for item in ticked} else "0"
    return "0"
