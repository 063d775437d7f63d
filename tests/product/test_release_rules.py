"""Release decisions against the published rules.

- ISCT minimal criteria (Dominici M et al., Cytotherapy 2006;8(4):315-7): ≥95 % CD105, CD73, CD90;
  ≤2 % CD45, CD34, CD14 **or** CD11b, CD79α **or** CD19, HLA-DR — "either marker of the pair".
- USP <85>: endotoxin limit K/M with K = 5 EU/kg for non-intrathecal routes; per recipient:
  EU/mL × volume ÷ weight ≤ 5 EU/kg (PMC5993622).
- Domain note §1.1 protocol rule: viable cells = dose (cells/kg) × weight, tolerance ±20 %.
- A missing required result is a failure, not a pass (platform rule, issue 4).
"""

from __future__ import annotations

from typing import Any

import pytest

from celltrial.product.rules import (
    Decision,
    LotResults,
    RuleInputError,
    TestStatus,
    default_specification,
    evaluate_release,
    specification_from_mapping,
)

SPEC = default_specification()


def passing_values() -> dict[str, Any]:
    """A lot comfortably inside every published limit."""
    return {
        "cd105_pct": 99.0, "cd73_pct": 99.0, "cd90_pct": 99.0,
        "cd45_pct": 0.5, "cd34_pct": 0.5, "cd14_pct": 0.5, "cd79a_pct": 0.5, "hla_dr_pct": 0.5,
        "viability_pct": 92.0, "viable_cells_total": 2.35e7,
        "sterility": "No growth", "gram_stain": "no organisms seen", "mycoplasma": "Not detected",
        "endotoxin_eu_per_ml": 0.1, "karyotype": "46,XX", "passage": 4,
        "potency_t_cell_suppression_pct": 50.0,
    }


def lot(values: dict[str, Any], **context: Any) -> LotResults:
    context.setdefault("recipient_weight_kg", 23.5)
    context.setdefault("dose_cells_per_kg", 1.0e6)
    context.setdefault("volume_ml", 10.0)
    return LotResults(values=values, **context)


def evaluate(values: dict[str, Any], **context: Any):  # type: ignore[no-untyped-def]
    return evaluate_release(SPEC, lot(values, **context))


def test_all_tests_met_releases() -> None:
    result = evaluate(passing_values())
    assert result.decision is Decision.RELEASE
    assert result.failures == ()
    assert len(result.outcomes) == len(SPEC.tests)
    assert result.specification == "hbmmsc-release/v1"


@pytest.mark.parametrize(("marker", "value", "status"), [
    ("cd105_pct", 95.0, TestStatus.PASS),  # ISCT: ≥95 % — boundary is acceptable
    ("cd105_pct", 94.9, TestStatus.FAIL),
    ("cd73_pct", 94.0, TestStatus.FAIL),
    ("cd90_pct", 80.0, TestStatus.FAIL),
    ("cd45_pct", 2.0, TestStatus.PASS),  # ISCT: ≤2 % — boundary is acceptable
    ("cd45_pct", 2.1, TestStatus.FAIL),
    ("cd34_pct", 5.0, TestStatus.FAIL),
    ("hla_dr_pct", 2.5, TestStatus.FAIL),
])
def test_isct_single_marker_limits(marker: str, value: float, status: TestStatus) -> None:
    values = passing_values() | {marker: value}
    code = {"cd105_pct": "CD105", "cd73_pct": "CD73", "cd90_pct": "CD90", "cd45_pct": "CD45",
            "cd34_pct": "CD34", "hla_dr_pct": "HLA_DR"}[marker]
    result = evaluate(values)
    assert result.outcome(code).status is status
    assert (result.decision is Decision.RELEASE) == (status is TestStatus.PASS)


