"""Donor eligibility (ILLUSTRATIVE rule set, domain note §4): age 18–35 y, infectious-disease markers
HIV-1/2 Ab + NAT, HBsAg, anti-HBc, HBV DNA, anti-HCV, HCV RNA, syphilis, HTLV-I/II, CMV, EBV; a reactive
screening test makes the donor ineligible (21 CFR 1271.80(d)); missing results leave the donor incomplete.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from celltrial.product.rules import (
    CriterionStatus,
    DonorDecision,
    RuleInputError,
    SpecificationError,
    default_donor_rules,
    donor_from_mapping,
    donor_rules_from_mapping,
    evaluate_donor,
    load_donor_rules,
)

DECIDING = ["hiv_ab", "hiv_nat", "hbsag", "anti_hbc", "hbv_dna", "anti_hcv", "hcv_rna", "syphilis", "htlv_ab", "cmv_igm", "ebv_vca_igm"]


def donor(**changes: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "donor_id": "D-2025-0012-B",
        "age_years": 25,
        "markers": {code: "negative" for code in DECIDING},
        "history": {"malignancy": False, "autoimmune_disease": False, "tse_risk": False},
    }
    record.update(changes)
    return record


def judge(record: dict[str, Any]):  # type: ignore[no-untyped-def]
    return evaluate_donor(donor_from_mapping(record))


def test_shipped_rule_set_covers_the_marker_panel() -> None:
    rules = default_donor_rules()
    assert (rules.min_age_years, rules.max_age_years) == (18, 35)
    assert set(DECIDING) <= {m.code for m in rules.markers if m.decides}


def test_clean_donor_is_eligible() -> None:
    assert judge(donor()).decision is DonorDecision.ELIGIBLE


@pytest.mark.parametrize("marker", DECIDING)
def test_any_reactive_marker_makes_ineligible_with_its_name(marker: str) -> None:
    record = donor()
    record["markers"] = record["markers"] | {marker: "reactive"}
    result = judge(record)
    assert result.decision is DonorDecision.INELIGIBLE
    assert [c.code for c in result.not_met] == [marker]


def test_hbsag_positive_reason() -> None:
    record = donor()
    record["markers"]["hbsag"] = "Positive"
    result = judge(record)
    assert "hbsag positive" in result.summary.lower()


def test_indeterminate_is_not_negative() -> None:
    record = donor()
    record["markers"]["anti_hcv"] = "equivocal"
    result = judge(record)
    assert result.decision is DonorDecision.INELIGIBLE and "indeterminate" in result.summary


@pytest.mark.parametrize(("age", "decision", "word"), [
    (17, DonorDecision.INELIGIBLE, "below"), (18, DonorDecision.ELIGIBLE, None),
    (35, DonorDecision.ELIGIBLE, None), (36, DonorDecision.INELIGIBLE, "above"),
])
def test_age_band_both_sides(age: int, decision: DonorDecision, word: str | None) -> None:
    result = judge(donor(age_years=age))
    assert result.decision is decision
    if word:
        assert word in result.summary


def test_age_from_dates_counts_completed_years() -> None:
    # born 2007-06-02: 17 on 2025-06-01, 18 on 2025-06-02
    record = donor(age_years=None, date_of_birth="2007-06-02", assessment_date="2025-06-01")
    assert judge(record).decision is DonorDecision.INELIGIBLE
    record["assessment_date"] = dt.date(2025, 6, 2)
    assert judge(record).decision is DonorDecision.ELIGIBLE


def test_missing_results_make_incomplete_and_are_listed() -> None:
    record = donor()
    del record["markers"]["hbv_dna"], record["markers"]["hcv_rna"], record["history"]["tse_risk"]
    result = judge(record)
    assert result.decision is DonorDecision.INCOMPLETE
    assert set(result.missing) == {"hbv_dna", "hcv_rna", "tse_risk"}
    assert "hbv_dna" in result.summary


def test_ineligible_wins_over_incomplete() -> None:
    record = donor(age_years=None)
    record["markers"]["syphilis"] = "positive"
    result = judge(record)
    assert result.decision is DonorDecision.INELIGIBLE
    assert "age" in result.missing


def test_history_yes_is_ineligible() -> None:
    record = donor()
    record["history"]["malignancy"] = True
    assert judge(record).not_met[0].code == "malignancy"


def test_cmv_igg_positive_is_recorded_not_exclusionary() -> None:
    record = donor()
    record["markers"]["cmv_igg"] = "positive"
    result = judge(record)
    assert result.decision is DonorDecision.ELIGIBLE
    assert next(c for c in result.criteria if c.code == "cmv_igg").status is CriterionStatus.RECORDED


@pytest.mark.parametrize(("record", "message"), [
    (donor(markers={"hiv": "negative"}), "unknown marker"),
    (donor(markers={"hiv_ab": "maybe"}), "not understood"),
    (donor(history={"malignancy": "no"}), "true \\(yes\\) or false \\(no\\)"),
    (donor(age_years="25"), "whole number"),
    (donor(age_years=None, date_of_birth="02/06/2007", assessment_date="2025-06-01"), "YYYY-MM-DD"),
])
def test_bad_donor_input_says_what_is_wrong(record: dict[str, Any], message: str) -> None:
    with pytest.raises(RuleInputError, match=message):
        judge(record)


# ---------------------------------------------------------------- the rule-set file is validated by its schema

RULES_FILE = Path(str(resources.files("celltrial.product.rules") / "specs" / "donor-eligibility-v1.yaml"))


def _rules_file(tmp_path: Path, old: str, new: str) -> Path:
    text = RULES_FILE.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / "rules.yaml"
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


def _line_of(path: Path, needle: str) -> int:
    return next(i for i, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1) if needle in line)


def test_shipped_rule_file_loads_unchanged() -> None:
    assert load_donor_rules(RULES_FILE) == default_donor_rules()


def test_misspelt_key_is_refused_with_file_line_and_field(tmp_path: Path) -> None:
    # `decide: false` used to be ignored, so CMV IgG (past infection, common in adults) would exclude donors.
    path = _rules_file(tmp_path, '{code: cmv_igg, name: "CMV IgG", decides: false}',
                       '{code: cmv_igg, name: "CMV IgG", decide: false}')
    with pytest.raises(SpecificationError) as err:
        load_donor_rules(path)
    (issue,) = err.value.issues
    index = [m.code for m in default_donor_rules().markers].index("cmv_igg")
    assert (issue.line, issue.field) == (_line_of(path, "decide: false"), f"markers[{index}].decide")
    assert str(err.value).startswith(f"{path}:{issue.line}: markers[{index}].decide: unknown key 'decide'")


@pytest.mark.parametrize(("old", "new", "field", "message"), [
    ("{min: 18, max: 35}", "{min: eighteen, max: 35}", "age_years.min", "must be a number of years; got 'eighteen'"),
    ("{min: 18, max: 35}", "{min: 18.5, max: 35}", "age_years.min", "must be a whole number of years; got 18.5"),
    ("{min: 18, max: 35}", "{min: true, max: 35}", "age_years.min", "must be a number of years, not true"),
    ("{min: 18, max: 35}", "{min: 18, max: 350}", "age_years.max", "must be at most 120 years; got 350"),
    ("{min: 18, max: 35}", "{min: 36, max: 35}", "age_years", "age min 36 is above max 35"),
    ("decides: false}", "decides: maybe}", "decides", "Input should be a valid boolean"),
    ('positive_results: ["positive",', 'positive_results: ["negative",', "(top level)", "cannot be both"),
])
def test_wrong_type_is_refused_with_file_line(tmp_path: Path, old: str, new: str, field: str, message: str) -> None:
    path = _rules_file(tmp_path, old, new)
    with pytest.raises(SpecificationError) as err:
        load_donor_rules(path)
    (issue,) = err.value.issues
    assert issue.field.endswith(field) and message in issue.message, issue
    if field != "(top level)":
        assert issue.line == _line_of(path, new)


@pytest.mark.parametrize("value", [".nan", ".inf", "1e400", '"NaN"'])
def test_non_finite_age_is_refused(tmp_path: Path, value: str) -> None:
    path = _rules_file(tmp_path, "{min: 18, max: 35}", f"{{min: {value}, max: 35}}")
    with pytest.raises(SpecificationError, match=r"age_years\.min: must be a finite number of years"):
        load_donor_rules(path)


def test_rule_set_needs_its_version() -> None:
    data = {"age_years": {"min": 18, "max": 35}, "negative_results": ["negative"], "positive_results": ["positive"],
            "indeterminate_results": ["equivocal"], "markers": [{"code": "hbsag"}]}
    with pytest.raises(SpecificationError, match="id: missing required key 'id'"):
        donor_rules_from_mapping(data)
    rules = donor_rules_from_mapping({**data, "id": "r", "version": Decimal("2")})
    assert rules.version_id == "r/v2"
