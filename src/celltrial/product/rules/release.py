"""Evaluate a lot's QC results against a release specification: release or reject, every test named.

Principles:
- every test of the specification appears in the result, with what was required, what was observed,
  pass / fail / missing and why;
- a required test with no result is MISSING, which blocks release exactly like a failure (a missing
  sterility result is not a pass);
- a result reported as "<X" (below the assay's reporting limit) is used as the bound X: it can show
  that an upper limit is met, never that a lower limit is met.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from celltrial.core.messages import Msg
from celltrial.product.rules._loading import optional_number, read_mapping
from celltrial.product.rules.dose import check_tolerance, intended_viable_cells
from celltrial.product.rules.endotoxin import endotoxin_eu_per_kg
from celltrial.product.rules.errors import RuleInputError
from celltrial.product.rules.specification import (
    Comparison,
    ReleaseSpecification,
    SpecTest,
    TestKind,
)


class Decision(StrEnum):
    RELEASE = "release"
    REJECT = "reject"


class TestStatus(StrEnum):
    __test__ = False  # not a pytest test class

    PASS = "pass"
    FAIL = "fail"
    MISSING = "missing"
    NOT_TESTED = "not tested"  # optional test with no result: reported, does not block release


@dataclass(frozen=True)
class LotResults:
    """QC results of one lot, plus the recipient context some tests need."""

    values: Mapping[str, Any]
    lot: str | None = None
    specification: str | None = None
    recipient_weight_kg: float | None = None
    dose_cells_per_kg: float | None = None
    volume_ml: float | None = None


@dataclass(frozen=True)
class TestOutcome:
    __test__ = False  # not a pytest test class

    code: str
    name: str
    requirement: str
    observed: str | None
    status: TestStatus
    reason: str
    required: bool
    source: str

    @property
    def blocks_release(self) -> bool:
        return self.status in (TestStatus.FAIL, TestStatus.MISSING)


@dataclass(frozen=True)
class ReleaseEvaluation:
    specification: str
    lot: str | None
    decision: Decision
    outcomes: tuple[TestOutcome, ...]
    unused_results: tuple[str, ...] = field(default=())

    @property
    def failures(self) -> tuple[TestOutcome, ...]:
        """Every test that blocks release (failed or missing), in specification order."""
        return tuple(o for o in self.outcomes if o.blocks_release)

    def outcome(self, code: str) -> TestOutcome:
        for o in self.outcomes:
            if o.code == code:
                return o
        raise KeyError(code)

    @property
    def summary(self) -> str:
        if self.decision is Decision.RELEASE:
            return f"RELEASE: all {len(self.outcomes)} tests of {self.specification} met"
        names = ", ".join(f"{o.code} ({o.status.value})" for o in self.failures)
        return f"REJECT: {len(self.failures)} of {len(self.outcomes)} tests not met: {names}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "specification": self.specification,
            "lot": self.lot,
            "decision": self.decision.value,
            "summary": self.summary,
            "failing_tests": [o.code for o in self.failures],
            "tests": [
                {
                    "code": o.code,
                    "name": o.name,
                    "requirement": o.requirement,
                    "observed": o.observed,
                    "status": o.status.value,
                    "reason": o.reason,
                    "required": o.required,
                    "source": o.source,
                }
                for o in self.outcomes
            ],
            "unused_results": list(self.unused_results),
        }


# ---------------------------------------------------------------- observed values

_CENSORED = re.compile(r"^\s*<\s*([0-9]*\.?[0-9]+(?:[eE][-+]?[0-9]+)?)\s*$")


@dataclass(frozen=True)
class _Number:
    value: float
    below_reporting_limit: bool  # reported as "<value"

    def __str__(self) -> str:
        return f"<{self.value:g}" if self.below_reporting_limit else f"{self.value:g}"


def _as_number(analyte: str, raw: Any, unit: str) -> _Number:
    number = _parse_number(analyte, raw, unit)
    # A QC result outside what the assay can report is a typing error, not a pass: CD45 "-1 %" meets
    # "≤ 2 %" and viability "195 %" meets "≥ 70 %" arithmetically, and would release the lot.
    if number.value < 0:
        raise RuleInputError(f"result {analyte!r} = {raw!r} is negative: a QC result cannot be below 0 {unit}".rstrip())
    if unit == "%" and number.value > 100:
        raise RuleInputError(f"result {analyte!r} = {raw!r} is above 100 %: a percentage of cells cannot exceed 100")
    return number


def _parse_number(analyte: str, raw: Any, unit: str) -> _Number:
    if isinstance(raw, bool):
        raise RuleInputError(f"result {analyte!r} must be a number of {unit or 'units'}, got {raw!r}")
    if isinstance(raw, int | float):
        if not math.isfinite(raw):
            raise RuleInputError(f"result {analyte!r} must be a finite number, got {raw!r}")
        return _Number(float(raw), False)
    if isinstance(raw, str):
        censored = _CENSORED.match(raw)
        if censored:
            return _Number(float(censored.group(1)), True)
        try:
            value = float(raw)
        except ValueError:
            pass
        else:
            if math.isfinite(value):
                return _Number(value, False)
    raise RuleInputError(
        f"result {analyte!r} must be a number of {unit or 'units'} (or '<X' below the reporting limit), got {raw!r}"
    )


def _judge(test: SpecTest, number: _Number) -> bool:
    assert test.comparison is not None and test.limit is not None
    if number.below_reporting_limit and not test.comparison.is_upper_limit:
        return False  # "<X" cannot prove that a lower limit is met
    if number.below_reporting_limit and test.comparison is Comparison.LESS_THAN:
        return number.value <= test.limit  # true value < X ≤ limit
    return test.comparison.holds(number.value, test.limit)


def _normalise(text: str) -> str:
    return re.sub(r"\s+", "", text).casefold()


# ---------------------------------------------------------------- per-kind evaluation


def _outcome(test: SpecTest, observed: str | None, status: TestStatus, reason: str) -> TestOutcome:
    if status is TestStatus.MISSING and not test.required:
        status = TestStatus.NOT_TESTED
        reason = Msg("%(reason)s (optional test)", reason=reason)
    return TestOutcome(
        code=test.code,
        name=test.name,
        requirement=test.requirement,
        observed=observed,
        status=status,
        reason=reason,
        required=test.required,
        source=test.source,
    )


def _missing(test: SpecTest, what: str) -> TestOutcome:
    return _outcome(test, None, TestStatus.MISSING,
                    Msg("no result for %(what)s: a missing result cannot release a lot", what=what))


def _numeric(test: SpecTest, values: Mapping[str, Any]) -> TestOutcome:
    analyte = test.analytes[0]
    if values.get(analyte) is None:
        return _missing(test, analyte)
    number = _as_number(analyte, values[analyte], test.unit)
    ok = _judge(test, number)
    unit = f" {test.unit}" if test.unit else ""
    template = "%(analyte)s = %(value)s meets %(requirement)s" if ok else \
        "%(analyte)s = %(value)s does not meet %(requirement)s"
    if number.below_reporting_limit and not ok and not (test.comparison and test.comparison.is_upper_limit):
        template += " (a result below the reporting limit cannot show a lower limit is met)"
    reason = Msg(template, analyte=analyte, value=f"{number}{unit}", requirement=test.requirement)
    return _outcome(test, f"{number}{unit}", TestStatus.PASS if ok else TestStatus.FAIL, reason)


def _either_marker(test: SpecTest, values: Mapping[str, Any]) -> TestOutcome:
    reported = {a: _as_number(a, values[a], test.unit) for a in test.analytes if values.get(a) is not None}
    if not reported:
        return _missing(test, " or ".join(test.analytes))
    unit = f" {test.unit}" if test.unit else ""
    verdicts = {a: _judge(test, n) for a, n in reported.items()}
    observed = ", ".join(f"{a} {n}{unit}" for a, n in reported.items())
    failing = [a for a, ok in verdicts.items() if not ok]
    # ISCT "CD14 or CD11b" lets the laboratory test either marker; it does not let a reported
    # out-of-limit marker be outweighed by its partner. Both mark the same contaminating population
    # (monocytes/macrophages; B cells for CD79α/CD19), and MSC must "lack expression" of it
    # (Dominici et al., Cytotherapy 2006;8:315): every reported marker of the pair must meet the limit.
    if failing:
        shown = ", ".join(f"{a} = {reported[a]}{unit}" for a in failing)
        template = "%(shown)s does not meet %(requirement)s" if len(failing) == 1 else \
            "%(shown)s do not meet %(requirement)s"
        if len(failing) < len(reported):
            template += "; a passing partner marker does not outweigh a reported out-of-limit marker"
        reason = Msg(template, shown=shown, requirement=test.requirement)
        return _outcome(test, observed, TestStatus.FAIL, reason)
    names = " and ".join(reported)
    reason = Msg(("%(names)s meets %(requirement)s" if len(reported) == 1 else "%(names)s meet %(requirement)s")
                 + "; either marker of the pair may be tested (ISCT)", names=names, requirement=test.requirement)
    return _outcome(test, observed, TestStatus.PASS, reason)


def _categorical(test: SpecTest, values: Mapping[str, Any]) -> TestOutcome:
    analyte = test.analytes[0]
    raw = values.get(analyte)
    if raw is None:
        return _missing(test, analyte)
    if not isinstance(raw, str):
        raise RuleInputError(f"result {analyte!r} must be text such as {test.accepted[0]!r}, got {raw!r}")
    ok = _normalise(raw) in {_normalise(a) for a in test.accepted}
    reason = Msg("%(analyte)s = %(value)s is an accepted result" if ok else
                 "%(analyte)s = %(value)s is not one of %(requirement)s", analyte=analyte, value=repr(raw),
                 requirement=test.requirement)
    return _outcome(test, raw, TestStatus.PASS if ok else TestStatus.FAIL, reason)


def _viable_dose(test: SpecTest, results: LotResults, weight_kg: float | None, cap: float | None) -> TestOutcome:
    analyte = test.analytes[0]
    needed = []
    if results.values.get(analyte) is None:
        needed.append(f"{analyte} (viable cells)")
    if results.dose_cells_per_kg is None:
        needed.append("dose_cells_per_kg (cells/kg)")
    if weight_kg is None:
        needed.append("recipient weight (kg)")
    if needed:
        return _missing(test, ", ".join(needed))
    assert results.dose_cells_per_kg is not None and weight_kg is not None and test.tolerance_fraction is not None
    delivered = _as_number(analyte, results.values[analyte], "viable cells")
    if delivered.below_reporting_limit:
        raise RuleInputError(f"result {analyte!r} must be a cell count, not a '<X' value")
    intended = intended_viable_cells(results.dose_cells_per_kg, weight_kg, cap)
    check = check_tolerance(intended, delivered.value, test.tolerance_fraction)
    template = "%(check)s (%(dose)s cells/kg × %(kg)s kg, weight capped at %(cap)s kg)" \
        if cap is not None and weight_kg > cap else "%(check)s (%(dose)s cells/kg × %(kg)s kg)"
    reason = Msg(template, check=check.reason, dose=f"{results.dose_cells_per_kg:.3g}",
                 kg=f"{min(weight_kg, cap or weight_kg):g}", cap=f"{cap:g}" if cap is not None else "")
    status = TestStatus.PASS if check.within_tolerance else TestStatus.FAIL
    return _outcome(test, f"{delivered.value:.4g} viable cells", status, reason)


def _endotoxin_per_kg(test: SpecTest, results: LotResults, weight_kg: float | None) -> TestOutcome:
    analyte = test.analytes[0]
    needed = []
    if results.values.get(analyte) is None:
        needed.append(f"{analyte} (EU/mL)")
    if results.volume_ml is None:
        needed.append("volume_ml (product volume, mL)")
    if weight_kg is None:
        needed.append("recipient weight (kg)")
    if needed:
        return _missing(test, ", ".join(needed))
    assert results.volume_ml is not None and weight_kg is not None and test.limit is not None
    concentration = _as_number(analyte, results.values[analyte], "EU/mL")
    # Actual body weight, not the dosing cap: the pyrogenic threshold scales with the real recipient.
    per_kg = _Number(endotoxin_eu_per_kg(concentration.value, results.volume_ml, weight_kg), concentration.below_reporting_limit)
    ok = _judge(test, per_kg)
    shown = f"{'<' if per_kg.below_reporting_limit else ''}{per_kg.value:.3g} EU/kg"
    reason = Msg("%(c)s EU/mL × %(ml)s mL ÷ %(kg)s kg = %(shown)s meets %(requirement)s" if ok else
                 "%(c)s EU/mL × %(ml)s mL ÷ %(kg)s kg = %(shown)s exceeds %(requirement)s", c=str(concentration),
                 ml=f"{results.volume_ml:g}", kg=f"{weight_kg:g}", shown=shown, requirement=test.requirement)
    return _outcome(test, shown, TestStatus.PASS if ok else TestStatus.FAIL, reason)


# ---------------------------------------------------------------- public API


def results_from_mapping(data: Mapping[str, Any]) -> LotResults:
    """Build :class:`LotResults` from a parsed results file (``results:`` holds the analytes)."""
    values = data.get("results")
    if not isinstance(values, Mapping):
        raise RuleInputError("results file: 'results' must be a mapping of analyte: value")
    where = "results file"
    spec_ref = data.get("specification")
    lot = data.get("lot")
    return LotResults(
        values=dict(values),
        lot=None if lot is None else str(lot),
        specification=None if spec_ref is None else str(spec_ref),
        recipient_weight_kg=optional_number(data, "recipient_weight_kg", "kg", where),
        dose_cells_per_kg=optional_number(data, "dose_cells_per_kg", "viable cells/kg", where),
        volume_ml=optional_number(data, "volume_ml", "mL", where),
    )


def load_results(path: str | Path) -> LotResults:
    """Load a lot's QC results from a YAML or JSON file."""
    return results_from_mapping(read_mapping(path, "results"))