@pytest.mark.parametrize(("code", "first", "second"), [
    ("CD14_OR_CD11B", "cd14_pct", "cd11b_pct"),
    ("CD79A_OR_CD19", "cd79a_pct", "cd19_pct"),
])
class TestIsctEitherMarkerPairs:
    """Dominici 2006: "CD14 or CD11b", "CD79α or CD19" — either marker of the pair may be used."""

    def _values(self, first: str, second: str, **pair: float) -> dict[str, Any]:
        values = {k: v for k, v in passing_values().items() if k not in (first, second)}
        return values | pair

    def test_first_marker_alone_passing_suffices(self, code: str, first: str, second: str) -> None:
        result = evaluate(self._values(first, second, **{first: 1.0}))
        assert result.outcome(code).status is TestStatus.PASS

    def test_second_marker_alone_passing_suffices(self, code: str, first: str, second: str) -> None:
        result = evaluate(self._values(first, second, **{second: 1.9}))
        assert result.outcome(code).status is TestStatus.PASS
        assert result.decision is Decision.RELEASE

    def test_both_reported_within_limit_pass(self, code: str, first: str, second: str) -> None:
        result = evaluate(self._values(first, second, **{first: 2.0, second: 0.4}))
        assert result.outcome(code).status is TestStatus.PASS
        assert result.decision is Decision.RELEASE

    @pytest.mark.parametrize("which", ["first", "second"])
    def test_reported_out_of_limit_marker_fails_even_if_partner_passes(
        self, code: str, first: str, second: str, which: str
    ) -> None:
        # Dominici 2006: MSC "lack expression of ... CD14 or CD11b, CD79alpha or CD19" (≤2 % positive).
        # The "or" lets the laboratory test either marker of the pair; both mark the same
        # contaminating population (monocytes/macrophages; B cells), so a reported 3.0 % is an
        # out-of-specification result that its partner's 1.0 % cannot outweigh.
        high, low = (first, second) if which == "first" else (second, first)
        result = evaluate(self._values(first, second, **{high: 3.0, low: 1.0}))
        outcome = result.outcome(code)
        assert outcome.status is TestStatus.FAIL
        assert high in outcome.reason and low not in outcome.reason.split(" not meet")[0]
        assert result.decision is Decision.REJECT
        assert code in [o.code for o in result.failures]

    def test_just_above_two_percent_on_one_marker_fails(self, code: str, first: str, second: str) -> None:
        # ≤2 % is inclusive (Dominici 2006 "≤2% positive"): 2.0 passes, 2.01 fails.
        result = evaluate(self._values(first, second, **{first: 2.01, second: 2.0}))
        assert result.outcome(code).status is TestStatus.FAIL

    def test_both_failing_fails(self, code: str, first: str, second: str) -> None:
        result = evaluate(self._values(first, second, **{first: 3.0, second: 2.5}))
        assert result.outcome(code).status is TestStatus.FAIL
        assert result.decision is Decision.REJECT
        assert code in [o.code for o in result.failures]

    def test_single_reported_marker_failing_fails(self, code: str, first: str, second: str) -> None:
        result = evaluate(self._values(first, second, **{second: 2.01}))
        assert result.outcome(code).status is TestStatus.FAIL

    def test_neither_reported_is_missing(self, code: str, first: str, second: str) -> None:
        result = evaluate(self._values(first, second))
        assert result.outcome(code).status is TestStatus.MISSING
        assert result.decision is Decision.REJECT


def test_missing_required_result_is_a_named_failure() -> None:
    values = passing_values()
    del values["sterility"]
    result = evaluate(values)
    assert result.decision is Decision.REJECT
    sterility = result.outcome("STERILITY")
    assert sterility.status is TestStatus.MISSING and sterility.observed is None
    assert "sterility" in sterility.reason
    assert [o.code for o in result.failures] == ["STERILITY"]
    assert "STERILITY (missing)" in result.summary


def test_every_failing_test_is_named() -> None:
    values = passing_values() | {"viability_pct": 65.0, "mycoplasma": "detected", "passage": 7}
    del values["karyotype"]
    result = evaluate(values)
    assert result.decision is Decision.REJECT
    assert {o.code for o in result.failures} == {"VIABILITY", "MYCOPLASMA", "KARYOTYPE", "PASSAGE"}
    for outcome in result.failures:
        assert outcome.reason and outcome.requirement


