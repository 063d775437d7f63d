"""A bad protocol is refused with file, line and field for every issue (lines asserted from fixtures)."""

from __future__ import annotations

from pathlib import Path

import pytest

from celltrial.study.protocol import load_protocol
from tests.study.protocol.protocol_testlib import FIXTURES, load_error

BROKEN = FIXTURES / "broken"


def _where(path: Path) -> list[tuple[str, int | None, str]]:
    return [(Path(i.file).name, i.line, i.field) for i in load_error(path).issues]


@pytest.mark.parametrize(
    ("fixture", "expected"),
    [
        ("negative_window.yaml", [("negative_window.yaml", 38, "visits[1].window.plus")]),
        ("string_dose.yaml", [("string_dose.yaml", 18, "dose_levels[1].dose_cells_per_kg")]),
        ("unknown_form.yaml", [("unknown_form.yaml", 32, "visits[0].forms[1]")]),
        ("duplicate_visit.yaml", [("duplicate_visit.yaml", 40, "visits[2].code")]),
        ("missing_key.yaml", [("missing_key.yaml", 43, "visits[2].window.plus")]),
        ("yaml_syntax.yaml", [("yaml_syntax.yaml", 43, "(YAML syntax)")]),
        ("bad_logic.yaml", [("bad_logic.yaml", 50, "eligibility[0].expression")]),
        ("unknown_field.yaml", [("unknown_field.yaml", 50, "eligibility[0].expression")]),
        ("bad_redcap.yaml", [("vitals_bad.csv", 5, "forms[1].fields[2].type"),
                             ("vitals_bad.csv", 6, "forms[1].fields[3].choices")]),
        ("redcap_schema.yaml", [("vitals_schema.csv", 4, "forms[1].fields[2].name"),
                                ("vitals_schema.csv", 5, "forms[1].fields[3]")]),
        ("schema_mix.yaml", [("schema_mix.yaml", 14, "sites[0].time_zone"),
                             ("schema_mix.yaml", 19, "escalation.design"),
                             ("schema_mix.yaml", 44, "visits[2].type"),
                             ("schema_mix.yaml", 45, "visits[2].colour")]),
        ("cross_mix.yaml", [("cross_mix.yaml", 18, "dose_levels[1].dose_cells_per_kg"),
                            ("cross_mix.yaml", 19, "escalation.start_dose"),
                            ("cross_mix.yaml", 56, "forms[0].fields[1].name")]),
    ],
)
def test_issue_names_file_line_and_field(fixture: str, expected: list[tuple[str, int, str]]) -> None:
    assert _where(BROKEN / fixture) == expected


def test_messages_are_readable() -> None:
    (issue,) = load_error(BROKEN / "negative_window.yaml").issues
    assert "greater than or equal to 0" in issue.message and "-2" in issue.message
    (issue,) = load_error(BROKEN / "string_dose.yaml").issues
    assert "'one million'" in issue.message
    (issue,) = load_error(BROKEN / "unknown_form.yaml").issues
    assert "'vital_signs'" in issue.message and "SCR" in issue.message
    (issue,) = load_error(BROKEN / "missing_key.yaml").issues
    assert issue.message == "missing required key 'plus'"
    (issue,) = load_error(BROKEN / "yaml_syntax.yaml").issues
    assert "begun on line 42" in issue.message


def test_logic_syntax_error_gives_column_inside_expression() -> None:
    (issue,) = load_error(BROKEN / "bad_logic.yaml").issues
    # "[age_years] >= and ..." : the parser trips on 'and', the 16th character.
    assert issue.expression_column == 16
    assert "column 16" in issue.message and "'and'" in issue.message


def test_unknown_field_in_expression_is_located() -> None:
    (issue,) = load_error(BROKEN / "unknown_field.yaml").issues
    assert issue.message.startswith("[weight] is not a field of the data dictionary")
    assert issue.expression_column == 27


def test_csv_issues_name_the_column() -> None:
    issues = load_error(BROKEN / "bad_redcap.yaml").issues
    assert [i.csv_column for i in issues] == ["Field Type", "Choices, Calculations, OR Slider Labels"]
    assert "'slidr'" in issues[0].message
    issues = load_error(BROKEN / "redcap_schema.yaml").issues
    assert issues[0].csv_column == "Variable / Field Name"
    assert "lower-case" in issues[0].message
    assert issues[1].message == "min 200 is greater than max 40"


