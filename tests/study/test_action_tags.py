"""REDCap action tags in the Field Annotation (celltrial.study.protocol.action_tags).

Sources for the rules tested here:
- [FAQ] REDCap Help & FAQ, "Action Tags", as reproduced at
  https://research.bidmc.org/redcap-core/documentation/action-tags: tags begin with '@', several may
  be used on one field "but ... make sure to put a space or line break between them"; @HIDDEN-SURVEY
  hides the field on surveys only.
- [CASE] OHSU REDCap wiki, https://wiki.ohsu.edu/pages/viewpage.action?pageId=340004709: "Action tags
  are case sensitive ... @hidden-survey will not hide a field".
- [AT04] REDCap KB RC-AT-04 (checkbox tags), https://bdeveer.github.io/REDCap_KB_RAG/RC-AT-04_Action-Tags-Checkbox/:
  @NONEOFTHEABOVE='99', quoted or unquoted, several codes as '99, 98'.
- [AT05] REDCap KB RC-AT-05 (free text tags): @WORDLIMIT / @CHARLIMIT take a number; @PLACEHOLDER a text.
- [AT08] REDCap KB RC-AT-08 (@IF), https://bdeveer.github.io/REDCap_KB_RAG/RC-AT-08_Action-Tags-Conditional-IF/:
  @IF(condition, action tags if true, action tags if false), the condition in branching-logic syntax;
  an empty pair of quotes '' stands for "no tags" in a branch.
- [MAN] OUHSC REDCap manual ch. 9, https://ouhscbbmc.github.io/redcap-manual-v1/designint/actiontag.html:
  `@DEFAULT = '____'` (spaces around '=' allowed) sets the starting value, the code not the label.
- [CDISC] /work/shared/domain/cdisc.md §5: "REDCap pads a leading `@` with a space in UI exports".
"""

from __future__ import annotations

import pytest

from celltrial import logic
from celltrial.study.protocol.action_tags import EMPTY, ActionTags, parse_action_tags
from celltrial.study.protocol.schema import FormField


def test_no_annotation_means_no_tags() -> None:
    assert parse_action_tags(None) == EMPTY == ActionTags()
    assert not parse_action_tags("Source: hospital chart, page 2")
    assert FormField(name="a", type="text", label="A").action_tags == EMPTY


def test_flags_separated_by_space_or_line_break() -> None:  # [FAQ]
    tags = parse_action_tags("@HIDDEN-SURVEY\n@READONLY @NOW")
    assert (tags.hidden_survey, tags.readonly, tags.now, tags.hidden) == (True, True, True, False)
    # hidden on a survey (the guardian's link) but shown on the coordinator's form
    assert tags.hidden_on(survey=True) and not tags.hidden_on(survey=False)


def test_tags_are_case_sensitive_and_need_a_space_before() -> None:  # [CASE], [FAQ]
    assert parse_action_tags("@hidden @today") == EMPTY
    assert parse_action_tags("e-mail joe@HIDDEN.org") == EMPTY
    # a tag name runs to its end: @HIDDENX is not @HIDDEN
    assert parse_action_tags("@HIDDENX").unknown == frozenset({"HIDDENX"})
    assert not parse_action_tags("@HIDDENX").hidden


def test_leading_space_of_ui_exports() -> None:  # [CDISC]
    assert parse_action_tags(" @TODAY").today


@pytest.mark.parametrize("text", ["@DEFAULT='OK'", '@DEFAULT="OK"', "@DEFAULT = 'OK'", "@DEFAULT=OK"])
def test_default_spellings(text: str) -> None:  # [MAN]
    assert parse_action_tags(text).default == "OK"


def test_default_keeps_spaces_and_commas_inside_quotes() -> None:
    assert parse_action_tags("@DEFAULT='New York, NY' @READONLY") == ActionTags(default="New York, NY",
                                                                                 readonly=True)


@pytest.mark.parametrize("text", ["@NONEOFTHEABOVE='99, 98'", "@NONEOFTHEABOVE=99,98", '@NONEOFTHEABOVE="98,99"'])
def test_none_of_the_above_codes(text: str) -> None:  # [AT04]
    assert parse_action_tags(text).none_of_the_above == frozenset({"98", "99"})


def test_negative_codes_for_none_of_the_above() -> None:  # [AT04]: negative raw values are valid
    assert parse_action_tags("@NONEOFTHEABOVE='-9'").none_of_the_above == frozenset({"-9"})


