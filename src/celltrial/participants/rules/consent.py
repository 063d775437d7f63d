"""Whether a child's consent is complete, and what it lets the team do (pure).

Valid consent is: the number of guardians the protocol requires, each with a *given* consent on a
guardian-consent document, with evidence (the e-signature of the person who obtained it, or a scan of
the signed paper form) and a witness where one is needed; and, when the child has reached the age
from which the protocol seeks assent, the child's assent — given (verbally, with pictures or in
writing) or documented as not obtainable with its reason. A child who declines has not assented.

Re-consent: when a newer consent (or assent) document has been approved for the participant's site
and language, re-consent is due at the participant's next visit; entry for the visits after that one
is refused until it is given. Reaching the assent age during the study makes assent due the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field

GUARDIAN = "guardian"
ASSENT = "assent"


@dataclass(frozen=True)
class Document:
    id: int
    kind: str  # GUARDIAN | ASSENT
    version: str
    valid_from: dt.date
    valid_until: dt.date | None = None

    def valid_on(self, day: dt.date) -> bool:
        return self.valid_from <= day and (self.valid_until is None or day <= self.valid_until)


@dataclass(frozen=True)
class Record:
    kind: str
    document: Document
    obtained_on: dt.date
    outcome: str  # "given" | "declined" | "not_obtainable"
    has_evidence: bool
    witness_ok: bool = True
    guardian_slot: int | None = None


@dataclass(frozen=True)
class Visit:
    code: str
    order: int
    target: dt.date | None
    closed: bool  # done, missed or cancelled


@dataclass(frozen=True)
class Due:
    kind: str  # GUARDIAN | ASSENT
    reason: str  # "new_version" | "assent_age"
    since: dt.date
    version: str = ""
    visit: str | None = None  # the visit at which it is due; entry after it is refused


@dataclass
class State:
    guardians_required: int
    guardians_consented: int = 0
    assent: str = "missing"  # given | not_obtainable | declined | not_sought | missing
    problems: list[str] = field(default_factory=list)
    due: list[Due] = field(default_factory=list)
    first_consent_on: dt.date | None = None

    @property
    def guardians_ok(self) -> bool:
        return self.guardians_consented >= self.guardians_required

    @property
    def assent_ok(self) -> bool:
        return self.assent in ("given", "not_obtainable", "not_sought")

    @property
    def valid(self) -> bool:
        """Valid consent exists (data entry may start); re-consent may still be due (see ``due``)."""
        return self.guardians_ok and self.assent_ok

    @property
    def current(self) -> bool:
        """Valid, and nothing is due: enrolment and entry at any visit are open."""
        return self.valid and not self.due


def current_document(documents: Iterable[Document], kind: str, day: dt.date) -> Document | None:
    """The newest document of ``kind`` valid on ``day`` (newest: latest ``valid_from``, then id)."""
    valid = [d for d in documents if d.kind == kind and d.valid_on(day)]
    return max(valid, key=lambda d: (d.valid_from, d.id)) if valid else None


def _newer(a: Document, b: Document) -> bool:
    return (a.valid_from, a.id) > (b.valid_from, b.id)


def _due_visit(visits: Sequence[Visit], since: dt.date, fallback: str | None) -> str | None:
    """The participant's next visit on or after ``since``: the first that is still open, in order."""
    for v in sorted(visits, key=lambda v: v.order):
        if not v.closed and (v.target is None or v.target >= since):
            return v.code
    return fallback


