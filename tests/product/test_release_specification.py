"""Release specifications as versioned data: loading, validation messages, the shipped default."""

from __future__ import annotations

import json
import re
from decimal import Decimal
from pathlib import Path

import pytest

from celltrial.product.rules import (
    Comparison,
    RuleInputError,
    SpecificationError,
    TestKind,
    default_specification,
    default_specification_path,
    load_results,
    load_specification,
    specification_from_mapping,
)

EXAMPLES = Path(__file__).resolve().parents[2] / "docs" / "examples"


def test_default_spec_carries_the_isct_panel_as_published() -> None:
    # Dominici 2006: ≥95 % CD105/CD73/CD90; ≤2 % CD45, CD34, CD14|CD11b, CD79α|CD19, HLA-DR.
    spec = default_specification()
    by_code = {t.code: t for t in spec.tests}
    for code in ("CD105", "CD73", "CD90"):
        assert (by_code[code].comparison, by_code[code].limit) == (Comparison.AT_LEAST, 95.0)
    for code in ("CD45", "CD34", "HLA_DR", "CD14_OR_CD11B", "CD79A_OR_CD19"):
        assert (by_code[code].comparison, by_code[code].limit) == (Comparison.AT_MOST, 2.0)
    assert set(by_code["CD14_OR_CD11B"].analytes) == {"cd14_pct", "cd11b_pct"}
    assert set(by_code["CD79A_OR_CD19"].analytes) == {"cd79a_pct", "cd19_pct"}
    # USP <85>: K = 5 EU/kg for IV
    assert by_code["ENDOTOXIN_PER_KG"].kind is TestKind.ENDOTOXIN_PER_KG and by_code["ENDOTOXIN_PER_KG"].limit == 5.0
    assert spec.weight_cap_kg == 60.0 and by_code["VIABLE_DOSE"].tolerance_fraction == 0.20
    assert all(t.source for t in spec.tests), "every test cites a source"


def test_docs_copy_of_the_spec_is_the_shipped_one() -> None:
    assert load_specification(EXAMPLES / "hbmmsc-release-v1.yaml") == default_specification()


def test_json_spec_loads(tmp_path: Path) -> None:
    path = tmp_path / "spec.json"
    path.write_text(json.dumps({"id": "s", "version": 2, "tests": [
        {"code": "V", "kind": "numeric", "analyte": "v", "comparison": ">=", "limit": 70, "unit": "%"}]}))
    spec = load_specification(path)
    assert spec.version_id == "s/v2" and spec.tests[0].requirement == "≥ 70 %"