def evaluate_release(
    specification: ReleaseSpecification, results: LotResults, weight_kg: float | None = None
) -> ReleaseEvaluation:
    """Judge every test of ``specification`` on ``results``; release only if none fails or is missing.

    ``weight_kg`` (the recipient's screening / Day −1 weight) overrides ``results.recipient_weight_kg``.
    Raises :class:`RuleInputError` for unusable input (a text where a number is needed, a results file
    written for another specification version), never for a failing result.
    """
    if results.specification is not None and results.specification != specification.version_id:
        raise RuleInputError(
            f"results were recorded against specification {results.specification!r} "
            f"but are being judged against {specification.version_id!r}"
        )
    if weight_kg is not None and (not math.isfinite(weight_kg) or weight_kg <= 0):
        raise RuleInputError(f"recipient weight must be a positive number of kg, got {weight_kg}")
    weight = weight_kg if weight_kg is not None else results.recipient_weight_kg
    outcomes = []
    for test in specification.tests:
        if test.kind is TestKind.NUMERIC:
            outcomes.append(_numeric(test, results.values))
        elif test.kind is TestKind.EITHER_MARKER:
            outcomes.append(_either_marker(test, results.values))
        elif test.kind is TestKind.CATEGORICAL:
            outcomes.append(_categorical(test, results.values))
        elif test.kind is TestKind.VIABLE_DOSE:
            outcomes.append(_viable_dose(test, results, weight, specification.weight_cap_kg))
        else:
            outcomes.append(_endotoxin_per_kg(test, results, weight))
    decision = Decision.REJECT if any(o.blocks_release for o in outcomes) else Decision.RELEASE
    unused = tuple(sorted(k for k in results.values if k not in specification.analytes))
    return ReleaseEvaluation(
        specification=specification.version_id,
        lot=results.lot,
        decision=decision,
        outcomes=tuple(outcomes),
        unused_results=unused,
    )