def state(records: Iterable[Record], documents: Iterable[Document], *, guardians_required: int,
          assent_from_age: int, age_years_on: Callable[[dt.date], int | None], today: dt.date,
          visits: Sequence[Visit] = (), screening_visit: str | None = None) -> State:
    """Consent state today. ``age_years_on(day)`` gives the child's completed years on a day (or None)."""
    records = list(records)
    documents = list(documents)
    result = State(guardians_required)
    given = [r for r in records if r.kind == GUARDIAN and r.outcome == "given"]
    complete = [r for r in given if r.has_evidence and r.witness_ok]
    for r in given:
        if not r.has_evidence:
            result.problems.append("guardian_evidence_missing")
        if not r.witness_ok:
            result.problems.append("guardian_witness_missing")
    latest_by_slot: dict[int, Record] = {}
    for r in sorted(complete, key=lambda r: (r.obtained_on, r.document.valid_from, r.document.id)):
        latest_by_slot[r.guardian_slot or 1] = r
    result.guardians_consented = len(latest_by_slot)
    if complete:
        result.first_consent_on = min(r.obtained_on for r in complete)
    if not result.guardians_ok:
        result.problems.append("guardian_consent_missing")

    assents = sorted((r for r in records if r.kind == ASSENT),
                     key=lambda r: (r.obtained_on, r.document.valid_from, r.document.id))
    documented = [r for r in assents if r.outcome == "declined" or (r.has_evidence and r.witness_ok)]
    for r in assents:
        if r.outcome != "declined" and not r.has_evidence:
            result.problems.append("assent_evidence_missing")
        if r.outcome != "declined" and not r.witness_ok:
            result.problems.append("assent_witness_missing")
    latest_assent = documented[-1] if documented else None
    if latest_assent is not None:
        result.assent = latest_assent.outcome
    else:
        # The age matters only when no assent is documented (and is read only then: it needs the vault).
        consent_age = age_years_on(result.first_consent_on) if result.first_consent_on else None
        sought_at_consent = consent_age is None or consent_age >= assent_from_age
        result.assent = "missing" if sought_at_consent else "not_sought"
    if result.assent == "declined":
        result.problems.append("assent_declined")
    elif result.assent == "missing" and result.guardians_ok:
        result.problems.append("assent_missing")

    if result.valid:
        for _slot, r in sorted(latest_by_slot.items()):
            newest = current_document(documents, GUARDIAN, today)
            if newest is not None and _newer(newest, r.document) and not any(
                    d.kind == GUARDIAN for d in result.due):
                result.due.append(Due(GUARDIAN, "new_version", newest.valid_from, newest.version))
        if latest_assent is not None and latest_assent.outcome in ("given", "not_obtainable"):
            newest = current_document(documents, ASSENT, today)
            if newest is not None and _newer(newest, latest_assent.document):
                result.due.append(Due(ASSENT, "new_version", newest.valid_from, newest.version))
        age_now = age_years_on(today) if result.assent == "not_sought" else None
        if age_now is not None and age_now >= assent_from_age:
            # The child reached the assent age after consent: assent is sought from the birthday on.
            birthday = _birthday_on_or_before(age_years_on, today, assent_from_age)
            result.due.append(Due(ASSENT, "assent_age", birthday))
    result.due = [Due(d.kind, d.reason, d.since, d.version, _due_visit(visits, d.since, screening_visit))
                  for d in result.due]
    return result


def _birthday_on_or_before(age_years_on: Callable[[dt.date], int | None], today: dt.date, years: int) -> dt.date:
    """The first day on which ``age_years_on`` reaches ``years`` (ages only grow, so a bisection finds it)."""
    low, high = today - dt.timedelta(days=366 * (years + 1)), today
    while low < high:
        mid = low + (high - low) // 2
        age = age_years_on(mid)
        if age is not None and age >= years:
            high = mid
        else:
            low = mid + dt.timedelta(days=1)
    return low


def entry_refusal(consent: State, visit: str | None, visits: Sequence[Visit], *, paused: bool,
                  withdrawal_scope: str | None) -> str | None:
    """Why entry at ``visit`` is refused (a reason code), or None when it is allowed.

    ``withdrawal_scope``: None, "product" (data collection continues), "visits" (no visit data) or
    "all" (no data at all).
    """
    if withdrawal_scope == "all":
        return "withdrawn_all"
    if not consent.valid:
        return "consent_missing"
    if paused:
        return "paused"
    if withdrawal_scope == "visits" and visit is not None:
        return "withdrawn_visits"
    order = {v.code: v.order for v in visits}
    for due in consent.due:
        if due.visit is None or visit is None:
            continue
        if order.get(visit, 0) > order.get(due.visit, 0):
            return "reconsent_due"
    return None
