"""Donor eligibility: age band, infectious-disease markers and history, each with its reason.

Outcome precedence: any criterion NOT MET -> INELIGIBLE (even if others are still missing, because no
later result can rescue the donor); otherwise any criterion MISSING -> INCOMPLETE, listing what is
missing; otherwise ELIGIBLE. The rule set (age band, markers, result vocabulary) is data
(``specs/donor-eligibility-v1.yaml``, ILLUSTRATIVE) with its sources in that file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

from pydantic import Field, StrictBool, model_validator

from celltrial.product.rules._loading import read_mapping, read_rule_file, validate_rules
from celltrial.product.rules._schema import Code, StrictModel, Text
from celltrial.product.rules.errors import RuleInputError
from celltrial.product.rules.numbers import number
from celltrial.study.protocol.sourcemap import SourceMap

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


Years = Annotated[int, number(unit="years", ge=0, le=120, whole=True)]


class AgeBand(StrictModel):
    min: Years
    max: Years

    @model_validator(mode="after")
    def _ordered(self) -> AgeBand:
        if self.min > self.max:
            raise ValueError(f"age min {self.min} is above max {self.max}")
        return self


class MarkerEntry(StrictModel):
    code: Code
    name: Text | None = None
    decides: StrictBool = True


class HistoryEntry(StrictModel):
    code: Code
    question: Text | None = None


class DonorRulesFile(StrictModel):
    """A donor eligibility rule set file, as written (``specs/donor-eligibility-v1.yaml``)."""

    id: Code
    version: Code
    title: Text = ""
    status: Text = ""
    age_years: AgeBand
    negative_results: list[Code] = Field(min_length=1)
    positive_results: list[Code] = Field(min_length=1)
    indeterminate_results: list[Code] = Field(min_length=1)
    markers: list[MarkerEntry] = Field(min_length=1, description="infectious-disease markers")
    history: list[HistoryEntry] = Field(default_factory=list)

    @model_validator(mode="after")
    def _consistent(self) -> DonorRulesFile:
        words = (self.negative_results, self.positive_results, self.indeterminate_results)
        negative, positive, indeterminate = (frozenset(_norm(w) for w in group) for group in words)
        if negative & (positive | indeterminate) or positive & indeterminate:
            raise ValueError("a result word cannot be both negative, positive and indeterminate")
        codes_by_kind = (("marker", [m.code for m in self.markers]),
                         ("history question", [h.code for h in self.history]))
        for what, codes in codes_by_kind:
            repeated = sorted({c for c in codes if codes.count(c) > 1})
            if repeated:
                raise ValueError(f"{what} codes must be unique, repeated: {', '.join(repeated)}")
        return self

    def to_rule_set(self) -> DonorRuleSet:
        return DonorRuleSet(
            id=self.id,
            version=self.version,
            title=self.title,
            min_age_years=self.age_years.min,
            max_age_years=self.age_years.max,
            markers=tuple(MarkerRule(m.code, m.name or m.code, m.decides) for m in self.markers),
            history=tuple(HistoryQuestion(h.code, h.question or h.code) for h in self.history),
            negative_results=frozenset(_norm(w) for w in self.negative_results),
            positive_results=frozenset(_norm(w) for w in self.positive_results),
            indeterminate_results=frozenset(_norm(w) for w in self.indeterminate_results),
        )


def donor_rules_from_mapping(data: Mapping[str, Any], *, source: SourceMap | None = None) -> DonorRuleSet:
    """Build a donor rule set from a parsed YAML/JSON mapping. Raises SpecificationError listing every
    problem with its dotted field (and, given the file's ``source`` map, its file and line)."""
    return validate_rules(DonorRulesFile, data, source, "donor rules").to_rule_set()


def load_donor_rules(path: str | Path) -> DonorRuleSet:
    """Load a donor rule set from a YAML or JSON file; problems come with file:line."""
    data, source = read_rule_file(path)
    return donor_rules_from_mapping(data, source=source)


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
