"""Read models for the list, the funnel and the visits due: each runs a fixed number of queries,
whatever the number of participants (tests/participants/test_queries.py counts them)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.db.models import Count, Q, QuerySet

from celltrial.accounts import permissions
from celltrial.accounts.models import Signature
from celltrial.participants import state
from celltrial.participants.models import (
    EligibilityDecision,
    Participant,
    PreScreening,
    Visit,
    VisitStatus,
    Withdrawal,
)
from celltrial.participants.permissions import FUNNEL_VIEW, PARTICIPANT_VIEW
from celltrial.participants.rules import funnel as funnel_rules
from celltrial.participants.rules import windows
from celltrial.study.interface import site_time_zones


def visible(user: Any, permission: str = PARTICIPANT_VIEW) -> QuerySet[Participant]:
    return permissions.scope(Participant.objects.all(), user, permission)


class DecisionRow(NamedTuple):
    pk: int
    participant_id: int
    outcome: str
    stale_at: dt.datetime | None


def current_decisions(participant_ids: Iterable[int]) -> dict[int, DecisionRow]:
    """The newest signed, not voided decision of each participant (two queries)."""
    decisions = [DecisionRow(*values) for values in EligibilityDecision.objects.filter(
        participant_id__in=list(participant_ids)).order_by("participant_id", "-evaluated_at", "-id").values_list(
        "pk", "participant_id", "outcome", "stale_at")]
    signed = set(Signature.objects.filter(
        object_type="participants.eligibilitydecision", meaning="approved", voided_at__isnull=True,
        object_id__in=[str(d.pk) for d in decisions]).values_list("object_id", flat=True)) if decisions else set()
    found: dict[int, DecisionRow] = {}
    for d in decisions:
        if d.participant_id not in found and str(d.pk) in signed:
            found[d.participant_id] = d
    return found


@dataclass
class Row:
    participant: Participant
    site_code: str
    eligibility: str  # eligible | not_eligible | stale | none
    consent: str  # valid | due | missing
    next_visit: state.VisitRow | None
    withdrawal_scope: str | None


def rows(participants: list[Participant]) -> list[Row]:
    """The list page's rows: status, eligibility, consent and the next visit of each participant."""
    if not participants:
        return []
    _n, p = state.protocol()
    rules_ = state.participant_rules(p)
    zones = site_time_zones()
    data = state.bundle(participants)
    decisions = current_decisions(x.pk for x in participants)
    scopes = dict(Withdrawal.objects.filter(participant__in=participants).values_list("participant_id", "scope"))
    found = []
    for x in participants:
        today = state.site_today(x.site.code, zones)
        consent = state.consent_state(x, rules_, today, data)
        decision = decisions.get(x.pk)
        eligibility = "none" if decision is None else "stale" if decision.stale_at else decision.outcome
        upcoming = [v for v in data.visits.get(x.pk, []) if v.status == VisitStatus.SCHEDULED]
        found.append(Row(x, x.site.code, eligibility,
                         "valid" if consent.current else "due" if consent.valid else "missing",
                         upcoming[0] if upcoming else None, scopes.get(x.pk)))
    return found