# --- endotoxin per kg: USP <85> K = 5 EU/kg (IV) --------------------------------------------------
# 20 kg child, 10 mL product: 5 EU/kg × 20 kg ÷ 10 mL = 10 EU/mL is exactly the limit.
PER_KG_ONLY = specification_from_mapping({
    "id": "endotoxin-only", "version": "1",
    "tests": [{"code": "ENDOTOXIN_PER_KG", "kind": "endotoxin_per_kg", "analyte": "endotoxin_eu_per_ml",
               "comparison": "<=", "limit": 5, "unit": "EU/kg"}],
})


@pytest.mark.parametrize(("eu_per_ml", "decision"), [
    (10.0, Decision.RELEASE),  # 10 × 10 / 20 = 5.0 EU/kg: at the limit
    (9.9, Decision.RELEASE),
    (10.1, Decision.REJECT),   # 5.05 EU/kg
])
def test_endotoxin_per_kg_both_sides_of_the_limit(eu_per_ml: float, decision: Decision) -> None:
    results = LotResults({"endotoxin_eu_per_ml": eu_per_ml}, recipient_weight_kg=20.0, volume_ml=10.0)
    assert evaluate_release(PER_KG_ONLY, results).decision is decision


def test_endotoxin_per_kg_uses_actual_weight_and_weight_override() -> None:
    results = LotResults({"endotoxin_eu_per_ml": 10.0}, recipient_weight_kg=20.0, volume_ml=10.0)
    # a lighter recipient receives more EU per kg: 10 × 10 / 19 = 5.26 EU/kg
    assert evaluate_release(PER_KG_ONLY, results, weight_kg=19.0).decision is Decision.REJECT


def test_endotoxin_per_kg_without_weight_or_volume_is_missing_and_says_what() -> None:
    result = evaluate_release(PER_KG_ONLY, LotResults({"endotoxin_eu_per_ml": 0.1}, volume_ml=10.0))
    outcome = result.outcome("ENDOTOXIN_PER_KG")
    assert outcome.status is TestStatus.MISSING and "recipient weight" in outcome.reason
    result = evaluate_release(PER_KG_ONLY, LotResults({"endotoxin_eu_per_ml": 0.1}, recipient_weight_kg=20))
    assert "volume_ml" in result.outcome("ENDOTOXIN_PER_KG").reason


def test_endotoxin_concentration_limit_is_strict() -> None:
    # WJCC 2023 example spec: < 0.5 EU/mL (strictly below)
    assert evaluate(passing_values() | {"endotoxin_eu_per_ml": 0.5}).outcome("ENDOTOXIN_PER_ML").status is TestStatus.FAIL
    assert evaluate(passing_values() | {"endotoxin_eu_per_ml": 0.49}).outcome("ENDOTOXIN_PER_ML").status is TestStatus.PASS


def test_result_below_reporting_limit() -> None:
    # "<0.25 EU/mL" proves an upper limit of 0.5 EU/mL is met ...
    assert evaluate(passing_values() | {"endotoxin_eu_per_ml": "<0.25"}).outcome("ENDOTOXIN_PER_ML").status is TestStatus.PASS
    # ... but "<X" can never prove a lower limit (≥95 % CD105) is met
    assert evaluate(passing_values() | {"cd105_pct": "<99"}).outcome("CD105").status is TestStatus.FAIL


# --- viable dose: dose × weight ±20 % (domain note §1.1) -------------------------------------------
# 1.0e6 cells/kg × 23.5 kg = 2.35e7 viable cells; ±20 % = 1.88e7 … 2.82e7.
@pytest.mark.parametrize(("delivered", "status"), [
    (2.82e7, TestStatus.PASS), (2.83e7, TestStatus.FAIL),
    (1.88e7, TestStatus.PASS), (1.87e7, TestStatus.FAIL),
])
def test_viable_dose_tolerance_both_sides(delivered: float, status: TestStatus) -> None:
    result = evaluate(passing_values() | {"viable_cells_total": delivered})
    assert result.outcome("VIABLE_DOSE").status is status


