"""Pratt parser: tokens -> syntax tree, refusing anything REDCap would refuse.

Binding powers, loosest first::

    or  <  and  <  not  <  = <> != < <= > >=  <  + -  <  * /  <  unary -  <  ^

Three spellings that REDCap users read differently are refused as ambiguous
rather than guessed: chained comparisons (``1 < [a] < 5``), chained powers
(``2^3^2``) and a minus sign on a power (``-2^2``).  Parentheses resolve each.
"""

from __future__ import annotations

import math
import re

from celltrial.logic.errors import LogicSyntaxError
from celltrial.logic.functions import FUNCTIONS, check_call
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
    children,
)
from celltrial.logic.tokens import Kind, Token, tokenize

_OR, _AND, _NOT, _COMPARE, _ADD, _MULTIPLY, _UNARY, _POWER = 1, 2, 3, 4, 5, 6, 7, 8

_INFIX_POWER = {
    "or": _OR,
    "and": _AND,
    **{op: _COMPARE for op in ("=", "<>", "!=", "<", "<=", ">", ">=")},
    "+": _ADD,
    "-": _ADD,
    "*": _MULTIPLY,
    "/": _MULTIPLY,
    "^": _POWER,
}

_KEYWORDS = frozenset({"and", "or", "not", "true", "false"})

# Limits that keep every recursive walk of a tree (parsing, evaluation,
# printing, equality, hashing) far below Python's recursion limit, so that an
# absurd expression is refused with a message instead of a RecursionError.
# MAX_NESTING counts parentheses, function calls, 'not' and unary '-' inside
# one another; MAX_DEPTH counts the levels of the finished tree, including a
# long chain such as [q1] + [q2] + ... (one level per operator).
MAX_NESTING = 100
MAX_DEPTH = 200
# A literal whose whole part has more digits than this is refused rather than
# converted (Python refuses int() beyond 4300 digits; a double overflows near
# 10^308).
_MAX_LITERAL_DIGITS = 300
# REDCap variable names: a letter, then letters, digits, underscores.
_FIELD_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_]*\Z")
_EVENT_NAME = re.compile(r"[A-Za-z0-9_]+\Z")
_CHECKBOX = re.compile(r"([A-Za-z][A-Za-z0-9_]*)\(([A-Za-z0-9_.\-]+)\)\Z")
# Smart variables are lower-case words joined by hyphens, with optional ':' parameters; a field with a
# modifier ([sex:label], [symptoms:checked]) is read the same way.
_SMART = re.compile(r"[A-Za-z][A-Za-z0-9_]*(?:-[A-Za-z0-9_]+)*(?::[^\[\]:]*)*\Z")
INSTANCE_SMART_VARIABLES = frozenset({
    "current-instance", "previous-instance", "next-instance", "first-instance", "last-instance", "new-instance",
})
EVENT_SMART_VARIABLES = frozenset({
    "event-name", "previous-event-name", "next-event-name", "first-event-name", "last-event-name",
})


def _is_smart(text: str) -> bool:
    return ("-" in text or ":" in text) and _CHECKBOX.match(text) is None and _SMART.match(text) is not None


def _is_instance(text: str) -> bool:
    return text.isdigit() or text.lower() in INSTANCE_SMART_VARIABLES


def parse_tree(source: str) -> Node:
    tree = _Parser(source).parse()
    _check_depth(tree, source)
    return tree