def page(user: Any, *, status: str = "", site: str = "", number: int = 1, per_page: int = 50) -> dict[str, Any]:
    qs = visible(user).select_related("site")
    if status:
        qs = qs.filter(status=status)
    if site:
        qs = qs.filter(site__code=site)
    total = qs.count()
    pages = max(1, (total + per_page - 1) // per_page)
    number = min(max(1, number), pages)
    chunk = list(qs.order_by("site__code", "-screening_sequence")[(number - 1) * per_page: number * per_page])
    return {"rows": rows(chunk), "total": total, "page": number, "pages": pages}


# --- the funnel ----------------------------------------------------------------------------------------


class _Child(NamedTuple):
    pk: int
    identity_id: int
    site_id: int
    site: Any
    consent_language: str


class _Site(NamedTuple):
    code: str


def funnel(user: Any) -> funnel_rules.Funnel:
    """Counts per site and overall, of the sites the user sees, in a fixed number of queries.

    A child counts once, as the newest screening attempt (one not re-screened since). An enrolled child was
    eligible and consented when enrolled (enrolment requires both), so enrolled and dosed children are
    counted by the database; only the children signed eligible and not yet enrolled are judged one by one
    (their consent may still be incomplete).
    """
    prescreened = {row["site__code"]: row["n"] for row in permissions.scope(
        PreScreening.objects.all(), user, FUNNEL_VIEW).values("site__code").annotate(n=Count("id"))}
    newest = permissions.scope(Participant.objects.all(), user, FUNNEL_VIEW).filter(rescreened_as__isnull=True)
    screened = {row["site__code"]: row["n"] for row in newest.values("site__code").annotate(n=Count("id"))}
    enrolled = {row["site__code"]: (row["n"], row["dosed"]) for row in newest.filter(
        subject_id__isnull=False).values("site__code").annotate(n=Count("id"), dosed=Count("id", filter=Q(
            dosed_on__isnull=False)))}
    candidates = [_Child(pk, identity, site_id, _Site(code), language) for pk, identity, site_id, code, language in
                  newest.filter(subject_id__isnull=True, eligibility_decisions__outcome="eligible",
                                eligibility_decisions__stale_at__isnull=True).distinct().values_list(
                      "pk", "identity_id", "site_id", "site__code", "consent_language")]
    decisions = current_decisions(x.pk for x in candidates)
    eligible = [x for x in candidates if (d := decisions.get(x.pk)) is not None and d.outcome == "eligible"
                and d.stale_at is None]
    _n, p = state.protocol()
    rules_ = state.participant_rules(p)
    zones = site_time_zones()
    data = state.bundle(eligible, with_visits=False)
    children: list[funnel_rules.Child] = []
    pending: dict[str, int] = {}
    for x in eligible:
        consented = state.consent_state(x, rules_, state.site_today(x.site.code, zones), data).valid
        children.append(funnel_rules.Child(site=x.site.code, eligible=True, consented=consented))
        pending[x.site.code] = pending.get(x.site.code, 0) + 1
    for code, (n, dosed) in enrolled.items():
        children.append(funnel_rules.Child(code, True, True, True, True, count=dosed))
        children.append(funnel_rules.Child(code, True, True, True, False, count=n - dosed))
    for code, n in screened.items():
        rest = n - pending.get(code, 0) - enrolled.get(code, (0, 0))[0]
        children.append(funnel_rules.Child(code, count=rest))
    return funnel_rules.funnel(prescreened, children)


# --- visits due ----------------------------------------------------------------------------------------


@dataclass
class DueVisit:
    visit: Visit
    standing: windows.Standing


def visits_due(user: Any, *, today: dt.date | None = None) -> dict[str, list[DueVisit]]:
    """Scheduled visits whose window overlaps this week, and those whose window has closed (overdue)."""
    zones = site_time_zones()
    qs = permissions.scope(Visit.objects.all(), user, PARTICIPANT_VIEW).filter(
        status=VisitStatus.SCHEDULED, earliest__isnull=False).select_related("participant", "site")
    this_week: list[DueVisit] = []
    overdue: list[DueVisit] = []
    horizon = (today or dt.date.today()) + dt.timedelta(days=7)
    for visit in qs.filter(earliest__lte=horizon).order_by("earliest", "participant_id"):
        day = today or state.site_today(visit.site.code, zones)
        first, last = windows.week_of(day)
        standing = windows.standing(visit.earliest, visit.latest, None, day)
        if standing is windows.Standing.OVERDUE:
            overdue.append(DueVisit(visit, standing))
        elif windows.due_in(visit.earliest, visit.latest, first, last):
            this_week.append(DueVisit(visit, standing))
    return {"this_week": this_week, "overdue": overdue}
