"""Donor eligibility: age band, infectious-disease markers and history, each with its reason.

Outcome precedence: any criterion NOT MET -> INELIGIBLE (even if others are still missing, because no
later result can rescue the donor); otherwise any criterion MISSING -> INCOMPLETE, listing what is
missing; otherwise ELIGIBLE. The rule set (age band, markers, result vocabulary) is data
(``specs/donor-eligibility-v1.yaml``, ILLUSTRATIVE) with its sources in that file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Any

from celltrial.product.rules._loading import read_mapping
from celltrial.product.rules.errors import RuleInputError, SpecificationError

DEFAULT_DONOR_RULES_FILE = "donor-eligibility-v1.yaml"


class DonorDecision(StrEnum):
    ELIGIBLE = "eligible"
    INELIGIBLE = "ineligible"
    INCOMPLETE = "incomplete"


class CriterionStatus(StrEnum):
    MET = "met"
    NOT_MET = "not met"
    MISSING = "missing"
    RECORDED = "recorded"  # informational marker (e.g. CMV IgG): shown, does not decide


@dataclass(frozen=True)
class MarkerRule:
    code: str
    name: str
    decides: bool = True


@dataclass(frozen=True)
class HistoryQuestion:
    code: str
    question: str


@dataclass(frozen=True)
class DonorRuleSet:
    id: str
    version: str
    title: str
    min_age_years: int
    max_age_years: int
    markers: tuple[MarkerRule, ...]
    history: tuple[HistoryQuestion, ...]
    negative_results: frozenset[str]
    positive_results: frozenset[str]
    indeterminate_results: frozenset[str]

    @property
    def version_id(self) -> str:
        return f"{self.id}/v{self.version}"


@dataclass(frozen=True)
class DonorRecord:
    """What is known about a donor. Age may be given directly or from dates of birth and assessment."""

    donor_id: str | None = None
    age_years: int | None = None
    date_of_birth: dt.date | None = None
    assessment_date: dt.date | None = None
    markers: Mapping[str, str] | None = None
    history: Mapping[str, bool] | None = None


@dataclass(frozen=True)
class CriterionOutcome:
    code: str
    name: str
    observed: str | None
    status: CriterionStatus
    reason: str


@dataclass(frozen=True)
class DonorEligibility:
    rule_set: str
    donor_id: str | None
    decision: DonorDecision
    criteria: tuple[CriterionOutcome, ...]

    @property
    def not_met(self) -> tuple[CriterionOutcome, ...]:
        return tuple(c for c in self.criteria if c.status is CriterionStatus.NOT_MET)

    @property
    def missing(self) -> tuple[str, ...]:
        return tuple(c.code for c in self.criteria if c.status is CriterionStatus.MISSING)

    @property
    def summary(self) -> str:
        if self.decision is DonorDecision.INELIGIBLE:
            return "INELIGIBLE: " + "; ".join(c.reason for c in self.not_met)
        if self.decision is DonorDecision.INCOMPLETE:
            return "INCOMPLETE: missing " + ", ".join(self.missing)
        return f"ELIGIBLE: all {len(self.criteria)} criteria of {self.rule_set} met"

    def to_dict(self) -> dict[str, Any]:
        return {
            "rule_set": self.rule_set,
            "donor_id": self.donor_id,
            "decision": self.decision.value,
            "summary": self.summary,
            "missing": list(self.missing),
            "not_met": [c.code for c in self.not_met],
            "criteria": [
                {"code": c.code, "name": c.name, "observed": c.observed, "status": c.status.value, "reason": c.reason}
                for c in self.criteria
            ],
        }


# ---------------------------------------------------------------- loading


def _norm(text: str) -> str:
    return " ".join(text.replace("_", " ").replace("-", " ").split()).casefold()


def _string_set(data: Mapping[str, Any], key: str) -> frozenset[str]:
    raw = data.get(key)
    if not isinstance(raw, Sequence) or isinstance(raw, str) or not raw:
        raise SpecificationError(f"donor rules: '{key}' must be a non-empty list of result words")
    return frozenset(_norm(str(v)) for v in raw)


def donor_rules_from_mapping(data: Mapping[str, Any]) -> DonorRuleSet:
    age = data.get("age_years")
    if not isinstance(age, Mapping) or not all(isinstance(age.get(k), int) for k in ("min", "max")):
        raise SpecificationError("donor rules: 'age_years' must give whole-year 'min' and 'max'")
    if age["min"] > age["max"]:
        raise SpecificationError(f"donor rules: age min {age['min']} is above max {age['max']}")
    markers = []
    for item in data.get("markers") or []:
        if not isinstance(item, Mapping) or "code" not in item:
            raise SpecificationError(f"donor rules: each marker needs a 'code', got {item!r}")
        markers.append(MarkerRule(str(item["code"]), str(item.get("name", item["code"])), bool(item.get("decides", True))))
    history = []
    for item in data.get("history") or []:
        if not isinstance(item, Mapping) or "code" not in item:
            raise SpecificationError(f"donor rules: each history question needs a 'code', got {item!r}")
        history.append(HistoryQuestion(str(item["code"]), str(item.get("question", item["code"]))))
    if not markers:
        raise SpecificationError("donor rules: 'markers' must list at least one infectious-disease marker")
    vocab = [_string_set(data, k) for k in ("negative_results", "positive_results", "indeterminate_results")]
    if vocab[0] & (vocab[1] | vocab[2]) or vocab[1] & vocab[2]:
        raise SpecificationError("donor rules: a result word cannot be both negative, positive and indeterminate")
    return DonorRuleSet(
        id=str(data.get("id", "")),
        version=str(data.get("version", "")),
        title=str(data.get("title", "")),
        min_age_years=age["min"],
        max_age_years=age["max"],
        markers=tuple(markers),
        history=tuple(history),
        negative_results=vocab[0],
        positive_results=vocab[1],
        indeterminate_results=vocab[2],
    )


def load_donor_rules(path: str | Path) -> DonorRuleSet:
    return donor_rules_from_mapping(read_mapping(path, "donor rules"))


def default_donor_rules() -> DonorRuleSet:
    """The shipped ILLUSTRATIVE donor rule set (18–35 y, full infectious-marker panel)."""
    return load_donor_rules(Path(str(resources.files("celltrial.product.rules") / "specs" / DEFAULT_DONOR_RULES_FILE)))


def _date(value: Any, field: str) -> dt.date | None:
    if value is None or isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError as exc:
        raise RuleInputError(f"donor {field} must be a date YYYY-MM-DD, got {value!r}") from exc


def donor_from_mapping(data: Mapping[str, Any]) -> DonorRecord:
    """Build a :class:`DonorRecord` from a parsed donor file."""
    age = data.get("age_years")
    if age is not None and (isinstance(age, bool) or not isinstance(age, int)):
        raise RuleInputError(f"donor age_years must be a whole number of years, got {age!r}")
    markers = data.get("markers") or {}
    history = data.get("history") or {}
    if not isinstance(markers, Mapping) or not isinstance(history, Mapping):
        raise RuleInputError("donor file: 'markers' and 'history' must be mappings of code: value")
    for code, answer in history.items():
        if answer is not None and not isinstance(answer, bool):
            raise RuleInputError(f"donor history {code!r} must be true (yes) or false (no), got {answer!r}")
    return DonorRecord(
        donor_id=None if data.get("donor_id") is None else str(data["donor_id"]),
        age_years=age,
        date_of_birth=_date(data.get("date_of_birth"), "date_of_birth"),
        assessment_date=_date(data.get("assessment_date"), "assessment_date"),
        markers={str(k): str(v) for k, v in markers.items() if v is not None},
        history={str(k): v for k, v in history.items() if v is not None},
    )


def load_donor(path: str | Path) -> DonorRecord:
    return donor_from_mapping(read_mapping(path, "donor"))


# ---------------------------------------------------------------- evaluation


def age_in_completed_years(date_of_birth: dt.date, on: dt.date) -> int:
    """Completed years of age on ``on`` (a birthday counts from the day itself)."""
    if on < date_of_birth:
        raise RuleInputError(f"assessment date {on} is before the date of birth {date_of_birth}")
    before_birthday = (on.month, on.day) < (date_of_birth.month, date_of_birth.day)
    return on.year - date_of_birth.year - int(before_birthday)


def _age_outcome(rules: DonorRuleSet, donor: DonorRecord) -> CriterionOutcome:
    name = f"Age {rules.min_age_years}–{rules.max_age_years} years"
    age = donor.age_years
    if age is None and donor.date_of_birth is not None and donor.assessment_date is not None:
        age = age_in_completed_years(donor.date_of_birth, donor.assessment_date)
    if age is None:
        return CriterionOutcome("age", name, None, CriterionStatus.MISSING, "age unknown: give age_years or date_of_birth and assessment_date")
    if age < 0:
        raise RuleInputError(f"donor age must be ≥ 0 years, got {age}")
    if rules.min_age_years <= age <= rules.max_age_years:
        return CriterionOutcome("age", name, f"{age} y", CriterionStatus.MET, f"age {age} y is within {rules.min_age_years}–{rules.max_age_years} y")
    side = "below" if age < rules.min_age_years else "above"
    return CriterionOutcome("age", name, f"{age} y", CriterionStatus.NOT_MET, f"age {age} y is {side} the {rules.min_age_years}–{rules.max_age_years} y band")


def _marker_outcome(rules: DonorRuleSet, marker: MarkerRule, raw: str | None) -> CriterionOutcome:
    if raw is None:
        if not marker.decides:
            return CriterionOutcome(marker.code, marker.name, None, CriterionStatus.RECORDED, "not reported (informational)")
        return CriterionOutcome(marker.code, marker.name, None, CriterionStatus.MISSING, f"{marker.name} result missing")
    word = _norm(raw)
    if word not in rules.negative_results | rules.positive_results | rules.indeterminate_results:
        allowed = ", ".join(sorted(rules.negative_results | rules.positive_results | rules.indeterminate_results))
        raise RuleInputError(f"marker {marker.code!r}: result {raw!r} is not understood; use one of: {allowed}")
    if not marker.decides:
        return CriterionOutcome(marker.code, marker.name, raw, CriterionStatus.RECORDED, f"{marker.name} {raw} (recorded, does not decide eligibility)")
    if word in rules.negative_results:
        return CriterionOutcome(marker.code, marker.name, raw, CriterionStatus.MET, f"{marker.name} {raw}")
    qualifier = "" if word in rules.positive_results else " (indeterminate: not negative)"
    return CriterionOutcome(marker.code, marker.name, raw, CriterionStatus.NOT_MET, f"{marker.name} {raw}{qualifier}")


def evaluate_donor(donor: DonorRecord, rules: DonorRuleSet | None = None) -> DonorEligibility:
    """Judge a donor against ``rules`` (default: the shipped ILLUSTRATIVE rule set)."""
    rules = rules or default_donor_rules()
    markers = dict(donor.markers or {})
    history = dict(donor.history or {})
    known_markers = {m.code for m in rules.markers}
    unknown = sorted(set(markers) - known_markers)
    if unknown:
        raise RuleInputError(
            f"unknown marker code(s) {', '.join(unknown)}; expected some of: {', '.join(sorted(known_markers))}"
        )
    unknown_history = sorted(set(history) - {h.code for h in rules.history})
    if unknown_history:
        raise RuleInputError(f"unknown history question(s) {', '.join(unknown_history)}")
    criteria = [_age_outcome(rules, donor)]
    criteria += [_marker_outcome(rules, m, markers.get(m.code)) for m in rules.markers]
    for q in rules.history:
        answer = history.get(q.code)
        if answer is None:
            criteria.append(CriterionOutcome(q.code, q.question, None, CriterionStatus.MISSING, f"not answered: {q.question}"))
        elif answer:
            criteria.append(CriterionOutcome(q.code, q.question, "yes", CriterionStatus.NOT_MET, f"{q.question}: yes"))
        else:
            criteria.append(CriterionOutcome(q.code, q.question, "no", CriterionStatus.MET, f"{q.question}: no"))
    statuses = {c.status for c in criteria}
    if CriterionStatus.NOT_MET in statuses:
        decision = DonorDecision.INELIGIBLE
    elif CriterionStatus.MISSING in statuses:
        decision = DonorDecision.INCOMPLETE
    else:
        decision = DonorDecision.ELIGIBLE
    return DonorEligibility(rules.version_id, donor.donor_id, decision, tuple(criteria))