@pytest.mark.parametrize(("data", "message"), [
    ({"id": "s", "version": 1}, "tests: missing required key 'tests'"),
    ({"id": "s", "version": 1, "tests": []}, "tests: List should have at least 1 item"),
    ({"id": "s", "version": 1, "tests": [{"code": "A", "kind": "magic", "analyte": "a"}]},
     "tests[0].kind: unknown value 'magic'; expected one of 'numeric'"),
    ({"id": "s", "version": 1, "tests": [{"code": "A", "kind": "numeric", "analyte": "a", "limit": 1}]},
     "tests[0].comparison: missing required key 'comparison'"),
    ({"id": "s", "version": 1, "tests": [{"code": "A", "kind": "numeric", "analyte": "a", "comparison": "=>", "limit": 1}]},
     "tests[0].comparison: Input should be '>=', '>', '<=' or '<'"),
    ({"id": "s", "version": 1, "tests": [{"code": "A", "kind": "either_marker", "analyte": "a", "comparison": "<=", "limit": 2}]},
     "tests[0]: an either_marker test needs at least two analytes"),
    ({"id": "s", "version": 1, "tests": [{"code": "A", "kind": "numeric", "analytes": ["a", "b"], "comparison": "<=", "limit": 2}]},
     "tests[0]: a numeric test reads exactly one analyte"),
    ({"id": "s", "version": 1, "tests": [{"code": "A", "kind": "categorical", "analyte": "a"}]},
     "tests[0].accepted: missing required key 'accepted'"),
    ({"id": "s", "version": 1, "tests": [{"code": "A", "kind": "viable_dose", "analyte": "a", "tolerance": 20}]},
     "tests[0].tolerance: must be less than 1 (a fraction: 0.2 = ±20%); got 20"),
    ({"id": "s", "version": 1, "tests": [{"code": "A", "kind": "categorical", "analyte": "a", "accepted": ["x"]}] * 2},
     "test codes must be unique, repeated: A"),
    ({"version": 1, "tests": [{"code": "A", "kind": "categorical", "analyte": "a", "accepted": ["x"]}]},
     "id: missing required key 'id'"),
    ({"id": "s", "version": 1, "tests": [{"code": "A", "kind": "numeric", "analyte": "a", "comparison": ">=", "limit": 195, "unit": "%"}]},
     "tests[0]: a limit in % cannot exceed 100; got 195"),
    # a key that belongs to another kind is refused, not ignored
    ({"id": "s", "version": 1, "tests": [{"code": "A", "kind": "categorical", "analyte": "a", "accepted": ["x"], "limit": 2}]},
     "tests[0].limit: unknown key 'limit'"),
])
def test_malformed_specifications_say_what_is_wrong(data: dict, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(SpecificationError, match=re.escape(message)):
        specification_from_mapping(data)


def _spec_file(tmp_path: Path, old: str, new: str) -> Path:
    text = default_specification_path().read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "spec.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1) if needle in line)


def test_misspelt_key_is_refused_with_file_line_and_field(tmp_path: Path) -> None:
    # The finding: a misspelt `weight_cap_kg` used to be ignored, so the dose had no weight cap.
    path = _spec_file(tmp_path, "weight_cap_kg: 60", "wieght_cap_kg: 60")
    with pytest.raises(SpecificationError) as err:
        load_specification(path)
    (issue,) = err.value.issues
    assert (issue.file, issue.line, issue.field) == (str(path), _line_of(path, "wieght_cap_kg"), "wieght_cap_kg")
    assert str(err.value) == (f"{path}:{issue.line}: wieght_cap_kg: unknown key 'wieght_cap_kg' "
                              "(misspelt, or not part of the specification format)")


def test_misspelt_key_inside_a_test_names_the_test(tmp_path: Path) -> None:
    path = _spec_file(tmp_path, "    tolerance: 0.20", "    tolerence: 0.20")
    with pytest.raises(SpecificationError) as err:
        load_specification(path)
    fields = {(i.field, i.line) for i in err.value.issues}
    index = [t.code for t in default_specification().tests].index("VIABLE_DOSE")
    assert (f"tests[{index}].tolerence", _line_of(path, "tolerence")) in fields
    assert f"tests[{index}].tolerance" in {f for f, _ in fields}  # and the real key is now missing


@pytest.mark.parametrize(("old", "new", "field", "message"), [
    ("weight_cap_kg: 60", "weight_cap_kg: sixty", "weight_cap_kg", "must be a number of kg; got 'sixty'"),
    ("weight_cap_kg: 60", "weight_cap_kg: yes", "weight_cap_kg", "must be a number of kg, not true"),
    ("weight_cap_kg: 60", "weight_cap_kg: [60]", "weight_cap_kg", "must be a number of kg; got [60]"),
    ("weight_cap_kg: 60", "weight_cap_kg: -60", "weight_cap_kg", "must be greater than 0 kg; got -60"),
    ("    tolerance: 0.20", "    tolerance: 20%", "tolerance", "must be a number"),
    ("analyte: cd105_pct, comparison", "analyte: cd105_pct, required: maybe, comparison", "tests[0].required",
     "Input should be a valid boolean"),
])
def test_wrong_type_is_refused_with_file_line(tmp_path: Path, old: str, new: str, field: str, message: str) -> None:
    path = _spec_file(tmp_path, old, new)
    with pytest.raises(SpecificationError) as err:
        load_specification(path)
    (issue,) = err.value.issues
    assert issue.field.endswith(field) and message in issue.message, issue
    assert issue.line == _line_of(path, new.strip())


@pytest.mark.parametrize("value", [".nan", ".inf", "-.inf", "1e999", '"NaN"', '"Infinity"'])
def test_non_finite_number_is_refused(tmp_path: Path, value: str) -> None:
    path = _spec_file(tmp_path, 'comparison: ">=", limit: 95, unit', f'comparison: ">=", limit: {value}, unit')
    with pytest.raises(SpecificationError) as err:
        load_specification(path)
    (issue,) = err.value.issues
    assert issue.field == "tests[0].limit" and "must be a finite number" in issue.message, issue
    assert issue.line == _line_of(path, "code: CD105")


def test_numbers_may_be_decimals_or_numeric_text() -> None:
    base = {"id": "s", "version": "3", "weight_cap_kg": Decimal("60.5"), "tests": [
        {"code": "V", "kind": "numeric", "analyte": "v", "comparison": ">=", "limit": "7.0e1", "unit": "%"},
        {"code": "D", "kind": "viable_dose", "analyte": "cells", "tolerance": Decimal("0.15")}]}
    spec = specification_from_mapping(base)
    assert spec.weight_cap_kg == 60.5 and spec.tests[0].limit == 70.0 and spec.tests[1].tolerance_fraction == 0.15
    with pytest.raises(SpecificationError, match="weight_cap_kg: must be a finite number of kg"):
        specification_from_mapping({**base, "weight_cap_kg": Decimal("NaN")})


def test_json_spec_errors_name_the_file_and_field(tmp_path: Path) -> None:
    path = tmp_path / "spec.json"
    path.write_text(json.dumps({"id": "s", "version": 2, "wieght_cap_kg": 60, "tests": [
        {"code": "V", "kind": "numeric", "analyte": "v", "comparison": ">=", "limit": 70, "unit": "%"}]}))
    with pytest.raises(SpecificationError) as err:
        load_specification(path)
    assert str(err.value).startswith(f"{path}: wieght_cap_kg: unknown key")


def test_unreadable_and_invalid_files(tmp_path: Path) -> None:
    with pytest.raises(RuleInputError, match="cannot read"):
        load_specification(tmp_path / "nope.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("id: [unclosed\n")
    with pytest.raises(RuleInputError, match="line"):
        load_specification(bad)


def test_example_results_files_load() -> None:
    results = load_results(EXAMPLES / "release-results-pass.yaml")
    assert results.dose_cells_per_kg == 1.0e6 and results.recipient_weight_kg == 23.5
    assert load_results(EXAMPLES / "release-results-reject.json").volume_ml == 30.0
