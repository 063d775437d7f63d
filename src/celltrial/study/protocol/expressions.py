"""The one place protocol validation talks to the expression language (`celltrial.logic`)."""

from __future__ import annotations

from dataclasses import dataclass

from celltrial import logic


@dataclass(frozen=True)
class Reference:
    event: str | None
    field: str
    code: str | None


class ExpressionError(Exception):
    def __init__(self, message: str, column: int | None, line: int = 1):
        self.message = message
        self.column = column  # 1-based, on `line` of the expression
        self.line = line  # 1-based line inside the expression (REDCap logic may span lines)
        super().__init__(message)


def references(source: str) -> frozenset[Reference]:
    """The field references of an expression; raises ExpressionError on a syntax error."""
    try:
        expression = logic.parse(source)
    except logic.LogicSyntaxError as exc:
        raise ExpressionError(exc.message, exc.column, exc.line) from None
    except logic.LogicError as exc:  # e.g. unknown function, wrong argument count
        raise ExpressionError(str(exc), None) from None
    return frozenset(Reference(r.event, r.field, r.code) for r in expression.references())
