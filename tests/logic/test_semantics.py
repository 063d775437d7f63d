"""Evaluation rules: blanks, coercion, functions, dates, references."""

import datetime as dt
import decimal
from collections.abc import Mapping

import pytest

from celltrial import logic
from celltrial.logic import FieldRef


def ev(source: str, record: Mapping[str, object] | None = None, **kw: object) -> object:
    return logic.evaluate(source, record or {}, **kw)


# --- blanks -----------------------------------------------------------------------


@pytest.mark.parametrize("op", ["<", "<=", ">", ">="])
def test_ordering_with_a_blank_is_false(op: str) -> None:
    assert ev(f"[x] {op} 5", {"x": ""}) is False
    assert ev(f"5 {op} [x]", {}) is False


def test_blank_equality_with_a_number() -> None:
    assert ev("[x] = 0", {"x": ""}) is False
    assert ev("[x] <> 0", {"x": ""}) is True
    assert ev("[x] = 0", {"x": "0"}) is True


@pytest.mark.parametrize("source", ["[x] + 1", "[x] - 1", "[x] * 2", "[x] / 2", "[x] ^ 2", "-[x]"])
def test_blank_in_arithmetic_makes_the_calc_blank(source: str) -> None:
    assert ev(source, {"x": ""}) == ""
    assert ev(source, {"x": None}) == ""
    assert ev(source, {}) == ""


def test_text_in_arithmetic_is_blank_not_an_error() -> None:
    assert ev("[x] + 1", {"x": "abc"}) == ""
    assert ev("[x] * 1", {"x": "UNK"}) == ""


@pytest.mark.parametrize("source", ["1 / 0", "[a] / [b]", "0 ^ -1", "(-8) ^ 0.5", "sqrt(-1)", "10 ^ 400"])
def test_impossible_arithmetic_is_blank(source: str) -> None:
    assert ev(source, {"a": "1", "b": "0"}) == ""


def test_whitespace_only_is_blank() -> None:
    assert ev("[x] = ''", {"x": "   "}) is True


def test_all_blank_aggregates_stay_blank() -> None:
    for name in ("sum", "min", "max", "mean"):
        assert ev(f"{name}([a], [b])", {"a": "", "b": None}) == ""


def test_aggregate_with_text_is_blank() -> None:
    assert ev("sum([a], [b])", {"a": "1", "b": "x"}) == ""


# --- coercion and comparison ---------------------------------------------------------


def test_numeric_strings_compare_as_numbers() -> None:
    assert ev("[a] > [b]", {"a": "10", "b": "9"}) is True  # text order would say False
    assert ev("[a] = 1", {"a": "1.0"}) is True
    assert ev("[a] = '01'", {"a": "1"}) is True


def test_text_compares_as_text_and_case_sensitively() -> None:
    assert ev("[name] = 'Bob'", {"name": "Bob"}) is True
    assert ev("[name] = 'bob'", {"name": "Bob"}) is False
    assert ev("[d] < '2025-01-01'", {"d": "2024-12-31"}) is True


def test_python_values_in_records() -> None:
    assert ev("[w] * 2", {"w": 2.5}) == 5
    assert ev("[w] * 2", {"w": decimal.Decimal("1.25")}) == 2.5
    assert ev("[d] = '2025-03-01'", {"d": dt.date(2025, 3, 1)}) is True
    assert (
        ev("datediff([a], [b], 'h')", {"a": dt.datetime(2025, 1, 1, 8), "b": dt.datetime(2025, 1, 1, 20)})
        == 12
    )
    assert ev("[yn] = '1'", {"yn": True}) is True
    assert ev("[x] + 1", {"x": float("nan")}) == ""


def test_results_are_ints_when_whole() -> None:
    result = ev("[a] + [b]", {"a": "2", "b": "3"})
    assert result == 5 and isinstance(result, int)
    assert ev("1 / 4") == 0.25


def test_comparisons_count_as_numbers() -> None:
    # REDCap calcs often add up yes/no conditions.
    assert ev("([a] > 1) + ([b] > 1)", {"a": "2", "b": "3"}) == 2


# --- logic -----------------------------------------------------------------------------


def test_keywords_are_case_insensitive() -> None:
    assert ev("[a] = 1 AND [b] = 2 Or NOT [c] = 3", {"a": "1", "b": "2", "c": "3"}) is True
    assert ev("TRUE") is True


def test_not_binds_looser_than_comparison() -> None:
    assert ev("not [a] = 1", {"a": "2"}) is True
    assert logic.parse("not [a] = 1").tree == logic.parse("not ([a] = 1)").tree


def test_is_true() -> None:
    assert logic.is_true(True)
    assert logic.is_true(1) and logic.is_true("2") and logic.is_true(-0.5)
    for falsy in (False, 0, "0", "", "abc", None, 0.0, float("nan")):
        assert not logic.is_true(falsy)


def test_blank_condition_is_false() -> None:
    assert ev("if([a], 'yes', 'no')", {"a": ""}) == "no"
    assert logic.is_true(ev("[a] > 1 or [b] = ''", {})) is True


# --- functions ---------------------------------------------------------------------------


def test_rounding() -> None:
    assert ev("round(2.675, 2)") == 2.68  # the number as written, not its binary neighbour
    assert ev("round(2.5)") == 3
    assert ev("round(-2.5)") == -3  # half away from zero
    assert ev("round(1234.5, -2)") == 1200
    assert ev("rounddown(-14.384, 1)") == -14.3  # toward zero
    assert ev("roundup(-14.384, 1)") == -14.4  # away from zero
    assert ev("round([x], 1)", {"x": ""}) == ""
    assert ev("round(1.23, 40)") == 1.23
    # places beyond decimal's exponent range: unchanged to the right, nothing left to the left
    assert ev("round(2.5, 1000000000000)") == 2.5
    assert ev("round(2.5, -1000000000000)") == 0
    assert ev("round([x], -1000000000)", {"x": "1e300"}) == 0


