"""The one place protocol validation talks to the expression language.

`celltrial.logic` (REDCap-compatible branching / calc / eligibility logic) is
used when it is importable. Until it is, a small fallback checks only what it
can honestly check: balanced brackets, parentheses and quotes, and the
`[event][field(code)]` references. `BACKEND` says which is in use.
"""

from __future__ import annotations

import importlib
import re
from dataclasses import dataclass
from types import ModuleType


@dataclass(frozen=True)
class Reference:
    event: str | None
    field: str
    code: str | None


class ExpressionError(Exception):
    def __init__(self, message: str, column: int | None):
        self.message = message
        self.column = column  # 1-based, inside the expression
        super().__init__(f"{message} at column {column}" if column else message)


def _load_logic() -> ModuleType | None:
    try:
        module = importlib.import_module("celltrial.logic")
    except ImportError:
        return None
    return module if hasattr(module, "parse") and hasattr(module, "LogicSyntaxError") else None


_LOGIC = _load_logic()
BACKEND = "celltrial.logic" if _LOGIC is not None else "fallback"


def references(source: str) -> frozenset[Reference]:
    """The field references of an expression; raises ExpressionError on a syntax error."""
    if _LOGIC is not None:
        try:
            expression = _LOGIC.parse(source)
        except _LOGIC.LogicSyntaxError as exc:
            return _raise(getattr(exc, "message", str(exc)), getattr(exc, "column", None))
        return frozenset(
            Reference(getattr(r, "event", None), r.field, getattr(r, "code", None))
            for r in expression.references()
        )
    return _fallback_references(source)


def _raise(message: str, column: int | None) -> frozenset[Reference]:
    raise ExpressionError(message, column)


_REF = re.compile(r"\[([A-Za-z0-9_\-]+)\](?:\[([A-Za-z0-9_\-]+)(?:\(([A-Za-z0-9_.\-]+)\))?\])?"
                  r"|\[([A-Za-z0-9_\-]+)\(([A-Za-z0-9_.\-]+)\)\]")


def _fallback_references(source: str) -> frozenset[Reference]:
    stack: list[tuple[str, int]] = []
    quote: tuple[str, int] | None = None
    pairs = {")": "(", "]": "["}
    for index, char in enumerate(source, start=1):
        if quote:
            if char == quote[0]:
                quote = None
            continue
        if char in "'\"":
            quote = (char, index)
        elif char in "([":
            stack.append((char, index))
        elif char in ")]":
            if not stack or stack[-1][0] != pairs[char]:
                raise ExpressionError(f"unexpected {char!r}", index)
            stack.pop()
    if quote:
        raise ExpressionError("unterminated quoted text", quote[1])
    if stack:
        raise ExpressionError(f"{stack[-1][0]!r} is never closed", stack[-1][1])
    refs = set()
    for m in _REF.finditer(source):
        if m.group(4):
            refs.add(Reference(None, m.group(4), m.group(5)))
        elif m.group(2):
            refs.add(Reference(m.group(1), m.group(2), m.group(3)))
        elif "-" not in m.group(1):  # [event-name], [current-instance]: smart variables
            refs.add(Reference(None, m.group(1), None))
    return frozenset(refs)
