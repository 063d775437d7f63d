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
        ("[a] = 1 && [b] = 2", 9, "use 'and'"),
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
        ("[event-name] = 'x'", 1, "smart variable"),
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
