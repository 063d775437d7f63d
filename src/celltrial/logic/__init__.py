"""REDCap-compatible expression language for branching logic, calculations and
eligibility rules.

Pure domain code (no Django).  Typical use::

    from celltrial import logic

    expr = logic.parse("[age] >= 3 and [sex] = '1'")   # LogicSyntaxError if malformed
    expr.references()                                   # fields to check against the dictionary
    logic.is_true(expr.evaluate({"age": "4", "sex": "1"}))

See docs/logic.md for the grammar, the functions and the blank-handling rules.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from celltrial.logic.errors import LogicError, LogicSyntaxError
from celltrial.logic.expression import Expression, parse
from celltrial.logic.functions import FUNCTIONS
from celltrial.logic.nodes import FieldRef
from celltrial.logic.values import BLANK, is_true

__all__ = [
    "BLANK",
    "FUNCTIONS",
    "Expression",
    "FieldRef",
    "LogicError",
    "LogicSyntaxError",
    "evaluate",
    "is_true",
    "parse",
]


@functools.lru_cache(maxsize=1024)
def _parse_cached(source: str) -> Expression:
    # Expressions are immutable, so the many evaluations of one branching
    # rule across a form can share one parse.
    return parse(source)


def evaluate(source: str, record: Mapping[str, Any], **kwargs: Any) -> Any:
    """Parse (cached) and evaluate in one call; keyword arguments as ``Expression.evaluate``."""
    return _parse_cached(source).evaluate(record, **kwargs)
