"""REDCap logic as real dictionaries write it: `&&` / `||`, comment lines, smart variables and
`[field][instance]` references (issue 10 §2).

Sources:
- [HELP] REDCap's built-in help on logic, as served by a REDCap instance
  (https://chi-redcap.dshs.texas.gov/redcap/api/help/index.php?content=randomize): "how one might use #
  and // as comments in your logic and calculations", each comment on its own line, e.g.
  "# Text can be put here ..." above `if (...,` and "// This comment can explain ..." between arguments.
- [CDISC] /work/shared/domain/cdisc.md §5: smart variables `[event-name]`, `[current-instance]`; the
  longitudinal form `[baseline_arm_1][weight]`.
- [ISSUE] issue 10 §2: public dictionaries that REDCap loads use `||` and `&&`,
  `[survey-duration-completed:…]` and `[field][instance]`.
"""

from __future__ import annotations

import pytest

from celltrial import logic
from celltrial.logic.nodes import FieldRef


@pytest.mark.parametrize(("js", "words"), [
    ("[a] = '1' || [b] = '1'", "[a] = '1' or [b] = '1'"),
    ("[a] = '1' && [b] = '1'", "[a] = '1' and [b] = '1'"),
    ("[a] = 1 || [b] = 1 && [c] = 1", "[a] = 1 or [b] = 1 and [c] = 1"),
])
def test_javascript_and_or_mean_and_or(js: str, words: str) -> None:  # [ISSUE]
    assert logic.parse(js) == logic.parse(words)
    # 'and' binds tighter than 'or' either way: true or (false and false) is true
    assert logic.is_true(logic.evaluate(js.replace("[c] = 1", "[c] = 0"), {"a": "1", "b": "0", "c": "0"})) \
        is logic.is_true(logic.evaluate(words.replace("[c] = 1", "[c] = 0"), {"a": "1", "b": "0", "c": "0"}))


def test_the_example_with_comment_lines_from_redcap_help() -> None:  # [HELP]
    source = (
        "# Text can be put here to explain what the logic/calculation does and why.\n"
        "if ([field1] = '1' and [field2] > 7,\n"
        "// This comment can explain what the next line does.\n"
        "[score] * [factor],\n"
        "// Return '0' if the condition is False.\n"
        "0\n"
        ")"
    )
    expression = logic.parse(source)
    assert expression.references() == {FieldRef(None, n) for n in ("field1", "field2", "score", "factor")}
    assert logic.evaluate(source, {"field1": "1", "field2": "8", "score": "3", "factor": "2"}) == 6
    assert logic.evaluate(source, {"field1": "1", "field2": "7", "score": "3", "factor": "2"}) == 0


def test_a_hash_inside_a_string_or_mid_line_is_not_a_comment() -> None:
    assert logic.evaluate("[a] = '#1'", {"a": "#1"}) is True
    with pytest.raises(logic.LogicSyntaxError):
        logic.parse("[a] = 1 # trailing")


def test_smart_variables_parse_and_read_what_the_caller_supplies() -> None:  # [CDISC]
    expression = logic.parse("[event-name] = 'week_4_arm_1' and [current-instance] > 1")
    assert expression.smart_variables() == {"event-name", "current-instance"}
    assert expression.references() == frozenset()
    assert expression.evaluate({}, smart={"event-name": "week_4_arm_1", "current-instance": 2}) is True
    assert expression.evaluate({}, smart={"event-name": "week_4_arm_1", "current-instance": 1}) is False


def test_smart_variable_not_supplied_is_blank() -> None:
    # blank, as a missing field: a comparison with it is false, `<> ''` is false too
    assert logic.evaluate("[survey-duration-completed:consent:m] > 5", {}) is False
    assert logic.evaluate("[survey-duration-completed:consent:m] = ''", {}) is True


def test_smart_variable_with_parameters_is_read_whole() -> None:  # [ISSUE]
    expression = logic.parse("[survey-duration-completed:baseline_survey:m] > 30")
    assert expression.smart_variables() == {"survey-duration-completed:baseline_survey:m"}
    assert expression.evaluate({}, smart={"survey-duration-completed:baseline_survey:m": 31}) is True


def test_field_with_instance_number() -> None:  # [ISSUE]
    expression = logic.parse("[cm_dose][2] > [cm_dose]")
    assert expression.references() == {FieldRef(None, "cm_dose")}
    other = {2: "20"}
    assert expression.evaluate({"cm_dose": "10"}, instances=lambda e, f, i: other[int(i)]) is True
    # no other instances supplied: the other instance is blank, the comparison false
    assert expression.evaluate({"cm_dose": "10"}) is False


def test_current_instance_suffix_is_the_current_record() -> None:
    assert logic.evaluate("[cm_dose][current-instance] = 10", {"cm_dose": "10"}) is True


def test_event_field_instance() -> None:
    expression = logic.parse("[baseline_arm_1][cm_dose][previous-instance] = 5")
    assert expression.references() == {FieldRef("baseline_arm_1", "cm_dose")}
    seen = []

    def lookup(event: str | None, field: str, instance: str) -> str:
        seen.append((event, field, instance))
        return "5"

    assert expression.evaluate({}, instances=lookup) is True
    assert seen == [("baseline_arm_1", "cm_dose", "previous-instance")]


def test_event_name_prefix_is_the_current_event() -> None:  # [CDISC]: [event-name] is the current event
    assert logic.parse("[event-name][weight] > 3") == logic.parse("[weight] > 3")


def test_other_event_smart_variable_stays_an_event_reference() -> None:
    expression = logic.parse("[weight] - [previous-event-name][weight]")
    assert FieldRef("previous-event-name", "weight") in expression.references()
    assert expression.evaluate({"weight": "12"}, events={"previous-event-name": {"weight": "10"}}) == 2


def test_field_modifier_is_a_smart_value() -> None:
    expression = logic.parse("[sex:label] = 'Female'")
    assert expression.smart_variables() == {"sex:label"}
    assert expression.evaluate({"sex": "2"}) is False  # not supplied: blank


def test_value_modifier_is_the_stored_value() -> None:
    assert logic.parse("[sex:value] = '2'") == logic.parse("[sex] = '2'")


def test_printed_back_and_parsed_again() -> None:
    for source in ("[cm][2] > 1", "[e1][cm(3)][current-instance] = 1", "[survey-duration:consent] > 3"):
        expression = logic.parse(source)
        assert logic.parse(expression.to_source()) == expression
