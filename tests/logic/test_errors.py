"""Syntax errors point at the exact column of the mistake."""

import pytest

from celltrial import logic


@pytest.mark.parametrize(
    ("source", "column", "fragment"),
    [
        ("([age] > 10))", 13, "unexpected ')'"),
        ("[age] > ", 9, "unexpected end of expression"),
        ("[age] >= 3 and", 15, "unexpected end"),
        ("[sex] = '1", 9, "unterminated string"),
        ("[sex = '1'", 1, "'[' is never closed"),
        ("[a] = 1 & [b] = 2", 9, "unexpected character '&'"),
        ("[a] == 1", 5, "use '='"),
        ("[a] [b]", 5, "unexpected [b]"),
        ("1 < [a] < 3", 9, "chained comparison"),
        ("2^3^2", 4, "chained '^'"),
        ("-2^2", 3, "'-' before a power"),
        ("foo([a])", 1, "unknown function 'foo'"),
        ("sum([a]) + round(1, 2, 3)", 12, "round() takes 1 to 2 arguments, got 3"),
        ("if([a] = 1, 2)", 1, "if() takes 3 arguments, got 2"),
        ('datediff([dob], [visit], "w")', 26, "datediff units"),
        ('datediff([dob], [visit], "y", "ydm")', 31, "date format"),
        ('datediff([dob], "31-31-2020", "d", "dmy")', 17, "not 'today' or a date"),
        ("round([a], 1.5)", 12, "whole number of decimal places"),
        ("[a][b][c] = 'x'", 7, "not a repeat instance"),
        ("[a][1][2] = 'x'", 4, "'1' is not a valid field name"),
        ("[current-instance][a] = 1", 1, "cannot stand for an event"),
        ("[a] = 1 # note", 9, "unexpected character '#'"),
        ("[a] = age", 7, "field names go in square brackets"),
        ("[] = 1", 1, "empty field reference"),
        ("(1 2)", 4, "'(' at column 1 is not closed"),
        ("[a] = 1 and", 12, "unexpected end"),
        ("[sex] = ＂1＂", 9, "unexpected character"),
        ("[sex] =（1)", 8, "full-width character '（'"),
        ("and [a]", 1, "unexpected 'and'"),
        ("[a] = not [b]", 7, "'not' must start a condition"),
        ("1 + not [b]", 5, "'not' must start a condition"),
        ("", 1, "empty expression"),
        ("1e3 > [a]", 1, "exponent notation '1e3' is not supported"),
        ("[a] > 2.5E-1", 7, "exponent notation '2.5E-1'"),
        ("[a]\x00= 1", 4, "unexpected character '\\x00'"),
        ("9" * 301, 1, "number is too large"),
        ("[a] = " + "9" * 5000, 7, "number is too large"),
        ("[a] = " + "9" * 400 + ".5", 7, "number is too large"),
    ],
)
def test_error_column(source: str, column: int, fragment: str) -> None:
    with pytest.raises(logic.LogicSyntaxError) as info:
        logic.parse(source)
    error = info.value
    assert error.column == column, str(error)
    assert fragment in error.message
    assert error.source == source


def test_message_has_caret_under_the_mistake() -> None:
    with pytest.raises(logic.LogicSyntaxError) as info:
        logic.parse("([age] > 10))")
    text = str(info.value)
    first, line, caret = text.split("\n")
    assert first == "unexpected ')' with no matching '(' at column 13"
    assert line == "  ([age] > 10))"
    assert caret == "  " + " " * 12 + "^"


def test_multiline_logic_reports_line_and_column() -> None:
    source = "[a] = 1\nand [b] = )"
    with pytest.raises(logic.LogicSyntaxError) as info:
        logic.parse(source)
    error = info.value
    assert (error.line, error.column) == (2, 11)
    assert "at line 2, column 11" in str(error)
    assert str(error).splitlines()[1] == "  and [b] = )"


def test_caret_accounts_for_wide_characters() -> None:
    with pytest.raises(logic.LogicSyntaxError) as info:
        logic.parse("[a] = '体重' +")
    caret_line = str(info.value).splitlines()[2]
    # two wide characters take four cells, so the caret sits 2 cells further right
    assert caret_line.index("^") == 2 + len("[a] = '") + 4 + len("' +")


def test_errors_are_value_errors_and_logic_errors() -> None:
    with pytest.raises(ValueError):
        logic.parse("(")
    with pytest.raises(logic.LogicError):
        logic.parse("(")


def test_non_string_source_is_a_type_error() -> None:
    with pytest.raises(TypeError):
        logic.parse(42)  # type: ignore[arg-type]


# --- absurd sizes: refused with a message, never a RecursionError or ValueError ------------


def _with_stack_used(frames: int, action):  # type: ignore[no-untyped-def]
    """Run `action` with `frames` frames already on the stack, as inside a web request."""
    if frames:
        return _with_stack_used(frames - 1, action)
    return action()


@pytest.mark.parametrize(
    ("source", "fragment"),
    [
        ("(" * 5000 + "1" + ")" * 5000, "nested too deeply"),
        ("not " * 3000 + "true", "nested too deeply"),
        ("-" * 3000 + "1", "nested too deeply"),
        ("abs(" * 2000 + "1" + ")" * 2000, "nested too deeply"),
        ("if([a], 1, " * 500 + "0" + ")" * 500, "nested too deeply"),
        (" + ".join(["[a]"] * 5000), "too long a chain"),
        (" and ".join(["[a] = 1"] * 5000), "too long a chain"),
    ],
)
def test_absurd_nesting_is_a_syntax_error(source: str, fragment: str) -> None:
    with pytest.raises(logic.LogicSyntaxError) as info:
        logic.parse(source)
    assert fragment in info.value.message


def test_the_largest_accepted_expressions_work_with_a_deep_caller_stack() -> None:
    from celltrial.logic.parser import MAX_DEPTH, MAX_NESTING

    sources = [
        " + ".join(f"[q{i}]" for i in range(MAX_DEPTH)),
        " and ".join(f"[q{i}] = 1" for i in range(MAX_DEPTH - 1)),
        "if([a] = 1, 1, " * (MAX_NESTING - 2) + "0" + ")" * (MAX_NESTING - 2),
        "(" * (MAX_NESTING - 1) + "1" + ")" * (MAX_NESTING - 1),
        "not " * (MAX_NESTING - 1) + "true",
        "(" * 60 + " + ".join(["[a]"] * 150) + ")" * 60,
    ]
    for source in sources:
        expression = _with_stack_used(300, lambda s=source: logic.parse(s))
        _with_stack_used(300, lambda e=expression: e.evaluate({"a": "1"}))
        text = _with_stack_used(300, expression.to_source)
        again = logic.parse(text)
        _with_stack_used(300, lambda e=expression: hash(e))
        assert _with_stack_used(200, lambda e=expression, a=again: e == a)
    assert logic.evaluate(" + ".join(["[a]"] * MAX_DEPTH), {"a": "1"}) == MAX_DEPTH
