"""Release specifications as versioned data: loading, validation messages, the shipped default."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from celltrial.product.rules import (
    Comparison,
    RuleInputError,
    SpecificationError,
    TestKind,
    default_specification,
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
    ({"id": "s", "version": 1}, "'tests' must be a non-empty list"),
    ({"id": "s", "version": 1, "tests": [{"code": "A", "kind": "magic", "analyte": "a"}]}, "'kind' must be one of"),
    ({"id": "s", "version": 1, "tests": [{"code": "A", "kind": "numeric", "analyte": "a", "limit": 1}]}, "'comparison' is required"),
    ({"id": "s", "version": 1, "tests": [{"code": "A", "kind": "numeric", "analyte": "a", "comparison": "=>", "limit": 1}]}, "'comparison' must be one of"),
    ({"id": "s", "version": 1, "tests": [{"code": "A", "kind": "either_marker", "analyte": "a", "comparison": "<=", "limit": 2}]}, "at least two analytes"),
    ({"id": "s", "version": 1, "tests": [{"code": "A", "kind": "categorical", "analyte": "a"}]}, "'accepted'"),
    ({"id": "s", "version": 1, "tests": [{"code": "A", "kind": "viable_dose", "analyte": "a", "tolerance": 20}]}, "fraction between 0 and 1"),
    ({"id": "s", "version": 1, "tests": [{"code": "A", "kind": "categorical", "analyte": "a", "accepted": ["x"]}] * 2}, "unique"),
    ({"version": 1, "tests": [{"code": "A", "kind": "categorical", "analyte": "a", "accepted": ["x"]}]}, "'id' is required"),
])
def test_malformed_specifications_say_what_is_wrong(data: dict, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(SpecificationError, match=message):
        specification_from_mapping(data)


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