def test_viable_dose_uses_the_weight_cap() -> None:
    # 80 kg capped at 60 kg (ILLUSTRATIVE protocol): intended 1e6 × 60 = 6.0e7
    values = passing_values() | {"viable_cells_total": 6.0e7}
    assert evaluate(values, recipient_weight_kg=80.0).outcome("VIABLE_DOSE").status is TestStatus.PASS
    # the uncapped 8.0e7 is 33 % above the capped intent
    values = passing_values() | {"viable_cells_total": 8.0e7}
    assert evaluate(values, recipient_weight_kg=80.0).outcome("VIABLE_DOSE").status is TestStatus.FAIL


def test_viable_dose_without_dose_is_missing() -> None:
    result = evaluate_release(SPEC, LotResults(passing_values(), recipient_weight_kg=23.5, volume_ml=10))
    assert result.outcome("VIABLE_DOSE").status is TestStatus.MISSING
    assert "dose_cells_per_kg" in result.outcome("VIABLE_DOSE").reason


# --- bad input, optional tests, versions -----------------------------------------------------------
def test_text_where_a_number_is_needed_is_bad_input() -> None:
    with pytest.raises(RuleInputError, match="viability_pct"):
        evaluate(passing_values() | {"viability_pct": "high"})


@pytest.mark.parametrize(
    ("analyte", "value"),
    [
        # Each of these met its limit arithmetically and released the lot before the fix.
        ("cd45_pct", -1.0),  # "≤ 2 %" (Dominici 2006): a negative percentage is a typing error
        ("hla_dr_pct", "-0.5"),
        ("cd14_pct", -0.1),  # either-marker pair goes through the same reader
        ("cd90_pct", 150.0),  # "≥ 95 %" (Dominici 2006): a percentage of cells cannot exceed 100
        ("viability_pct", 195.0),  # "≥ 70 %" (FDA CMC guidance 2008): 195 is 19.5 mistyped
        ("potency_t_cell_suppression_pct", 100.5),
        ("passage", -3),  # "≤ P5": a passage number is never negative
        ("viable_cells_total", -2.35e7),
        ("endotoxin_eu_per_ml", -0.1),  # "< 0.5 EU/mL" (WJCC 2023;11:5083): endotoxin is never < 0
    ],
)
def test_impossible_result_is_bad_input_not_a_pass(analyte: str, value: object) -> None:
    with pytest.raises(RuleInputError, match=analyte):
        evaluate(passing_values() | {analyte: value})


def test_percentage_bounds_themselves_are_accepted() -> None:
    # 0 % and 100 % are possible flow-cytometry results (ISCT negative/positive markers, Dominici 2006).
    result = evaluate(passing_values() | {"cd45_pct": 0, "cd105_pct": 100, "viability_pct": 100.0})
    assert result.decision is Decision.RELEASE


def test_number_where_text_is_needed_is_bad_input() -> None:
    with pytest.raises(RuleInputError, match="sterility"):
        evaluate(passing_values() | {"sterility": 0})


def test_results_for_another_specification_version_are_refused() -> None:
    with pytest.raises(RuleInputError, match="hbmmsc-release/v2"):
        evaluate_release(SPEC, lot(passing_values(), specification="hbmmsc-release/v2"))


def test_optional_test_missing_does_not_block_but_failing_does() -> None:
    spec = specification_from_mapping({
        "id": "x", "version": "1",
        "tests": [
            {"code": "VIAB", "kind": "numeric", "analyte": "v", "comparison": ">=", "limit": 70},
            {"code": "CFU", "kind": "numeric", "analyte": "cfu", "comparison": ">=", "limit": 10, "required": False},
        ],
    })
    result = evaluate_release(spec, LotResults({"v": 80}))
    assert result.decision is Decision.RELEASE
    assert result.outcome("CFU").status is TestStatus.NOT_TESTED
    assert evaluate_release(spec, LotResults({"v": 80, "cfu": 5})).decision is Decision.REJECT


def test_unused_results_are_reported() -> None:
    result = evaluate(passing_values() | {"cd105": 99.0})
    assert result.unused_results == ("cd105",)
