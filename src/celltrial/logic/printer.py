"""Syntax tree -> source text, with only the parentheses the grammar needs.

The output always parses back to an equal tree (tested with hypothesis), so a
protocol can store a normalised form of an author's expression.
"""

from __future__ import annotations

from celltrial.logic.nodes import (
    COMPARISONS,
    Binary,
    Boolean,
    Call,
    Field,
    Negate,
    Node,
    Not,
    Number,
    Smart,
    String,
)
from celltrial.logic.values import format_number

_ATOM = 9
_BINARY_PRECEDENCE = {
    "or": 1,
    "and": 2,
    **{op: 4 for op in COMPARISONS},
    "+": 5,
    "-": 5,
    "*": 6,
    "/": 6,
    "^": 8,
}
_NOT, _NEGATE = 3, 7


def precedence(node: Node) -> int:
    if isinstance(node, Binary):
        return _BINARY_PRECEDENCE[node.op]
    if isinstance(node, Not):
        return _NOT
    if isinstance(node, Negate):
        return _NEGATE
    return _ATOM


def to_source(node: Node) -> str:
    if isinstance(node, Number):
        if node.value < 0:
            raise ValueError("a negative Number node has no source form; use Negate")
        return _number(node.value)
    if isinstance(node, String):
        return _quote(node)
    if isinstance(node, Boolean):
        return "true" if node.value else "false"
    if isinstance(node, Field):
        return node.to_source()
    if isinstance(node, Smart):
        return f"[{node.text}]"
    if isinstance(node, Call):
        return f"{node.name}({', '.join(to_source(arg) for arg in node.args)})"
    if isinstance(node, Negate):
        return "-" + _wrap(node.operand, precedence(node.operand) < _ATOM)
    if isinstance(node, Not):
        return "not " + _wrap(node.operand, precedence(node.operand) < _NOT)
    return _binary(node)


def _binary(node: Binary) -> str:
    own = _BINARY_PRECEDENCE[node.op]
    if node.op == "^":
        # Both sides of a power are atoms or parenthesised: the grammar refuses
        # chained powers and a minus on the base.
        left = _wrap(node.left, precedence(node.left) < _ATOM)
        right = _wrap(node.right, precedence(node.right) < _ATOM)
        return f"{left}^{right}"
    if node.op in COMPARISONS:
        # Comparisons do not chain, so an equal-precedence left child needs
        # parentheses too.
        left = _wrap(node.left, precedence(node.left) <= own)
        right = _wrap(node.right, precedence(node.right) <= own)
        return f"{left} {node.op} {right}"
    # The other operators are left-associative: walk a chain such as
    # [q1] + [q2] + ... down its left side in a loop, not by recursion, so a
    # long total costs no stack.
    chain: list[Binary] = []
    current: Node = node
    while isinstance(current, Binary) and current.op not in COMPARISONS and _BINARY_PRECEDENCE[current.op] == own:
        chain.append(current)
        current = current.left
    parts = [_wrap(current, precedence(current) < own)]
    for link in reversed(chain):
        parts.append(f" {link.op} {_wrap(link.right, precedence(link.right) <= own)}")
    return "".join(parts)


def _number(value: int | float) -> str:
    text = format_number(value)
    # A float must read back as a float: a whole float beyond 2**53 printed
    # without a point would parse as an int that differs from it.
    if isinstance(value, float) and "." not in text:
        text += ".0"
    return text


def _wrap(node: Node, parenthesise: bool) -> str:
    text = to_source(node)
    return f"({text})" if parenthesise else text


def _quote(node: String) -> str:
    # REDCap strings have no escape character, so pick a quote the text lacks.
    for quote in (node.quote, '"', "'"):
        if quote not in node.value:
            return f"{quote}{node.value}{quote}"
    raise ValueError("a string holding both quote characters cannot be written in REDCap logic")