def test_str_prints_one_file_line_field_message_per_issue() -> None:
    error = load_error(BROKEN / "schema_mix.yaml")
    lines = str(error).splitlines()
    assert len(lines) == 4
    assert lines[2] == (f"{BROKEN / 'schema_mix.yaml'}:44: visits[2].type: "
                        "Input should be 'on-site' or 'phone'; got 'telephone'")
    csv_line = str(load_error(BROKEN / "bad_redcap.yaml")).splitlines()[0]
    assert csv_line.startswith(f'{BROKEN / "vitals_bad.csv"}:5: forms[1].fields[2].type (column "Field Type"): ')


def test_duplicate_yaml_key_is_refused(tmp_path: Path) -> None:
    text = (FIXTURES / "minimal" / "protocol.yaml").read_text(encoding="utf-8")
    text = text.replace("  sae_site_to_sponsor_hours: 24\n", "  sae_site_to_sponsor_hours: 24\n  sae_site_to_sponsor_hours: 48\n")
    (tmp_path / "vitals.csv").write_bytes((FIXTURES / "minimal" / "vitals.csv").read_bytes())
    (tmp_path / "p.yaml").write_text(text, encoding="utf-8")
    (issue,) = load_error(tmp_path / "p.yaml").issues
    assert (issue.line, issue.field) == (text.splitlines().index("  sae_site_to_sponsor_hours: 48") + 1,
                                          "reporting.sae_site_to_sponsor_hours")
    assert "duplicate key" in issue.message


def test_error_in_included_form_file_names_that_file(tmp_path: Path) -> None:
    text = (FIXTURES / "minimal" / "protocol.yaml").read_text(encoding="utf-8")
    (tmp_path / "vitals.csv").write_bytes((FIXTURES / "minimal" / "vitals.csv").read_bytes())
    text = text.replace("  - redcap: vitals.csv\n", "  - include: extra.yaml\n  - redcap: vitals.csv\n")
    (tmp_path / "p.yaml").write_text(text, encoding="utf-8")
    (tmp_path / "extra.yaml").write_text(
        "name: extra\nlabel: {en: Extra, zh: 附加}\nfields:\n"
        "  - {name: ok_field, type: text, label: {en: OK, zh: 好}}\n"
        "  - name: bad_choice\n    type: radio\n    label: {en: Bad, zh: 坏}\n", encoding="utf-8")
    (issue,) = load_error(tmp_path / "p.yaml").issues
    assert (Path(issue.file).name, issue.line, issue.field) == ("extra.yaml", 5, "forms[1].fields[1]")
    assert issue.message == "a radio field needs choices"


def test_missing_file_is_reported() -> None:
    (issue,) = load_error(FIXTURES / "nope" / "protocol.yaml").issues
    assert issue.message.startswith("cannot read file")


def test_the_minimal_fixture_itself_loads() -> None:
    assert load_protocol(FIXTURES / "minimal" / "protocol.yaml").protocol.id == "MINI-1"


# --- review findings: expressions checked against the schedule and the choices; unreadable YAML ------


def _variant(tmp_path: Path, old: str, new: str) -> Path:
    text = (FIXTURES / "minimal" / "protocol.yaml").read_text(encoding="utf-8")
    assert old in text
    (tmp_path / "vitals.csv").write_bytes((FIXTURES / "minimal" / "vitals.csv").read_bytes())
    (tmp_path / "p.yaml").write_text(text.replace(old, new), encoding="utf-8")
    return tmp_path / "p.yaml"


def test_cross_visit_reference_needs_the_form_at_that_visit(tmp_path: Path) -> None:
    # D28 is a phone visit that collects no vitals: [d28][weight_kg] could never have a value.
    (issue,) = load_error(_variant(tmp_path, "[scr][weight_kg]", "[d28][weight_kg]")).issues
    assert (issue.line, issue.field) == (51, "eligibility[0].expression")
    assert "form 'vitals' is not collected at visit D28" in issue.message
    assert issue.expression_column == 27  # the field part of [d28][weight_kg]


def test_unknown_visit_points_at_the_event_part(tmp_path: Path) -> None:
    (issue,) = load_error(_variant(tmp_path, "[scr][weight_kg]", "[screening][weight_kg]")).issues
    assert issue.message.startswith("[screening] is not a visit code") and issue.expression_column == 22


