"""Eligibility, criterion by criterion, over the protocol's logic (REDCap syntax), in three values.

Each criterion is *met*, *not met* or *not evaluable*. A blank or missing field never makes a
criterion silently false (docs/logic.md: a blank comparison is false, which for an exclusion would
read "not excluded"): the expression's ``and`` / ``or`` / ``not`` skeleton is evaluated in Kleene's
three-valued logic, and any comparison or calculation that reads a missing field is *unknown*. So
``[alt] > 2 * [alt_uln] or [plt] < 100`` is met when the platelets are 80 even if ALT is still blank,
and not evaluable when the platelets are 150 and ALT is blank.

A field hidden by its branching logic (``[menarche]`` for a boy, ``[hbv_dna]`` when HBsAg is negative)
is blank but not missing: it takes part as blank, as REDCap evaluates it.

Ages come from the identity vault, never from the form's ``datediff`` calc: the caller supplies
``age_years`` / ``age_months`` (and the consent facts ``guardian_consent``, ``assent``, ``consent_date``)
as derived observations, which take precedence over a field of the same name.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from celltrial.logic import Expression, FieldRef, is_true, parse
from celltrial.logic.nodes import Binary, Field, Node, Not, walk


class Outcome(StrEnum):
    MET = "met"
    NOT_MET = "not_met"
    NOT_EVALUABLE = "not_evaluable"


class Decision(StrEnum):
    ELIGIBLE = "eligible"
    NOT_ELIGIBLE = "not_eligible"
    INCOMPLETE = "incomplete"


@dataclass(frozen=True)
class Observation:
    """One value and where it came from: a form at a visit, saved at a time (or a derived source)."""

    value: Any
    form: str = ""
    visit: str = ""
    recorded_at: str = ""
    # False when the field's branching logic hides it: then a blank is expected, not missing.
    applicable: bool = True
    source: str = ""  # for derived values: "vault", "consent"

    @property
    def missing(self) -> bool:
        return self.applicable and is_blank(self.value)


def is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str):
        return not value.strip()
    if isinstance(value, list | tuple | set | frozenset):
        return False  # a checkbox that was answered (possibly with nothing ticked) is never blank
    return False


MISSING = Observation(value="", applicable=True)


@dataclass(frozen=True)
class Criterion:
    id: str
    kind: str  # "inclusion" | "exclusion"
    expression: str


@dataclass(frozen=True)
class Used:
    """A value a criterion read: the reference as written, the value, and its provenance."""

    ref: str
    field: str
    value: Any
    form: str
    visit: str
    recorded_at: str
    source: str
    missing: bool
    applicable: bool

    def as_json(self) -> dict[str, Any]:
        return {"ref": self.ref, "field": self.field, "value": _jsonable(self.value), "form": self.form,
                "visit": self.visit, "recorded_at": self.recorded_at, "source": self.source,
                "missing": self.missing, "applicable": self.applicable}


@dataclass(frozen=True)
class CriterionResult:
    id: str
    kind: str
    outcome: Outcome
    used: tuple[Used, ...]

    @property
    def fails(self) -> bool:
        """This criterion makes the child ineligible: an unmet inclusion or a met exclusion."""
        return (self.kind == "inclusion" and self.outcome is Outcome.NOT_MET) or (
            self.kind == "exclusion" and self.outcome is Outcome.MET)

    @property
    def missing(self) -> list[str]:
        return [u.ref for u in self.used if u.missing]

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "kind": self.kind, "outcome": self.outcome.value, "fails": self.fails,
                "used": [u.as_json() for u in self.used]}


@dataclass(frozen=True)
class Evaluation:
    results: tuple[CriterionResult, ...]
    evaluated_on: str = ""

    @property
    def decision(self) -> Decision:
        if any(r.fails for r in self.results):
            return Decision.NOT_ELIGIBLE
        if any(r.outcome is Outcome.NOT_EVALUABLE for r in self.results):
            return Decision.INCOMPLETE
        return Decision.ELIGIBLE

    @property
    def failing(self) -> list[str]:
        return [r.id for r in self.results if r.fails]

    @property
    def not_evaluable(self) -> list[str]:
        return [r.id for r in self.results if r.outcome is Outcome.NOT_EVALUABLE]

    def inputs(self) -> dict[str, Any]:
        """Every value the criteria read, by reference: what a signed decision is checked against."""
        found: dict[str, Any] = {}
        for result in self.results:
            for used in result.used:
                found[used.ref] = _jsonable(used.value)
        return dict(sorted(found.items()))

    def result(self, criterion_id: str) -> CriterionResult:
        for r in self.results:
            if r.id == criterion_id:
                return r
        raise KeyError(criterion_id)

    def as_json(self) -> dict[str, Any]:
        return {"decision": self.decision.value, "failing": self.failing, "not_evaluable": self.not_evaluable,
                "evaluated_on": self.evaluated_on, "criteria": [r.as_json() for r in self.results],
                "inputs": self.inputs()}


def _jsonable(value: Any) -> Any:
    if isinstance(value, set | frozenset | tuple | list):
        return sorted(str(v) for v in value)
    if isinstance(value, dt.date):
        return value.isoformat()
    return value


@dataclass
class Data:
    """Observations by visit code (as the protocol writes it) and field, plus derived values."""

    visits: Mapping[str, Mapping[str, Observation]]
    derived: Mapping[str, Observation] = field(default_factory=dict)
    current_visit: str = "SCR"

    def visit_key(self, event: str | None) -> str | None:
        if event is None:
            return self.current_visit
        for code in self.visits:
            if code.lower() == event.lower():
                return code
        return None if event.lower() != self.current_visit.lower() else self.current_visit

    def observation(self, ref: FieldRef) -> Observation:
        if ref.field in self.derived:
            return self.derived[ref.field]
        code = self.visit_key(ref.event)
        if code is None:
            return MISSING
        return self.visits.get(code, {}).get(ref.field, MISSING)

    def record(self, code: str | None) -> dict[str, Any]:
        values = {name: ("" if not o.applicable and is_blank(o.value) else o.value)
                  for name, o in (self.visits.get(code, {}) if code else {}).items()}
        values.update({name: o.value for name, o in self.derived.items()})
        return values

    def events(self) -> dict[str, dict[str, Any]]:
        found = {code.lower(): self.record(code) for code in self.visits}
        found.setdefault(self.current_visit.lower(), self.record(self.current_visit))
        return found


def kleene(tree: Node, data: Data, *, today: dt.date) -> bool | None:
    """The truth of ``tree`` in three values: None when a missing field decides it."""
    if isinstance(tree, Binary) and tree.op in ("and", "or"):
        left, right = kleene(tree.left, data, today=today), kleene(tree.right, data, today=today)
        if tree.op == "and":
            if left is False or right is False:
                return False
            return None if left is None or right is None else True
        if left is True or right is True:
            return True
        return None if left is None or right is None else False
    if isinstance(tree, Not):
        inner = kleene(tree.operand, data, today=today)
        return None if inner is None else not inner
    refs = [node.ref for node in walk(tree) if isinstance(node, Field)]
    if any(data.observation(ref).missing for ref in refs):
        return None
    value = Expression("", tree).evaluate(data.record(data.current_visit), events=data.events(), today=today)
    return is_true(value)


def evaluate_criterion(criterion: Criterion, data: Data, *, today: dt.date) -> CriterionResult:
    expression = parse(criterion.expression)
    truth = kleene(expression.tree, data, today=today)
    outcome = Outcome.NOT_EVALUABLE if truth is None else Outcome.MET if truth else Outcome.NOT_MET
    used = []
    for ref in sorted(expression.references(), key=lambda r: (r.event or "", r.field, r.code or "")):
        o = data.observation(ref)
        code = data.visit_key(ref.event) if ref.field not in data.derived else ""
        value: Any = o.value
        if ref.code is not None and isinstance(value, list | tuple | set | frozenset):
            value = "1" if ref.code in {str(v) for v in value} else "0"
        used.append(Used(ref=ref.to_source(), field=ref.field, value=value, form=o.form, visit=o.visit or (code or ""),
                         recorded_at=o.recorded_at, source=o.source, missing=o.missing, applicable=o.applicable))
    return CriterionResult(criterion.id, criterion.kind, outcome, tuple(used))


def evaluate(criteria: Iterable[Criterion], data: Data, *, today: dt.date) -> Evaluation:
    """Evaluate every criterion; ``today`` fixes 'today' in any date logic (and is recorded)."""
    return Evaluation(tuple(evaluate_criterion(c, data, today=today) for c in criteria), today.isoformat())


def changed_inputs(signed: Mapping[str, Any], now: Mapping[str, Any]) -> dict[str, tuple[Any, Any]]:
    """The references whose value differs between a signed decision's inputs and today's."""
    return {ref: (signed.get(ref), now.get(ref)) for ref in sorted(set(signed) | set(now))
            if signed.get(ref) != now.get(ref)}


def applicability(branching: str | None, data: Data, visit: str, *, today: dt.date) -> bool:
    """Whether a field is shown at ``visit`` by its branching logic; unknown counts as shown (so a
    blank there stays missing, never silently "not applicable")."""
    if not branching:
        return True
    scoped = Data(data.visits, data.derived, current_visit=visit)
    return kleene(parse(branching).tree, scoped, today=today) is not False
