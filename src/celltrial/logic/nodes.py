"""The abstract syntax tree of an expression.

Named ``nodes`` rather than ``ast`` so it never shadows the standard library's
``ast`` module in tracebacks or star-imports.

Nodes compare by meaning only: ``position`` (where the node starts in the
source) and the quote character of a string are excluded from equality, so
``parse("1+2")`` and ``parse(" 1 + 2 ")`` have equal trees.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import NamedTuple


class FieldRef(NamedTuple):
    """A reference to a field: ``[event][field(code)]``.

    ``event`` is the unique event name (``None`` means the current event);
    ``code`` is the checkbox choice code (``None`` for an ordinary field).
    """

    event: str | None
    field: str
    code: str | None = None

    def to_source(self) -> str:
        inner = self.field if self.code is None else f"{self.field}({self.code})"
        return f"[{inner}]" if self.event is None else f"[{self.event}][{inner}]"


@dataclass(frozen=True)
class Number:
    value: int | float
    position: int = field(default=0, compare=False)


@dataclass(frozen=True)
class String:
    value: str
    position: int = field(default=0, compare=False)
    quote: str = field(default='"', compare=False)


@dataclass(frozen=True)
class Boolean:
    value: bool
    position: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Field:
    """``[event][field(code)][instance]``; ``instance`` is a number (``"2"``), an instance smart
    variable (``"current-instance"``, ``"previous-instance"`` …) or ``None`` (the current instance)."""

    ref: FieldRef
    position: int = field(default=0, compare=False)
    instance: str | None = None

    def to_source(self) -> str:
        text = self.ref.to_source()
        return text if self.instance is None else f"{text}[{self.instance}]"


@dataclass(frozen=True)
class Smart:
    """A REDCap smart variable, e.g. ``[event-name]``, ``[current-instance]``,
    ``[survey-duration-completed:consent:m]``, or a field with a modifier such as ``[sex:label]``.

    ``text`` is what stands between the brackets; ``name`` the part before the first ``:``.
    Evaluation reads ``smart[text]`` from the caller (blank when not given).
    """

    text: str
    position: int = field(default=0, compare=False)

    @property
    def name(self) -> str:
        return self.text.split(":", 1)[0]

    @property
    def params(self) -> tuple[str, ...]:
        return tuple(self.text.split(":")[1:])


@dataclass(frozen=True)
class Negate:
    """Unary minus."""

    operand: Node
    position: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Not:
    operand: Node
    position: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Binary:
    """``op`` is one of: or and = <> < <= > >= + - * / ^ (``!=`` is stored as ``<>``)."""

    op: str
    left: Node
    right: Node
    position: int = field(default=0, compare=False)


@dataclass(frozen=True)
class Call:
    """A function call; ``name`` is lower-case (REDCap function names are)."""

    name: str
    args: tuple[Node, ...]
    position: int = field(default=0, compare=False)


Node = Number | String | Boolean | Field | Smart | Negate | Not | Binary | Call

COMPARISONS = frozenset({"=", "<>", "<", "<=", ">", ">="})
ARITHMETIC = frozenset({"+", "-", "*", "/", "^"})
LOGICAL = frozenset({"and", "or"})


def children(node: Node) -> tuple[Node, ...]:
    if isinstance(node, Negate | Not):
        return (node.operand,)
    if isinstance(node, Binary):
        return (node.left, node.right)
    if isinstance(node, Call):
        return node.args
    return ()


def walk(node: Node) -> Iterator[Node]:
    """Every node of the tree, parents before children."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        stack.extend(reversed(children(current)))