def test_comparison_with_a_value_the_field_cannot_hold(tmp_path: Path) -> None:
    # consent is yes/no, stored 1/0: "= 'Y'" is never true, so the criterion could never be met.
    path = _variant(tmp_path, '"[age_years] >= 6 and', "\"[consent] = 'Y' and [age_years] >= 6 and")
    (issue,) = load_error(path).issues
    assert "[consent] is compared with 'Y', which is not one of its codes (0, 1)" in issue.message
    assert issue.expression_column == 13


def test_comparison_with_a_valid_code_or_blank_is_accepted(tmp_path: Path) -> None:
    path = _variant(tmp_path, '"[age_years] >= 6 and',
                    "\"[consent] = 1 and [consent] <> '' and [consent] = '1.0' and [age_years] >= 6 and")
    assert load_protocol(path).protocol.id == "MINI-1"


def test_plain_reference_to_a_checkbox_is_refused(tmp_path: Path) -> None:
    path = _variant(tmp_path, "      - {name: consent, type: yesno",
                    "      - {name: reasons, type: checkbox, label: R, choices: {1: A, 2: B},"
                    " branching: \"[reasons] = '1'\"}\n      - {name: consent, type: yesno")
    (issue,) = load_error(path).issues
    assert issue.field == "forms[0].fields[1].branching"
    assert "refer to one choice, e.g. [reasons(1)] = '1'" in issue.message


def test_calculation_cycle_is_refused(tmp_path: Path) -> None:
    path = _variant(tmp_path, "      - {name: consent, type: yesno",
                    "      - {name: c1, type: calc, calc: '[c2] + 1', label: C1}\n"
                    "      - {name: c2, type: calc, calc: '[c1] * 2', label: C2}\n"
                    "      - {name: consent, type: yesno")
    (issue,) = load_error(path).issues
    assert (issue.line, issue.field) == (57, "forms[0].fields[1].calc")
    assert issue.message == "calculations depend on each other in a cycle: [c1] -> [c2] -> [c1]"


def test_numeric_bounds_must_be_numbers(tmp_path: Path) -> None:
    (issue,) = load_error(_variant(tmp_path, "min: 0, max: 17", "min: abc, max: 17")).issues
    assert (issue.line, issue.field) == (56, "forms[0].fields[0].min")
    assert issue.message == "the min of an integer field must be a number; got 'abc'"


def test_error_on_a_later_line_of_a_multiline_expression(tmp_path: Path) -> None:
    path = _variant(tmp_path, 'expression: "[age_years] >= 6 and [scr][weight_kg] >= 17"',
                    "expression: |\n      [age_years] >= 6\n      and [weight] >= 17")
    (issue,) = load_error(path).issues
    assert issue.message == "[weight] is not a field of the data dictionary (line 2, column 5 of the expression)"


def test_impossible_yaml_date_is_an_issue_not_a_crash(tmp_path: Path) -> None:
    (issue,) = load_error(_variant(tmp_path, "date: 2025-01-01", "date: 2025-02-30")).issues
    assert (issue.line, issue.field) == (10, "protocol.version.date")
    assert "'2025-02-30'" in issue.message and "day is out of range" in issue.message


def test_self_containing_alias_is_an_issue_not_a_crash(tmp_path: Path) -> None:
    path = _variant(tmp_path, "sponsor: {en: Test sponsor, zh: 测试申办方}", "sponsor: &a [*a]")
    (issue,) = load_error(path).issues
    assert (issue.line, issue.field) == (9, "(YAML)")
    assert issue.message == "the alias *a refers to a value that contains it"


def test_absurdly_deep_yaml_and_logic_are_issues_not_crashes(tmp_path: Path) -> None:
    (tmp_path / "deep.yaml").write_text("x: " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    (issue,) = load_error(tmp_path / "deep.yaml").issues
    assert (issue.line, issue.message) == (1, "lists and mappings nested more than 64 levels deep")
    path = _variant(tmp_path, '"[age_years] >= 6 and [scr][weight_kg] >= 17"', '"' + "(" * 3000 + "1" + ")" * 3000 + '"')
    (issue,) = load_error(path).issues
    assert "nested too deeply" in issue.message