def test_hidechoice_codes() -> None:
    assert parse_action_tags("@HIDECHOICE='3,4'").hidechoice == frozenset({"3", "4"})


def test_limits_and_placeholder() -> None:  # [AT05]
    tags = parse_action_tags("@CHARLIMIT=200 @PLACEHOLDER='e.g. 12.5'")
    assert (tags.charlimit, tags.placeholder, tags.wordlimit) == (200, "e.g. 12.5", None)
    assert parse_action_tags("@WORDLIMIT='50'").wordlimit == 50


@pytest.mark.parametrize("text", ["@CHARLIMIT=abc", "@CHARLIMIT=0", "@CHARLIMIT", "@WORDLIMIT=-3"])
def test_unreadable_limit_is_a_problem_not_a_crash(text: str) -> None:
    tags = parse_action_tags(text)
    assert tags.charlimit is None and tags.wordlimit is None
    assert len(tags.problems) == 1 and "positive whole number" in tags.problems[0]


def test_calctext_keeps_the_expression_with_its_commas_and_parentheses() -> None:
    tags = parse_action_tags("@CALCTEXT(if([age] < 6, 'under 6, young', concat('6', ' or over'))) @HIDDEN")
    assert tags.calctext == "if([age] < 6, 'under 6, young', concat('6', ' or over'))"
    assert tags.hidden


def test_unknown_tags_are_listed_for_warnings() -> None:
    tags = parse_action_tags("@SETVALUE='1' @MAXCHECKED=2 @HIDDEN")
    assert tags.unknown == frozenset({"SETVALUE", "MAXCHECKED"}) and tags.hidden


def test_if_with_empty_false_branch() -> None:  # [AT08]
    tags = parse_action_tags("@IF([sex] = '2', @HIDECHOICE='3' @READONLY, '') @PLACEHOLDER='x'")
    (condition, then, otherwise) = tags.if_[0]
    assert condition == "[sex] = '2'"
    assert then == ActionTags(hidechoice=frozenset({"3"}), readonly=True)
    assert otherwise == EMPTY
    assert tags.placeholder == "x" and not tags.readonly  # unresolved: the @IF is not applied yet


def test_resolve_applies_the_branch_the_condition_selects() -> None:  # [AT08]
    tags = parse_action_tags("@IF([age] < 7, @HIDDEN-SURVEY, @READONLY) @DEFAULT='1'")
    young = tags.resolve(lambda condition: logic.is_true(logic.evaluate(condition, {"age": "5"})))
    older = tags.resolve(lambda condition: logic.is_true(logic.evaluate(condition, {"age": "9"})))
    assert (young.hidden_survey, young.readonly, young.default, young.if_) == (True, False, "1", ())
    assert (older.hidden_survey, older.readonly, older.default) == (False, True, "1")


def test_nested_if() -> None:  # [AT08]: a branch holds action tags, @IF among them
    tags = parse_action_tags("@IF([a] = 1, @IF([b] = 1, @DEFAULT='both', @DEFAULT='a only'), @HIDDEN)")
    assert tags.conditions() == ("[a] = 1", "[b] = 1")

    def given(a: str, b: str) -> ActionTags:
        return tags.resolve(lambda c: logic.is_true(logic.evaluate(c, {"a": a, "b": b})))

    assert given("1", "1").default == "both"
    assert given("1", "0").default == "a only"
    assert given("0", "1") == ActionTags(hidden=True)


def test_malformed_if_is_a_problem() -> None:
    assert parse_action_tags("@IF([a] = 1, @HIDDEN)").problems == ("@IF needs (condition, tags if true, tags if false)",)
    assert "never closed" in parse_action_tags("@IF([a] = 1, @HIDDEN, ''").problems[0]


def test_units_and_language_tags_of_celltrial() -> None:
    tags = parse_action_tags('@UNITS="mmHg" @LANG-ZH-LABEL="收缩压"')
    assert (tags.units, tags.zh_label, tags.unknown) == ("mmHg", "收缩压", frozenset())


def test_field_exposes_its_tags_and_units() -> None:
    field = FormField(name="sbp", type="integer", label="SBP", units="mmHg", annotation="@READONLY")
    assert field.action_tags == ActionTags(readonly=True, units="mmHg")
