"""Smoke test of the public API that other rooms code against."""

import pytest

from celltrial import logic


def test_public_api_round_trip() -> None:
    expr = logic.parse("[age] > 10 and [sex] = '1'")
    assert expr.references() == {logic.FieldRef(None, "age", None), logic.FieldRef(None, "sex", None)}
    assert logic.is_true(expr.evaluate({"age": "11", "sex": "1"}))
    assert not logic.is_true(expr.evaluate({"age": "9", "sex": "1"}))
    assert logic.evaluate("[a] + 1", {"a": "2"}) == 3


def test_syntax_error_has_column() -> None:
    with pytest.raises(logic.LogicSyntaxError) as info:
        logic.parse("([age] > 10))")
    assert info.value.column == 13
