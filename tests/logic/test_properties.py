"""Property tests (hypothesis) of the parser, printer and evaluator."""

import datetime as dt
import math
import operator

from hypothesis import given, settings
from hypothesis import strategies as st

from celltrial import logic
from celltrial.logic import FieldRef
from celltrial.logic.nodes import Binary, Boolean, Call, Field, Negate, Node, Not, Number, String

# --- random syntax trees -------------------------------------------------------------------

names = st.from_regex(r"[a-z][a-z0-9_]{0,8}", fullmatch=True)
events = st.from_regex(r"[a-z0-9_]{1,12}", fullmatch=True)
codes = st.from_regex(r"[A-Za-z0-9_.\-]{1,4}", fullmatch=True)
field_refs = st.builds(FieldRef, st.none() | events, names, st.none() | codes)

numbers = st.integers(min_value=0, max_value=10**20) | st.floats(
    min_value=0, max_value=1e20, allow_nan=False, allow_infinity=False
)
# REDCap strings have no escape, so a string may hold one kind of quote but not both.
strings = st.text(max_size=8).filter(lambda s: not ('"' in s and "'" in s))

leaves: st.SearchStrategy[Node] = st.one_of(
    st.builds(Number, numbers),
    st.builds(String, strings),
    st.builds(Boolean, st.booleans()),
    st.builds(Field, field_refs),
)

BINARY_OPS = ["or", "and", "=", "<>", "<", "<=", ">", ">=", "+", "-", "*", "/", "^"]
# Functions whose arguments are free expressions (no design-time literal checks).
VARIADIC = ["sum", "min", "max", "mean"]
FIXED = {
    "if": 3,
    "abs": 1,
    "sqrt": 1,
    "isnumber": 1,
    "isblankormissingcode": 1,
    "contains": 2,
    "starts_with": 2,
    "ends_with": 2,
    "round": 1,
    "rounddown": 1,
    "roundup": 1,
}


def extend(children: st.SearchStrategy[Node]) -> st.SearchStrategy[Node]:
    fixed_calls = st.sampled_from(sorted(FIXED)).flatmap(
        lambda name: st.lists(children, min_size=FIXED[name], max_size=FIXED[name]).map(
            lambda args: Call(name, tuple(args))
        )
    )
    variadic_calls = st.builds(
        Call, st.sampled_from(VARIADIC), st.lists(children, min_size=1, max_size=3).map(tuple)
    )
    return st.one_of(
        st.builds(Negate, children),
        st.builds(Not, children),
        st.builds(Binary, st.sampled_from(BINARY_OPS), children, children),
        fixed_calls,
        variadic_calls,
    )


trees = st.recursive(leaves, extend, max_leaves=12)


@given(trees)
@settings(max_examples=300, deadline=None)
def test_printed_tree_parses_back_to_the_same_tree(tree: Node) -> None:
    source = logic.Expression("", tree).to_source()
    assert logic.parse(source).tree == tree, source


@given(trees)
@settings(max_examples=200, deadline=None)
def test_printing_is_idempotent(tree: Node) -> None:
    once = logic.Expression("", tree).to_source()
    assert logic.parse(once).to_source() == once


# Field values of every shape a record may hold.
field_values = st.one_of(
    st.none(),
    st.just(""),
    st.text(max_size=6),
    st.integers(-1000, 1000).map(str),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(-(10**30), 10**30),
    st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2100, 1, 1)),
    st.dates().map(dt.date.isoformat),
    st.booleans(),
    st.sets(st.sampled_from(["1", "2", "3"])),
)


@given(trees, st.data())
@settings(max_examples=300, deadline=None)
def test_evaluation_never_raises_on_any_data(tree: Node, data: st.DataObject) -> None:
    expr = logic.Expression("", tree)
    record: dict[str, object] = {}
    event_records: dict[str, dict[str, object]] = {}
    for ref in expr.references():
        target = record if ref.event is None else event_records.setdefault(ref.event, {})
        key = ref.field if ref.code is None else f"{ref.field}___{ref.code}"
        target[key] = data.draw(field_values)
    result = expr.evaluate(record, events=event_records, today=dt.date(2025, 1, 1))
    assert isinstance(result, str | int | float | bool)
    if isinstance(result, float):
        assert math.isfinite(result)
    logic.is_true(result)


# --- arithmetic matches Python -------------------------------------------------------------------

small_numbers = st.integers(0, 1000) | st.floats(0, 1000, allow_nan=False).map(lambda x: round(x, 3))


def _python_value(source: str) -> float | None:
    """Python's own arithmetic for the same text (test oracle only; the module never does this)."""
    try:
        value = eval(compile(source, "<oracle>", "eval"), {"__builtins__": {}}, {})
    except (ZeroDivisionError, OverflowError):
        return None
    return float(value)


