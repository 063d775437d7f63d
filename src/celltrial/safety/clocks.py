"""Expedited-reporting clocks for serious adverse events and SUSARs (pure).

Rules and their sources (domain note clinical.md §3.2):

- **Site → sponsor**: every SAE is reported to the sponsor immediately, in writing (China GCP
  2020, NMPA/NHC Announcement 2020 No. 57, Art. 26 [M article text]); the protocol operationalises
  "immediately" as within 24 h of site awareness (ILLUSTRATIVE default, ``site_window`` argument).
- **Which cases are expedited**: a suspected unexpected serious adverse reaction (SUSAR) —
  serious (ICH E2A §II.B: death, life-threatening, in-patient hospitalisation or its prolongation,
  persistent or significant disability/incapacity, congenital anomaly/birth defect, or another
  important medical event), unexpected against the reference safety information (ICH E2A §II.C;
  the Investigator's Brochure version in force), and related. Relatedness by *either* party
  suffices: ICH E2A §III.A.1 counts cases "judged by either the reporting health care professional
  or the sponsor" as having a reasonable suspected causal relationship [section wording from
  secondary sources]; the CDE Q&A (2022 update) says that when investigator and sponsor disagree
  and either cannot rule out relatedness, the case is expedited [V].
- **Time frames**: fatal or life-threatening SUSAR — as soon as possible, no later than 7 calendar
  days after the sponsor's first knowledge that the case qualifies, followed by as complete a report
  as possible within 8 additional calendar days; all other SUSARs — no later than 15 calendar days
  (ICH E2A §III.B.1 and §III.B.2 [V, wording quoted in public E2A study material]; CDE
  "药物临床试验期间安全性数据快速报告标准和程序" 2018, which also fixes "the day the sponsor first
  learns = Day 0" [V]).
- **Counting**: calendar days from Day 0, no weekend or holiday shift (E2A says "calendar days").
- **Upgrade to fatal / life-threatening**: E2A starts the 7-day clock at the sponsor's "first
  knowledge ... that a case qualifies" for 7-day reporting, i.e. when the new information arrives.
  Policy (ours, documented in docs/rules.md): the binding due date is the *earlier* of
  upgrade date + 7 days and the existing 15-day due date — an upgrade never extends a clock already
  running. If the upgrade arrives after the 15-day due date has passed, it is follow-up information
  on a case already due and gets upgrade + 7 days. The complete report is due 8 calendar days after
  the binding date.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import Enum
from typing import Any

from celltrial.core.errors import InputError

SITE_WINDOW = timedelta(hours=24)
FATAL_DAYS = 7
FOLLOW_UP_DAYS = 8
OTHER_DAYS = 15
OTHER_RISK_DAYS = 15

CITE_E2A_SERIOUS = "ICH E2A (1994) §II.B, serious adverse event/adverse drug reaction"
CITE_E2A_UNEXPECTED = "ICH E2A (1994) §II.C, expectedness against the reference safety information"
CITE_E2A_CAUSALITY = (
    "ICH E2A (1994) §III.A.1 (either the reporter or the sponsor suspects causality); "
    "CDE Q&A 2022: either party unable to rule out relatedness → expedite"
)
CITE_E2A_7 = "ICH E2A (1994) §III.B.1; CDE 2018 快速报告标准和程序: fatal/life-threatening SUSAR ≤7 days, Day 0 = sponsor's first knowledge"
CITE_E2A_8 = (
    "ICH E2A (1994) §III.B.1; CDE 2018: as complete a report as possible within 8 additional calendar days"
)
CITE_E2A_15 = "ICH E2A (1994) §III.B.2; CDE 2018: other SUSARs ≤15 days, Day 0 = sponsor's first knowledge"
CITE_UPGRADE = (
    "ICH E2A (1994) §III.B.1 (clock runs from first knowledge that the case qualifies); "
    "celltrial policy: the earlier of upgrade + 7 days and the existing 15-day due date binds"
)
CITE_SITE = (
    "China GCP 2020 Art. 26 (SAE to sponsor immediately, in writing); protocol: ≤24 h of site awareness"
)


CITE_OTHER_RISK = (
    "CDE 2018 药物临床试验期间安全性数据快速报告标准和程序: other potential serious safety risk "
    "information ≤15 days, Day 0 = sponsor's first knowledge"
)


class ClockInputError(InputError):
    """Dates or classification that cannot give a reporting clock; the message names the field."""


class SeriousnessCriterion(Enum):
    """ICH E2A §II.B seriousness criteria (any one makes the event serious)."""

    DEATH = "death"
    LIFE_THREATENING = "life-threatening"
    HOSPITALISATION = "hospitalisation"
    DISABILITY = "disability"
    CONGENITAL_ANOMALY = "congenital-anomaly"
    IMPORTANT_MEDICAL_EVENT = "important-medical-event"


@dataclass(frozen=True)
class CaseClassification:
    """What the expedited decision needs to know about one case."""

    seriousness: frozenset[SeriousnessCriterion] = frozenset()
    unexpected: bool = False
    related_by_investigator: bool = False
    related_by_sponsor: bool = False

    @classmethod
    def of(
        cls,
        seriousness: Iterable[SeriousnessCriterion | str] = (),
        *,
        unexpected: bool = False,
        related_by_investigator: bool = False,
        related_by_sponsor: bool = False,
    ) -> CaseClassification:
        criteria = frozenset(c if isinstance(c, SeriousnessCriterion) else _criterion(c) for c in seriousness)
        return cls(criteria, unexpected, related_by_investigator, related_by_sponsor)

    @property
    def serious(self) -> bool:
        return bool(self.seriousness)

    @property
    def fatal_or_life_threatening(self) -> bool:
        return bool(self.seriousness & {SeriousnessCriterion.DEATH, SeriousnessCriterion.LIFE_THREATENING})

    @property
    def related(self) -> bool:
        return self.related_by_investigator or self.related_by_sponsor


def _criterion(text: str) -> SeriousnessCriterion:
    key = text.strip().lower().replace("_", "-").replace(" ", "-")
    if key in ("fatal", "died"):
        key = "death"
    if key == "hospitalization":
        key = "hospitalisation"
    for criterion in SeriousnessCriterion:
        if criterion.value == key:
            return criterion
    raise ClockInputError(
        f"seriousness: unknown criterion {text!r}; use one of "
        + ", ".join(c.value for c in SeriousnessCriterion)
    )


@dataclass(frozen=True)
class ExpeditedDecision:
    expedited: bool
    fatal_or_life_threatening: bool
    reasons: tuple[str, ...]
    citations: tuple[str, ...]

    @property
    def summary(self) -> str:
        if self.expedited:
            kind = (
                "fatal/life-threatening SUSAR (7-day)" if self.fatal_or_life_threatening else "SUSAR (15-day)"
            )
            return f"expedited: {kind}"
        return "not expedited: " + "; ".join(self.reasons)


def decide_expedited(case: CaseClassification) -> ExpeditedDecision:
    """Whether a case is a SUSAR to be expedited to regulators, with the reason for each test."""
    missing: list[str] = []
    if not case.serious:
        missing.append("not serious (no ICH E2A seriousness criterion)")
    if not case.unexpected:
        missing.append("expected per the reference safety information")
    if not case.related:
        missing.append("related by neither investigator nor sponsor")
    citations = (CITE_E2A_SERIOUS, CITE_E2A_UNEXPECTED, CITE_E2A_CAUSALITY)
    if missing:
        return ExpeditedDecision(False, case.fatal_or_life_threatening, tuple(missing), citations)
    who = " and ".join(
        party
        for party, said in (
            ("investigator", case.related_by_investigator),
            ("sponsor", case.related_by_sponsor),
        )
        if said
    )
    reasons = (
        "serious: " + ", ".join(sorted(c.value for c in case.seriousness)),
        "unexpected per the reference safety information",
        f"related per {who} (either party suffices)",
    )
    return ExpeditedDecision(True, case.fatal_or_life_threatening, reasons, citations)


@dataclass(frozen=True)
class Deadline:
    """One reporting obligation: what, counted from when, due when, under which rule."""

    name: str
    starts: date | datetime
    due: date | datetime
    rule: str
    citation: str

    @property
    def due_date(self) -> date:
        return self.due.date() if isinstance(self.due, datetime) else self.due


@dataclass(frozen=True)
class DeadlineStatus:
    days_left: int
    overdue: bool
    text: str


def status_on(due: date, today: date) -> DeadlineStatus:
    """'due in N days', 'due today' or 'overdue by N days', in calendar days."""
    days = (due - today).days
    if days > 0:
        return DeadlineStatus(days, False, f"due in {days} day{'s' if days != 1 else ''}")
    if days == 0:
        return DeadlineStatus(0, False, "due today")
    return DeadlineStatus(days, True, f"overdue by {-days} day{'s' if days != -1 else ''}")


def site_notification_deadline(site_aware: datetime, *, site_window: timedelta = SITE_WINDOW) -> Deadline:
    """Site → sponsor SAE notification: ``site_window`` (24 h) after the site became aware."""
    if site_aware.tzinfo is None or site_aware.utcoffset() is None:
        raise ClockInputError("site_aware: give a time zone (e.g. 2025-12-28T09:30+08:00)")
    if site_window <= timedelta(0):
        raise ClockInputError("site_window: must be a positive duration")
    hours = site_window.total_seconds() / 3600
    return Deadline(
        name="SAE notification site → sponsor",
        starts=site_aware,
        due=site_aware + site_window,
        rule=f"within {hours:g} h of site awareness",
        citation=CITE_SITE,
    )


def susar_deadlines(
    sponsor_aware: date,
    *,
    fatal_or_life_threatening: bool,
    upgraded_on: date | None = None,
) -> tuple[Deadline, ...]:
    """Regulatory due dates for a SUSAR, counted in calendar days from Day 0 = ``sponsor_aware``.

    ``upgraded_on`` is the day the sponsor learned that a case first classified as not fatal or
    life-threatening has become so; the case must then be ``fatal_or_life_threatening``.
    """
    if isinstance(sponsor_aware, datetime) or (isinstance(upgraded_on, datetime)):
        raise ClockInputError("sponsor_aware/upgraded_on: give calendar dates, not datetimes")
    if upgraded_on is not None:
        if not fatal_or_life_threatening:
            raise ClockInputError(
                "upgraded_on: an upgrade means the case is now fatal or life-threatening; mark it so"
            )
        if upgraded_on < sponsor_aware:
            raise ClockInputError(
                f"upgraded_on: {upgraded_on} is before the sponsor's first awareness {sponsor_aware}"
            )
    if not fatal_or_life_threatening:
        return (
            Deadline(
                name="SUSAR report (15-day)",
                starts=sponsor_aware,
                due=sponsor_aware + timedelta(days=OTHER_DAYS),
                rule=f"Day 0 = {sponsor_aware} (sponsor's first knowledge); Day {OTHER_DAYS}",
                citation=CITE_E2A_15,
            ),
        )
    if upgraded_on is None or upgraded_on == sponsor_aware:
        first = Deadline(
            name="SUSAR first report (7-day, fatal/life-threatening)",
            starts=sponsor_aware,
            due=sponsor_aware + timedelta(days=FATAL_DAYS),
            rule=f"Day 0 = {sponsor_aware} (sponsor's first knowledge); Day {FATAL_DAYS}",
            citation=CITE_E2A_7,
        )
    else:
        by_upgrade = upgraded_on + timedelta(days=FATAL_DAYS)
        by_original = sponsor_aware + timedelta(days=OTHER_DAYS)
        if upgraded_on > by_original:
            # The 15-day clock had already run out (its report was due): the upgrade is new
            # information about a reported case and gets its own 7 days.
            binding = by_upgrade
            which = (
                f"upgrade {upgraded_on} + {FATAL_DAYS} days (the 15-day due date {by_original} had passed)"
            )
        else:
            binding = min(by_upgrade, by_original)
            which = (
                f"upgrade {upgraded_on} + {FATAL_DAYS} days"
                if by_upgrade <= by_original
                else f"existing 15-day due date (earlier than upgrade + {FATAL_DAYS} = {by_upgrade})"
            )
        first = Deadline(
            name="SUSAR report after upgrade to fatal/life-threatening (7-day)",
            starts=upgraded_on,
            due=binding,
            rule=f"earlier of {by_upgrade} (upgrade + {FATAL_DAYS}) and {by_original} (Day 0 + {OTHER_DAYS}): {which}",
            citation=CITE_UPGRADE,
        )
    complete = Deadline(
        name="SUSAR complete follow-up report (+8 days)",
        starts=first.due_date,
        due=first.due_date + timedelta(days=FOLLOW_UP_DAYS),
        rule=f"{FOLLOW_UP_DAYS} calendar days after the 7-day due date {first.due_date}",
        citation=CITE_E2A_8,
    )
    return (first, complete)


def susar_obligations(
    sponsor_aware: date,
    *,
    fatal_or_life_threatening: bool,
    upgraded_on: date | None = None,
) -> tuple[Deadline, ...]:
    """Every SUSAR obligation, each on its own clock (issue 11: "both shown").

    Without an upgrade this is :func:`susar_deadlines`. After an upgrade to fatal/life-threatening
    learned on a later day, the original 15-day report stays due (ICH E2A §III.B.2: the case was a
    15-day SUSAR from Day 0) and the upgrade adds its own 7-day report and the complete report
    8 days later (§III.B.1, from first knowledge that the case qualifies), as
    :func:`susar_deadlines` computes them.
    """
    upgraded = susar_deadlines(
        sponsor_aware, fatal_or_life_threatening=fatal_or_life_threatening, upgraded_on=upgraded_on
    )
    if upgraded_on is None or upgraded_on == sponsor_aware:
        return upgraded
    (original,) = susar_deadlines(sponsor_aware, fatal_or_life_threatening=False)
    return (original, *upgraded)


def other_risk_deadline(sponsor_aware: date) -> Deadline:
    """"Other potential serious safety risk information" (CDE 2018): 15 calendar days from Day 0."""
    if isinstance(sponsor_aware, datetime):
        raise ClockInputError("sponsor_aware: give a calendar date, not a datetime")
    return Deadline(
        name="Other potential serious safety risk information (15-day)",
        starts=sponsor_aware,
        due=sponsor_aware + timedelta(days=OTHER_RISK_DAYS),
        rule=f"Day 0 = {sponsor_aware} (sponsor's first knowledge); Day {OTHER_RISK_DAYS}",
        citation=CITE_OTHER_RISK,
    )


@dataclass(frozen=True)
class ReportingPlan:
    decision: ExpeditedDecision
    deadlines: tuple[Deadline, ...]
    statuses: tuple[DeadlineStatus, ...]
    today: date
    notes: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {
            "expedited": self.decision.expedited,
            "fatal_or_life_threatening": self.decision.fatal_or_life_threatening,
            "decision": self.decision.summary,
            "reasons": list(self.decision.reasons),
            "today": self.today.isoformat(),
            "deadlines": [
                {
                    "name": d.name,
                    "starts": d.starts.isoformat(),
                    "due": d.due.isoformat(),
                    "rule": d.rule,
                    "citation": d.citation,
                    "status": s.text,
                    "days_left": s.days_left,
                    "overdue": s.overdue,
                }
                for d, s in zip(self.deadlines, self.statuses, strict=True)
            ],
            "notes": list(self.notes),
        }


def reporting_plan(
    case: CaseClassification,
    *,
    sponsor_aware: date | None,
    today: date,
    site_aware: datetime | None = None,
    upgraded_on: date | None = None,
    site_window: timedelta = SITE_WINDOW,
) -> ReportingPlan:
    """Every clock that applies to ``case``, with its status on ``today``."""
    decision = decide_expedited(case)
    deadlines: list[Deadline] = []
    notes: list[str] = []
    if site_aware is not None:
        if case.serious:
            deadlines.append(site_notification_deadline(site_aware, site_window=site_window))
        else:
            notes.append("not serious: no 24-h SAE notification to the sponsor")
    if upgraded_on is not None and not case.fatal_or_life_threatening:
        raise ClockInputError(
            "upgraded_on: an upgrade means the case is now fatal or life-threatening; mark it so"
        )
    if decision.expedited:
        if sponsor_aware is None:
            raise ClockInputError(
                "sponsor_aware: the sponsor's first-awareness date is needed for SUSAR clocks"
            )
        deadlines.extend(
            susar_deadlines(
                sponsor_aware,
                fatal_or_life_threatening=decision.fatal_or_life_threatening,
                upgraded_on=upgraded_on,
            )
        )
    else:
        notes.append("no expedited regulatory report: " + "; ".join(decision.reasons))
    statuses = tuple(status_on(d.due_date, today) for d in deadlines)
    return ReportingPlan(decision, tuple(deadlines), statuses, today, tuple(notes))