def _check_depth(tree: Node, source: str) -> None:
    # Iterative on purpose: this is the guard for the recursive walks.
    stack: list[tuple[Node, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_DEPTH:
            raise LogicSyntaxError(
                f"expression is too deeply nested or too long a chain (more than {MAX_DEPTH} levels); "
                "use sum() for long totals or split the logic",
                source,
                node.position,
            )
        stack.extend((child, depth + 1) for child in children(node))


class _Parser:
    def __init__(self, source: str) -> None:
        self.source = source
        self.tokens = tokenize(source)
        self.index = 0
        self.nesting = 0

    # --- token helpers -----------------------------------------------------

    def peek(self) -> Token:
        return self.tokens[self.index]

    def advance(self) -> Token:
        token = self.tokens[self.index]
        if token.kind is not Kind.EOF:
            self.index += 1
        return token

    def error(self, message: str, position: int) -> LogicSyntaxError:
        return LogicSyntaxError(message, self.source, position)

    def unexpected(self, token: Token, expecting: str | None = None) -> LogicSyntaxError:
        if token.kind is Kind.EOF:
            message = "unexpected end of expression"
        else:
            message = f"unexpected {token.describe()}"
        if expecting:
            message += f"; expected {expecting}"
        return self.error(message, token.position)

    def infix_power(self, token: Token) -> int | None:
        if token.kind is Kind.OP:
            return _INFIX_POWER[token.text]
        if token.kind is Kind.NAME and token.text.lower() in ("and", "or"):
            return _INFIX_POWER[token.text.lower()]
        return None

    # --- grammar -------------------------------------------------------------

    def parse(self) -> Node:
        if self.peek().kind is Kind.EOF:
            raise self.error("empty expression", 0)
        node = self.expression(0)
        token = self.peek()
        if token.kind is not Kind.EOF:
            if token.kind is Kind.RPAREN:
                raise self.error("unexpected ')' with no matching '('", token.position)
            raise self.unexpected(token, "an operator such as 'and' or '='")
        return node

    def expression(self, min_power: int) -> Node:
        self.nesting += 1
        try:
            return self._expression(min_power)
        finally:
            self.nesting -= 1

    def _expression(self, min_power: int) -> Node:
        if self.nesting > MAX_NESTING:
            raise self.error(
                f"expression is nested too deeply (more than {MAX_NESTING} levels of parentheses, "
                "functions, 'not' or '-')",
                self.peek().position,
            )
        left = self.prefix(min_power)
        while True:
            token = self.peek()
            power = self.infix_power(token)
            if power is None or power <= min_power:
                return left
            self.advance()
            op = token.text.lower()
            if op == "!=":
                op = "<>"
            right = self.expression(power)
            follower = self.peek()
            if op in COMPARISONS and self.infix_power(follower) == _COMPARE:
                raise self.error(
                    f"chained comparison '{follower.text}' is ambiguous; join the comparisons with 'and'",
                    follower.position,
                )
            if op == "^" and follower.kind is Kind.OP and follower.text == "^":
                raise self.error(
                    "chained '^' is ambiguous; use parentheses, e.g. (2^3)^2 or 2^(3^2)",
                    follower.position,
                )
            left = Binary(op, left, right, token.position)

    def prefix(self, min_power: int) -> Node:
        token = self.advance()
        kind = token.kind
        if kind is Kind.NUMBER:
            return Number(self.number(token), token.position)
        if kind is Kind.STRING:
            return String(token.text, token.position, self.source[token.position])
        if kind is Kind.FIELD:
            return self.field(token)
        if kind is Kind.LPAREN:
            inner = self.expression(0)
            closing = self.advance()
            if closing.kind is not Kind.RPAREN:
                found = closing.describe() if closing.kind is not Kind.EOF else "the end"
                raise self.error(
                    f"'(' at column {self.column_of(token.position)} is not closed: found {found} instead of ')'",
                    closing.position,
                )
            return inner
        if kind is Kind.OP and token.text == "-":
            operand = self.expression(_POWER)
            follower = self.peek()
            if follower.kind is Kind.OP and follower.text == "^":
                raise self.error("'-' before a power is ambiguous; write -(x^y) or (-x)^y", follower.position)
            return Negate(operand, token.position)
        if kind is Kind.NAME:
            return self.name(token, min_power)
        raise self.unexpected(token, "a value, a [field] or a function")

    def number(self, token: Token) -> int | float:
        text = token.text
        whole = text.split(".", 1)[0].lstrip("0")
        if len(whole) > _MAX_LITERAL_DIGITS:
            raise self.error("number is too large", token.position)
        value: int | float = float(text) if "." in text else int(text)
        if not math.isfinite(float(value)):  # defensive: 300 digits stay finite
            raise self.error("number is too large", token.position)
        return value

    def column_of(self, position: int) -> int:
        return position - (self.source.rfind("\n", 0, position) + 1) + 1

    def name(self, token: Token, min_power: int) -> Node:
        word = token.text.lower()
        if word == "not":
            if min_power > _NOT:
                # Inside a comparison or arithmetic, "not" would bind to a
                # single operand, which nobody means by "[a] = not [b]".
                raise self.error(
                    "'not' must start a condition; put it in parentheses: (not ...)", token.position
                )
            return Not(self.expression(_NOT), token.position)
        if word in ("true", "false"):
            return Boolean(word == "true", token.position)
        if word in _KEYWORDS:
            raise self.unexpected(token, "a value before it")
        if self.peek().kind is Kind.LPAREN:
            return self.call(token)
        raise self.error(
            f"unknown name '{token.text}'; field names go in square brackets, e.g. [{token.text}]",
            token.position,
        )

    def call(self, name_token: Token) -> Node:
        name = name_token.text.lower()
        function = FUNCTIONS.get(name)
        if function is None:
            raise self.error(f"unknown function '{name_token.text}'", name_token.position)
        self.advance()  # the '('
        args: list[Node] = []
        if self.peek().kind is Kind.RPAREN:
            self.advance()
        else:
            while True:
                args.append(self.expression(0))
                separator = self.advance()
                if separator.kind is Kind.RPAREN:
                    break
                if separator.kind is not Kind.COMMA:
                    raise self.unexpected(separator, f"',' or ')' in the call to {name}()")
        count = len(args)
        if count < function.min_args or (function.max_args is not None and count > function.max_args):
            raise self.error(f"{name}() takes {function.arity_text()}, got {count}", name_token.position)
        call = Call(name, tuple(args), name_token.position)
        problem = check_call(call)
        if problem is not None:
            raise self.error(*problem)
        return call

    def field(self, first: Token) -> Node:
        """``[field]``, ``[event][field]``, ``[field][instance]``, ``[event][field][instance]`` or a
        smart variable such as ``[event-name]``; adjacent bracket groups belong together."""
        groups = [first]
        while self.peek().kind is Kind.FIELD and self.peek().position == groups[-1].end and len(groups) < 4:
            groups.append(self.advance())
        if len(groups) == 4:
            raise self.error("too many [..] groups in one reference (at most [event][field][instance])",
                             groups[3].position)
        texts = [g.text.strip() for g in groups]
        instance: str | None = None
        if len(groups) >= 2 and _is_instance(texts[-1]):  # field names never start with a digit
            instance = texts[-1]
            groups, texts = groups[:-1], texts[:-1]
        if len(groups) == 3:
            raise self.error(f"'[{texts[2]}]' is not a repeat instance (a number or [current-instance])",
                             groups[2].position)
        if len(groups) == 1:
            if instance is None and _is_smart(texts[0]):
                name, _, modifier = texts[0].partition(":")
                if modifier.lower() == "value" and _FIELD_NAME.match(name):
                    # [sex:value] is the stored value, as [sex]
                    return Field(FieldRef(None, name, None), first.position)
                return Smart(texts[0], first.position)
            return Field(self.field_ref(None, groups[0]), first.position, instance)
        event = texts[0]
        if _is_smart(event):
            if event.lower() not in EVENT_SMART_VARIABLES:
                raise self.error(f"'[{event}]' cannot stand for an event before [{texts[1]}]", first.position)
            event = event.lower()
        elif not _EVENT_NAME.match(event):
            raise self.error(f"'{groups[0].text}' is not a valid unique event name", first.position)
        # [event-name][field] is the current event, as a plain [field]
        return Field(self.field_ref(None if event == "event-name" else event, groups[1]), first.position,
                     instance)

    def field_ref(self, event: str | None, token: Token) -> FieldRef:
        text = token.text.strip()
        if not text:
            raise self.error("empty field reference '[]'", token.position)
        if _FIELD_NAME.match(text):
            return FieldRef(event, text, None)
        checkbox = _CHECKBOX.match(text)
        if checkbox:
            return FieldRef(event, checkbox.group(1), checkbox.group(2))
        if _is_smart(text):
            raise self.error(f"smart variable '[{text}]' cannot be used here", token.position)
        raise self.error(f"'{text}' is not a valid field name", token.position)