@st.composite
def arithmetic(draw: st.DrawFn, depth: int = 0) -> tuple[str, str, dict[str, str]]:
    """Random arithmetic as (REDCap text, Python text, record); operands may be fields."""
    if depth >= 3 or draw(st.booleans()):
        value = draw(small_numbers)
        text = repr(value) if isinstance(value, float) else str(value)
        if draw(st.booleans()):
            # named after its value, so two leaves sharing a name share a value
            name = "v_" + text.replace(".", "_")
            return f"[{name}]", text, {name: text}
        if draw(st.booleans()):
            # a power of a literal by a small exponent: exact in floats and in ints
            exponent = draw(st.integers(0, 3))
            return f"({text})^{exponent}", f"({text})**{exponent}", {}
        return text, text, {}
    op = draw(st.sampled_from(["+", "-", "*", "/"]))
    left_redcap, left_py, left_rec = draw(arithmetic(depth + 1))
    right_redcap, right_py, right_rec = draw(arithmetic(depth + 1))
    if draw(st.booleans()):
        return f"-({left_redcap})", f"-({left_py})", left_rec
    paren = draw(st.booleans())
    redcap = f"{left_redcap} {op} {right_redcap}"
    python = f"{left_py} {op} {right_py}"
    if paren:
        redcap, python = f"({redcap})", f"({python})"
    return redcap, python, {**left_rec, **right_rec}


@given(arithmetic())
@settings(max_examples=400, deadline=None)
def test_arithmetic_matches_python(case: tuple[str, str, dict[str, str]]) -> None:
    redcap, python, record = case
    expected = _python_value(python)
    result = logic.evaluate(redcap, record)
    if isinstance(result, str) and result != "":
        result = float(result)  # a lone [field] evaluates to its stored text
    if expected is None or not math.isfinite(expected):
        assert result == "", (redcap, result)
    else:
        assert result == expected, (redcap, python, result, expected)


@given(
    st.floats(allow_nan=False, allow_infinity=False),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(["+", "-", "*", "/"]),
)
def test_binary_arithmetic_on_any_floats(a: float, b: float, op: str) -> None:
    functions = {"+": operator.add, "-": operator.sub, "*": operator.mul, "/": operator.truediv}
    try:
        expected = functions[op](a, b)
    except ZeroDivisionError:
        expected = math.inf
    result = logic.evaluate(f"[a] {op} [b]", {"a": repr(a), "b": repr(b)})
    if math.isfinite(expected):
        assert result == expected
    else:
        assert result == ""


# --- precedence of and / or / not against comparison --------------------------------------------------


@st.composite
def conditions(draw: st.DrawFn, depth: int = 0) -> tuple[str, str]:
    """Random conditions without parentheses around comparisons, as (REDCap, Python) text."""
    if depth >= 3 or draw(st.integers(0, 2)) == 0:
        a, b = draw(st.integers(0, 3)), draw(st.integers(0, 3))
        op = draw(st.sampled_from(["=", "<>", "<", "<=", ">", ">="]))
        python_op = {"=": "==", "<>": "!="}.get(op, op)
        return f"{a} {op} {b}", f"{a} {python_op} {b}"
    kind = draw(st.sampled_from(["and", "or", "not", "paren"]))
    left_redcap, left_py = draw(conditions(depth + 1))
    if kind == "not":
        return f"not {left_redcap}", f"not {left_py}"
    if kind == "paren":
        return f"({left_redcap})", f"({left_py})"
    right_redcap, right_py = draw(conditions(depth + 1))
    # Vary keyword case: REDCap accepts AND/OR as well.
    keyword = draw(st.sampled_from([kind, kind.upper()]))
    return f"{left_redcap} {keyword} {right_redcap}", f"{left_py} {kind} {right_py}"


@given(conditions())
@settings(max_examples=400, deadline=None)
def test_boolean_precedence_matches_python(case: tuple[str, str]) -> None:
    # Python also ranks or < and < not < comparisons, so its reading is the oracle.
    redcap, python = case
    expected = bool(eval(compile(python, "<oracle>", "eval"), {"__builtins__": {}}, {}))
    assert logic.is_true(logic.evaluate(redcap, {})) is expected, redcap


@given(st.integers(0, 3), st.integers(0, 3), st.integers(0, 3), st.integers(0, 3))
def test_and_binds_tighter_than_or(a: int, b: int, c: int, d: int) -> None:
    source = f"{a} = {b} or {c} = {d} and {a} < {c}"
    explicit = f"({a} = {b}) or (({c} = {d}) and ({a} < {c}))"
    assert logic.parse(source).tree == logic.parse(explicit).tree
    assert logic.evaluate(source, {}) == ((a == b) or (c == d and a < c))