def test_text_functions_are_case_insensitive() -> None:
    record = {"med": "Risperidone 0.5 mg"}
    assert ev("contains([med], 'risperidone')", record) is True
    assert ev("starts_with([med], 'RISP')", record) is True
    assert ev("ends_with([med], 'MG')", record) is True
    assert ev("contains([med], 'aripiprazole')", record) is False


def test_isnumber_and_isblankormissingcode() -> None:
    assert ev("isnumber([a])", {"a": "3.5"}) is True
    assert ev("isnumber([a])", {"a": "3.5kg"}) is False
    assert ev("isnumber([a])", {"a": ""}) is False
    assert ev("isblankormissingcode([a])", {"a": ""}) is True
    assert ev("isblankormissingcode([a])", {"a": "UNK"}) is False
    assert ev("isblankormissingcode([a])", {"a": "UNK"}, missing_codes=["UNK", "NASK"]) is True
    assert ev("isblankormissingcode([a])", {"a": "5"}, missing_codes=["UNK"]) is False


def test_function_names_are_case_insensitive() -> None:
    assert ev("ROUND(1.26, 1)") == 1.3
    assert logic.parse("Sum([a])").to_source() == "sum([a])"


# --- datediff --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("units", "expected"),
    [("d", 1.5), ("h", 36), ("m", 36 * 60), ("s", 36 * 3600), ("M", 1.5 / 30.44), ("y", 1.5 / 365.2425)],
)
def test_datediff_units(units: str, expected: float) -> None:
    record = {"a": "2025-01-01 00:00", "b": "2025-01-02 12:00"}
    assert ev(f"datediff([a], [b], '{units}')", record) == pytest.approx(expected)


def test_datediff_formats_and_iso_storage() -> None:
    assert ev("datediff('31-12-2024', '2025-01-02', 'd', 'dmy')") == 2  # stored value is always ISO
    assert ev("datediff('12-31-2024', '01-02-2025', 'd', 'mdy')") == 2
    assert ev("datediff([a], [b], 'm')", {"a": "08:15", "b": "09:45"}) == 90  # time fields


def test_datediff_today_and_sign() -> None:
    today = dt.date(2025, 6, 1)
    assert ev("datediff('today', [d], 'd', true)", {"d": "2025-05-31"}, today=today) == -1
    assert ev("datediff('today', [d], 'd')", {"d": "2025-05-31"}, today=today) == 1
    assert ev("datediff([d], 'today', 'd', 'ymd', false)", {"d": "2025-05-31"}, today=today) == 1


@pytest.mark.parametrize("value", ["", "2025-02-30", "not a date", "31/31/2025"])
def test_datediff_with_a_bad_date_is_blank(value: str) -> None:
    assert ev("datediff([a], '2025-01-01', 'd')", {"a": value}) == ""


def test_datediff_with_a_number_is_blank() -> None:
    assert ev("datediff([a], '2025-01-01', 'd')", {"a": 20250101}) == ""


# --- checkboxes and events ----------------------------------------------------------------------


def test_checkbox_shapes() -> None:
    assert ev("[c(-1)] = '1'", {"c____1": "1"}) is True  # REDCap exports code -1 as ___ + _1
    assert ev("[c(A)] = '1'", {"c___a": "1"}) is True  # export lower-cases codes
    assert ev("[c(2)] = '1'", {"c": ["1", 2]}) is True
    assert ev("[c(2)] = '1'", {"c": "1,2"}) is True
    assert ev("[c(3)] = '1'", {"c": "1,2"}) is False
    assert ev("sum([c(1)], [c(2)], [c(3)])", {"c": {"1", "3"}}) == 2


def test_plain_reference_to_a_checkbox_collection_is_blank() -> None:
    assert ev("[c] = ''", {"c": {"1"}}) is True


# --- references and printing -----------------------------------------------------------------------


def test_references() -> None:
    expr = logic.parse(
        "if([baseline_arm_1][weight] > 0 and [ae(3)] = '1', datediff([dob], [visit_1_arm_1][vdate], 'y'), '')"
    )
    assert expr.references() == {
        FieldRef("baseline_arm_1", "weight", None),
        FieldRef(None, "ae", "3"),
        FieldRef(None, "dob", None),
        FieldRef("visit_1_arm_1", "vdate", None),
    }
    assert expr.functions() == {"if", "datediff"}


def test_fieldref_source_form() -> None:
    assert FieldRef("e1", "f", "2").to_source() == "[e1][f(2)]"
    assert FieldRef(None, "f").to_source() == "[f]"


def test_to_source_normalises() -> None:
    expr = logic.parse('[a]!=1 AND ( [b] = "x" )')
    assert expr.to_source() == '[a] <> 1 and [b] = "x"'
    assert str(expr) == '[a]!=1 AND ( [b] = "x" )'
    assert expr == logic.parse(expr.to_source())


def test_expression_is_hashable_and_cached() -> None:
    assert hash(logic.parse("[a] + 1")) == hash(logic.parse("[a]+1"))


def test_control_characters_are_not_numeric_padding() -> None:
    # found by hypothesis: "\x1f" counts as whitespace for re's \s but not for float()
    assert logic.is_true("0\x1f") is False
    assert ev("[a] + 1", {"a": "2\x1f"}) == ""
    assert ev("[a] + 1", {"a": " 2\t"}) == 3
