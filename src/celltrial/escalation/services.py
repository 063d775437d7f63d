"""Escalation services: cohorts, the sentinel and stagger rule, the live recommendation, SRC packets and
signed SRC decisions. Each write is a named operation that checks its permission inside and writes its
audit entry in the same transaction.

Writes: :func:`freeze_packet`, :func:`propose_decision`, :func:`sign_decision` (with the operations
``open_first_cohort``, ``open_cohort`` and ``close_cohort`` they run).
Reads: :func:`cohorts`, :func:`current_cohort`, :func:`board`, :func:`recommendation`, :func:`build_snapshot`,
:func:`changed_since`, :func:`dosing_rule`, :func:`history`, :func:`quorum`.
"""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from celltrial.accounts import permissions
from celltrial.accounts import signatures as esign
from celltrial.audit.operations import Create, Update
from celltrial.capture import interface as capture_if
from celltrial.core.actor import Actor
from celltrial.core.canonical import content_hash, jsonable
from celltrial.core.errors import AccessDenied, ValidationFailed
from celltrial.escalation.designs import Design
from celltrial.escalation.messages import message_json
from celltrial.escalation.models import Cohort, Decision, Packet
from celltrial.escalation.permissions import DECISION_SIGN, PACKET_FREEZE
from celltrial.escalation.protocol_design import design_for
from celltrial.escalation.rules import (
    CohortFacts,
    CohortState,
    DosedMember,
    StaggerRefusal,
    cohort_state,
    dlt_window,
    outcomes_for_design,
    stagger_refusal,
)
from celltrial.labs import interface as labs_if
from celltrial.participants import interface as participants_if
from celltrial.safety import interface as safety_if
from celltrial.study import interface as study

COHORT_CHOICES = ("escalate", "stay", "de-escalate", "expand", "stop", "mtd")
SENTINEL_CHOICES = ("proceed", "stop")
CHOICE_LABELS = {
    "escalate": gettext_noop("escalate"), "stay": gettext_noop("stay at this dose"),
    "de-escalate": gettext_noop("de-escalate"), "expand": gettext_noop("expand"),
    "stop": gettext_noop("stop the trial"), "mtd": gettext_noop("declare the MTD"),
    "proceed": gettext_noop("proceed with the cohort"),
}
RATIONALE_MAX = 4000

_open_first = Create("open_first_cohort", Cohort, permission=PACKET_FREEZE,
                     fields=("number", "dose_level", "capacity", "kind", "opened_at"))
_open_next = Create("open_cohort", Cohort, permission=DECISION_SIGN,
                    fields=("number", "dose_level", "capacity", "kind", "opened_at", "opened_by"))
_close = Update("close_cohort", Cohort, permission=DECISION_SIGN, fields=("closed_at",))
_freeze = Create("freeze_packet", Packet, permission=PACKET_FREEZE,
                 fields=("cohort", "kind", "snapshot", "snapshot_hash", "frozen_at", "frozen_by"))
_propose = Create("propose_decision", Decision, permission=DECISION_SIGN, fields=(
    "packet", "choice", "dose_level", "next_capacity", "recommended", "recommended_dose_level", "rationale",
    "proposed_by", "proposed_at", "quorum"))
_take_effect = Update("sign_decision", Decision, permission=DECISION_SIGN, fields=("status", "effective_at"))


# ---------------------------------------------------------------- protocol, design, participants


def protocol() -> tuple[int, Any]:
    found = study.protocol_version_in_force()
    if found is None:
        raise ValidationFailed(_("No protocol is loaded."))
    return found


def design(p: Any) -> Design:
    return design_for(p.escalation, dose_levels=p.dose_levels, dlt_window_days=p.dlt.window_days)


def time_to_event(d: Design) -> bool:
    """A time-to-event design (TITE-BOIN, TITE-CRM) decides with windows pending; accrual continues."""
    return hasattr(d, "recommend_tite")


def quorum(p: Any) -> int:
    """SRC signatures needed for a decision to take effect (protocol ``src: quorum:``; 1 when absent)."""
    src = getattr(p, "src", None)
    return int(getattr(src, "quorum", 1) or 1)


def _enrolled_in_cohort(number: int) -> list[Any]:
    """Participants enrolled into cohort ``number`` who still hold a place: enrolled, or dosed (whatever
    happened after), with their sites: ``participants.interface.cohort_members``."""
    return participants_if.cohort_members(number)


def today() -> dt.date:
    """Today on the trial's calendar (the default site time zone; every date here is a calendar date)."""
    zone = str(getattr(settings, "CELLTRIAL_DEFAULT_SITE_TZ", "Asia/Shanghai"))
    return timezone.localdate(timezone=zoneinfo.ZoneInfo(zone))


def _opened_on(cohort: Cohort) -> dt.date | None:
    if cohort.opened_by_id is None or cohort.opened_at is None:
        return None
    zone = str(getattr(settings, "CELLTRIAL_DEFAULT_SITE_TZ", "Asia/Shanghai"))
    return timezone.localtime(cohort.opened_at, zoneinfo.ZoneInfo(zone)).date()


# ---------------------------------------------------------------- cohorts


def cohorts(p: Any | None = None) -> list[Cohort]:
    """Every cohort in order. Before any record exists, cohort 1 at the start dose (unsaved): it opens by the
    protocol, not by a decision, and is recorded when its first packet is frozen."""
    rows = list(Cohort.objects.order_by("number"))
    if rows:
        return rows
    p = p or protocol()[1]
    return [Cohort(number=1, dose_level=p.escalation.start_dose, capacity=design(p).cohort_size,
                   kind=Cohort.ESCALATION, opened_at=None)]  # type: ignore[misc]  # unsaved: not yet opened


def current_cohort(p: Any | None = None) -> Cohort:
    return cohorts(p)[-1]


def cohort_by_number(number: int, p: Any | None = None) -> Cohort | None:
    return next((c for c in cohorts(p) if c.number == number), None)


@dataclass
class Member:
    participant_id: int
    subject: str
    site: str
    dosed_on: dt.date | None
    window_end: dt.date | None
    days_left: int | None
    dlt: str
    dlt_confirmed: bool
    dlt_summary: str
    sentinel: bool = False


@dataclass
class CohortView:
    cohort: Cohort
    level: Any
    dose_index: int  # 1-based
    state: CohortState
    members: list[Member]
    decisions: list[Decision] = field(default_factory=list)
    packets: list[Packet] = field(default_factory=list)
    next_allowed: StaggerRefusal | None = None
    sentinel_decided: bool = False

    @property
    def dosed(self) -> list[Member]:
        return [m for m in self.members if m.dosed_on is not None]

    @property
    def state_label(self) -> str:
        return STATE_LABELS[self.state]

    @property
    def capacity(self) -> int:
        return places(self.cohort, self.members)

    @property
    def places_left(self) -> int:
        return max(0, self.capacity - len(self.members))


def _dose_index(p: Any, code: str) -> int:
    return [lv.code for lv in p.dose_levels].index(code) + 1


def _members(p: Any, cohort: Cohort, on: dt.date) -> list[Member]:
    out = []
    for person in _enrolled_in_cohort(cohort.number):
        dosing = participants_if.dosing(person)
        status = safety_if.dlt_status(person) if dosing else None
        window_end = dlt_window(dosing.dosed_on, p.dlt.window_days)[1] if dosing else None
        out.append(Member(
            participant_id=person.pk, subject=participants_if.subject_label(person), site=person.site.code,
            dosed_on=dosing.dosed_on if dosing else None, window_end=window_end,
            days_left=max(0, (window_end - on).days) if window_end else None,
            dlt=status.status if status else "", dlt_confirmed=bool(status and status.confirmed),
            dlt_summary=status.summary if status else ""))
    out.sort(key=lambda m: (m.dosed_on is None, m.dosed_on or dt.date.max, m.subject))
    if out and out[0].dosed_on is not None:
        out[0].sentinel = True
    return out


def _effective(cohort: Cohort, kind: str) -> Decision | None:
    if cohort.pk is None:
        return None
    return Decision.objects.filter(packet__cohort=cohort, packet__kind=kind, status=Decision.EFFECTIVE).first()


def places(cohort: Cohort, members: list[Member]) -> int:
    """The cohort's places: its capacity plus one replacement for each participant the safety room declared
    not evaluable for DLT (the design counts only evaluable participants)."""
    return cohort.capacity + sum(1 for m in members if m.dlt == "not_evaluable")


def cohort_view(p: Any, cohort: Cohort, on: dt.date | None = None) -> CohortView:
    on = on or today()
    members = _members(p, cohort, on)
    d = design(p)
    facts = CohortFacts(capacity=places(cohort, members), enrolled=len(members),
                        dosed=[DosedMember(m.subject, m.dosed_on, m.dlt or "pending") for m in members if m.dosed_on],
                        closed=cohort.closed_at is not None, time_to_event=time_to_event(d))
    state = cohort_state(facts, on, p.dlt.window_days)
    sentinel_decided = _effective(cohort, Packet.SENTINEL) is not None
    nxt = stagger_refusal([m.dosed_on for m in members if m.dosed_on], on,
                          observation_days=p.sentinel.observation_days, stagger_days=p.sentinel.stagger_days,
                          capacity=places(cohort, members), sentinel_decided=sentinel_decided,
                          sentinel_decision_required=p.sentinel.src_decision_required,
                          closed=cohort.closed_at is not None, opened_on=_opened_on(cohort))
    packets = list(cohort.packets.order_by("-frozen_at", "-id")) if cohort.pk else []
    decisions = list(Decision.objects.filter(packet__cohort=cohort).select_related("packet", "proposed_by")
                     .order_by("-proposed_at")) if cohort.pk else []
    return CohortView(cohort, p.dose_level(cohort.dose_level), _dose_index(p, cohort.dose_level), state, members,
                      decisions, packets, nxt, sentinel_decided)


def board(on: dt.date | None = None, *, sites: set[str] | None = None) -> list[CohortView]:
    """Every cohort's view. ``sites``: the sites whose participants the reader may see (None: every site);
    another site's participant is listed without its subject ID or DLT details, so places and states stay
    true for everyone while each site sees only its own children."""
    _n, p = protocol()
    views = [cohort_view(p, c, on) for c in cohorts(p)]
    if sites is not None:
        for v in views:
            for m in v.members:
                if m.site not in sites:
                    m.subject, m.dlt_summary, m.participant_id = _("(another site)"), "", 0
    return views


def reader_sites(user: Any, permission: str) -> set[str] | None:
    """None for a trial-wide reader, else the sites ``user`` reads at."""
    sites = permissions.site_codes_with(user, permission)
    return None if permissions.ALL_SITES in sites else sites


def why_closed(p: Any) -> str | None:
    """Why no cohort takes an enrolment now (None when the current cohort has a place)."""
    view = cohort_view(p, current_cohort(p))
    if view.state is CohortState.OPEN:
        return None
    return {
        CohortState.FULL: _("Cohort %(n)s is full: every place is taken."),
        CohortState.IN_OBSERVATION: _("Cohort %(n)s is in observation: accrual pauses until its DLT windows "
                                      "close and the SRC decides."),
        CohortState.AWAITING_DECISION: _("Cohort %(n)s awaits the SRC decision; the next cohort opens when it "
                                         "is signed."),
        CohortState.CLOSED: _("Cohort %(n)s is closed and the SRC opened no further cohort."),
    }[view.state] % {"n": view.cohort.number}


# ---------------------------------------------------------------- sentinel and stagger


def dosing_rule(participant: Any, on: dt.date) -> tuple[StaggerRefusal, Cohort] | None:
    """The sentinel / stagger refusal for dosing ``participant`` on ``on`` (None: allowed)."""
    found = study.protocol_version_in_force()
    if found is None or participant.cohort is None:
        return None
    p = found[1]
    cohort = cohort_by_number(int(participant.cohort), p)
    if cohort is None:
        return None
    members = _members(p, cohort, on)
    others = [m.dosed_on for m in members if m.dosed_on and m.participant_id != participant.pk]
    refusal = stagger_refusal(others, on, observation_days=p.sentinel.observation_days,
                              stagger_days=p.sentinel.stagger_days, capacity=places(cohort, members),
                              sentinel_decided=_effective(cohort, Packet.SENTINEL) is not None,
                              sentinel_decision_required=p.sentinel.src_decision_required,
                              closed=cohort.closed_at is not None, opened_on=_opened_on(cohort))
    return (refusal, cohort) if refusal else None


def refusal_text(refusal: StaggerRefusal, cohort: Cohort, p: Any | None = None) -> str:
    p = p or protocol()[1]
    values = {"n": cohort.number, "date": refusal.allowed_from.isoformat() if refusal.allowed_from else "",
              "after": refusal.after.isoformat() if refusal.after else "", "obs": p.sentinel.observation_days,
              "stagger": p.sentinel.stagger_days}
    texts = {
        "sentinel": _("Cohort %(n)s: the sentinel dosed on %(after)s is observed alone for %(obs)s days; the next "
                      "participant may be dosed from %(date)s."),
        "stagger": _("Cohort %(n)s: participants are dosed at least %(stagger)s days apart (last dosing "
                     "%(after)s); the next may be dosed from %(date)s."),
        "sentinel_decision": _("Cohort %(n)s: the protocol requires a signed SRC decision after the sentinel's "
                               "observation before anyone else is dosed."),
        "full": _("Cohort %(n)s: every place is already dosed."),
        "closed": _("Cohort %(n)s is closed by a signed SRC decision."),
        "not_open": _("Cohort %(n)s opened on %(date)s by a signed SRC decision; nobody is dosed into it "
                      "before that day."),
    }
    return texts[refusal.rule] % values


# ---------------------------------------------------------------- the recommendation on live data


SCENARIO_NAMES = {
    "safe": gettext_noop("all doses safe (0.05)"),
    "target": gettext_noop("dose level %(code)s at the target"),
    "toxic": gettext_noop("all doses toxic (0.60)"),
}


def scenario_name(scenario: dict[str, Any]) -> str:
    """A scenario's name in the active language (the snapshot stores the key, never translated text)."""
    return _(SCENARIO_NAMES[scenario["key"]]) % {"code": scenario.get("code", "")}


def scenarios(p: Any) -> list[dict[str, Any]]:
    """The scenarios whose exact operating characteristics the packet shows (the protocol declares none):
    every dose safe (0.05); for each dose level, that level's true DLT probability at the design's target
    (0.30 for the 3+3) with the other levels 0.10 apart; every dose toxic (0.60)."""
    d = design(p)
    k, target = len(p.dose_levels), float(d.target)
    out: list[dict[str, Any]] = [{"key": "safe", "code": "", "truth": [0.05] * k}]
    for j in range(k):
        truth = [round(min(0.95, max(0.01, target + 0.10 * (i - j))), 2) for i in range(k)]
        out.append({"key": "target", "code": p.dose_levels[j].code, "truth": truth})
    out.append({"key": "toxic", "code": "", "truth": [0.60] * k})
    return out


def _outcome_groups(p: Any, on: dt.date, upto: int | None = None) -> tuple[list[tuple[int, list[str]]],
                                                                         list[CohortView]]:
    views = [cohort_view(p, c, on) for c in cohorts(p) if upto is None or c.number <= upto]
    groups = [(v.dose_index, [m.dlt or "pending" for m in v.dosed]) for v in views
              if v.cohort.kind == Cohort.ESCALATION]
    return groups, views


def recommendation(on: dt.date | None = None, *, upto: int | None = None) -> dict[str, Any]:
    """The design's recommendation on the trial's data so far (``upto``: on cohorts 1..upto only, as a packet
    of that cohort sees them), with the data behind it, the decision table and the exact operating
    characteristics under :func:`scenarios`."""
    on = on or today()
    _n, p = protocol()
    d = design(p)
    tite = time_to_event(d)
    groups, views = _outcome_groups(p, on, upto)
    outcomes = outcomes_for_design(groups, include_pending=False)
    current = views[-1]
    ready = current.state is CohortState.AWAITING_DECISION or (tite and bool(current.dosed))
    if tite:
        from celltrial.escalation.designs import TitePatient

        patients = [TitePatient(v.dose_index, {"dlt": True, "no_dlt": False}.get(m.dlt or "pending"),
                                float(min((on - m.dosed_on).days, p.dlt.window_days)))  # type: ignore[operator]
                    for v in views if v.cohort.kind == Cohort.ESCALATION for m in v.dosed
                    if m.dlt != "not_evaluable"]
        rec = d.recommend_tite(patients)  # type: ignore[attr-defined]
    else:
        rec = d.recommend(outcomes or None)
    codes = [lv.code for lv in p.dose_levels]
    per_dose = []
    for j, lv in enumerate(p.dose_levels):
        pending = sum(1 for dose, statuses in groups if dose == j + 1 for s in statuses if s == "pending")
        per_dose.append({"code": lv.code, "label": lv.label.en, "label_zh": lv.label.zh,
                         "n": rec.n[j], "dlts": rec.dlts[j], "pending": pending, "admissible": rec.admissible[j]})
    choice = {"escalate": "escalate", "stay": "stay", "de-escalate": "de-escalate", "eliminate": "de-escalate",
              "complete-cohort": "stay", "start": "stay", "suspend": "stay"}.get(rec.action)
    if rec.action == "stop":
        choice = "mtd" if rec.dose else "stop"
    if rec.action == "suspend":  # a time-to-event design waits for pending windows: nothing to decide yet
        choice, ready = None, False
    table: Any = d.decision_table()
    if not isinstance(table, list):
        ns = list(range(d.cohort_size, min(table.max_n, 4 * d.cohort_size) + 1, d.cohort_size)) or [table.max_n]
        grid = table.grid(ns)
        table = {"n": ns, "rows": [{"dlts": str(y), "cells": row} for y, row in enumerate(grid)]}
    oc = []
    for scenario in scenarios(p):
        try:
            result = d.oc(scenario["truth"], method="complete") if tite else d.oc(scenario["truth"])
        except (ValueError, NotImplementedError):
            continue
        oc.append({**scenario, "rows": result.rows(), "method": result.method,
                   "early_stop_pct": round(100 * result.early_stop, 2)})
    return {
        "design": d.name, "design_id": d.design, "time_to_event": tite, "outcomes": outcomes,
        "ready": ready, "cohort": current.cohort.number, "state": str(current.state),
        "action": rec.action, "choice": choice,
        "dose_level": codes[rec.dose - 1] if rec.dose and rec.action != "suspend" else "",
        "continue": rec.continue_trial, "reason": rec.reason, "per_dose": per_dose,
        "decision_table": table, "operating_characteristics": oc,
        "paused": (not tite) and current.state in (CohortState.IN_OBSERVATION, CohortState.FULL),
    }


# ---------------------------------------------------------------- the SRC packet


def build_snapshot(kind: str, cohort: Cohort, on: dt.date | None = None) -> dict[str, Any]:
    """The data an SRC packet freezes: the cohort listing, doses, DLTs with their adjudication, AEs by grade
    and relatedness, abnormal labs with grades, instrument summaries and the recommendation."""
    on = on or today()
    _n, p = protocol()
    # The packet sees its own cohort and the ones before it: a cohort the decision opens later is not data
    # the SRC reviewed, so it never makes the packet "changed since the snapshot".
    _groups, views = _outcome_groups(p, on, cohort.number)
    people = [person for v in views for person in _enrolled_in_cohort(v.cohort.number)]
    listing: list[dict[str, Any]] = [{"cohort": v.cohort.number, "dose_level": v.cohort.dose_level, "kind": v.cohort.kind,
                "members": [{"subject": m.subject, "site": m.site, "dosed_on": m.dosed_on, "window_end": m.window_end,
                             "dlt": m.dlt, "dlt_confirmed": m.dlt_confirmed, "dlt_summary": m.dlt_summary,
                             "sentinel": m.sentinel} for m in v.members]} for v in views]
    aes = safety_if.adverse_events(people)
    by_grade: Counter[tuple[str, str]] = Counter()
    for ae in aes:
        by_grade[(str(ae.grade) if ae.grade is not None else "?", "related" if ae.related else "unrelated")] += 1
    rec = recommendation(on, upto=cohort.number)
    data = {
        "kind": kind, "cohort": cohort.number, "dose_level": cohort.dose_level,
        "protocol": {"id": p.protocol.id, "design": rec["design"], "dlt_window_days": p.dlt.window_days,
                     "sentinel": p.sentinel.model_dump(), "quorum": quorum(p)},
        "cohorts": listing,
        "doses": rec["per_dose"],
        "dlts": [{"subject": m["subject"], "cohort": c["cohort"], "status": m["dlt"], "confirmed": m["dlt_confirmed"],
                  "summary": m["dlt_summary"]} for c in listing for m in c["members"] if m["dosed_on"]],
        "adverse_events": sorted(
            [{"subject": ae.subject, "term": ae.term, "ctcae_term": ae.ctcae_term, "grade": ae.grade,
              "serious": ae.serious, "related": ae.related, "dlt": ae.dlt, "onset": ae.onset, "aesi": ae.aesi}
             for ae in aes], key=lambda a: (a["subject"], a["onset"], a["term"])),
        "ae_by_grade": [{"grade": g, "relatedness": r, "count": by_grade[(g, r)]} for g, r in sorted(by_grade)],
        "labs": [{"subject": lp.subject, "analyte": lp.analyte, "label": lp.label, "collected_at": lp.collected_at,
                  "value": lp.value, "unit": lp.unit, "flag": lp.flag, "grade": lp.grade,
                  "ctcae_term": lp.ctcae_term, "visit": lp.visit} for lp in labs_if.abnormal_labs(people)],
        "instruments": [{"subject": s.subject, "instrument": s.instrument, "visit": s.visit, "total": s.total,
                         "change_from_baseline": s.change_from_baseline, "percent_change": s.percent_change,
                         "responder": s.responder} for s in capture_if.instrument_summaries(people)],
        "recommendation": {k: rec[k] for k in ("design", "outcomes", "action", "choice", "dose_level", "continue",
                                                "reason")},
        "decision_table": rec["decision_table"],
        "operating_characteristics": rec["operating_characteristics"],
    }
    return jsonable(data)


def data_hash(data: dict[str, Any]) -> str:
    return content_hash(data)


def changed_since(packet: Packet) -> bool:
    """Whether the data the packet froze has changed since (a fresh snapshot hashes differently)."""
    fresh = build_snapshot(packet.kind, packet.cohort, on=dt.date.fromisoformat(packet.snapshot["meta"]["as_of"]))
    return data_hash(fresh) != packet.snapshot["data_hash"]


def _require(actor: Actor, permission: str) -> None:
    if actor.is_system:
        return
    if not permissions.actor_may(actor, permission, ""):
        raise AccessDenied(permission, None)


def _ensure_first_cohort(actor: Actor, p: Any) -> Cohort:
    existing = Cohort.objects.order_by("number").first()
    if existing is not None:
        return existing
    virtual = cohorts(p)[0]
    return _open_first(actor, number=1, dose_level=virtual.dose_level, capacity=virtual.capacity,
                       kind=Cohort.ESCALATION, opened_at=timezone.now(),
                       reason=gettext_noop("cohort 1 opens at the protocol's start dose"))


def freeze_packet(actor: Actor, *, kind: str, on: dt.date | None = None) -> Packet:
    """Freeze the SRC packet of the current cohort: a sentinel review (after the sentinel's observation
    period) or a dose-escalation review (when the cohort awaits its decision)."""
    _require(actor, PACKET_FREEZE)
    on = on or today()
    number, p = protocol()
    if kind not in (Packet.SENTINEL, Packet.COHORT):
        raise ValidationFailed({"kind": [_("Choose a sentinel review or a dose-escalation review.")]})
    with transaction.atomic():
        cohort = current_cohort(p) if Cohort.objects.exists() else _ensure_first_cohort(actor, p)
        view = cohort_view(p, cohort, on)
        if view.state is CohortState.CLOSED:
            raise ValidationFailed(_("Cohort %(n)s is closed.") % {"n": cohort.number})
        if kind == Packet.SENTINEL:
            if not p.sentinel.src_decision_required:
                raise ValidationFailed(_("The protocol requires no SRC decision after the sentinel."))
            if view.sentinel_decided:
                raise ValidationFailed(_("The sentinel decision of cohort %(n)s is already signed.") % {
                    "n": cohort.number})
            if not view.dosed:
                raise ValidationFailed(_("Cohort %(n)s has no sentinel dosed yet.") % {"n": cohort.number})
            sentinel_day = view.dosed[0].dosed_on
            assert sentinel_day is not None
            ends = sentinel_day + dt.timedelta(days=p.sentinel.observation_days)
            if on < ends:
                raise ValidationFailed(_("The sentinel of cohort %(n)s is in observation until %(date)s.") % {
                    "n": cohort.number, "date": ends.isoformat()})
        elif view.state is not CohortState.AWAITING_DECISION:
            raise ValidationFailed(_("Cohort %(n)s is %(state)s: its packet is frozen when it awaits the SRC "
                                     "decision.") % {"n": cohort.number, "state": _(STATE_LABELS[view.state])})
        data = build_snapshot(kind, cohort, on)
        snapshot = {"meta": {"as_of": on.isoformat(), "frozen_at": timezone.now().isoformat(),
                             "protocol_version": number, "frozen_by": actor.username},
                    "data": data, "data_hash": data_hash(data)}
        # The reason's message id and parameters, so the packet reads in Chinese too; beside the data, not in
        # it, so that the data hash (and "changed since") of packets frozen before it is unchanged.
        reason = message_json(data["recommendation"]["reason"])
        if reason is not None:
            snapshot["reason_message"] = reason
        return _freeze(actor, cohort=cohort, kind=kind, snapshot=snapshot, snapshot_hash=content_hash(snapshot),
                       frozen_at=timezone.now(), frozen_by=actor.user,
                       reason=gettext_noop("SRC packet frozen"))


STATE_LABELS = {
    CohortState.OPEN: gettext_noop("open"), CohortState.FULL: gettext_noop("full"),
    CohortState.IN_OBSERVATION: gettext_noop("in observation"),
    CohortState.AWAITING_DECISION: gettext_noop("awaiting decision"), CohortState.CLOSED: gettext_noop("closed"),
}


# ---------------------------------------------------------------- the SRC decision


def _next_level(p: Any, packet: Packet, choice: str, dose_level: str | None) -> str:
    codes = [lv.code for lv in p.dose_levels]
    here = codes.index(packet.cohort.dose_level)
    if choice == "escalate":
        if here + 1 >= len(codes):
            raise ValidationFailed({"choice": [_("%(code)s is the top dose level: there is no higher dose.") % {
                "code": codes[here]}]})
        return codes[here + 1]
    if choice == "de-escalate":
        if here == 0:
            raise ValidationFailed({"choice": [_("%(code)s is the lowest dose level.") % {"code": codes[here]}]})
        return codes[here - 1]
    if choice in ("expand", "mtd"):
        chosen = dose_level or packet.snapshot["data"]["recommendation"].get("dose_level") or codes[here]
        if chosen not in codes:
            raise ValidationFailed({"dose_level": [_("Choose one of the dose levels %(codes)s.") % {
                "codes": ", ".join(codes)}]})
        return chosen
    if choice == "stay":
        return codes[here]
    return ""


def propose_decision(actor: Actor, packet: Packet, *, choice: str, rationale: str = "",
                     dose_level: str | None = None, next_capacity: int | None = None) -> Decision:
    """An SRC member proposes the decision on a packet; it takes effect when the quorum has signed it.

    A decision that differs from the packet's recommendation (another action or another dose level) needs
    a written rationale."""
    _require(actor, DECISION_SIGN)
    _n, p = protocol()
    rationale = (rationale or "").strip()
    allowed = SENTINEL_CHOICES if packet.kind == Packet.SENTINEL else COHORT_CHOICES
    if choice not in allowed:
        raise ValidationFailed({"choice": [_("Choose one of: %(choices)s.") % {
            "choices": ", ".join(_(CHOICE_LABELS[c]) for c in allowed)}]})
    if len(rationale) > RATIONALE_MAX:
        raise ValidationFailed({"rationale": [_("At most %(n)s characters.") % {"n": RATIONALE_MAX}]})
    if packet.cohort.closed_at is not None:
        raise ValidationFailed(_("Cohort %(n)s is already closed.") % {"n": packet.cohort.number})
    latest = Packet.objects.filter(cohort=packet.cohort, kind=packet.kind).order_by("-frozen_at", "-id").first()
    if latest is not None and latest.pk != packet.pk:
        raise ValidationFailed(_("A newer packet of this review exists; decide on the newest packet."))
    if Decision.objects.filter(packet=packet).exists():
        raise ValidationFailed(_("This packet already has a decision; sign it or freeze a new packet."))
    level = _next_level(p, packet, choice, dose_level)
    rec = packet.snapshot["data"]["recommendation"]
    if packet.kind == Packet.SENTINEL:
        recommended, recommended_level = "proceed", ""
        if any(d["status"] == "dlt" and d["cohort"] == packet.cohort.number
               for d in packet.snapshot["data"]["dlts"]):
            recommended = "stop"
    else:
        recommended, recommended_level = rec.get("choice") or "", rec.get("dose_level") or ""
        if recommended in ("stay", "de-escalate", "escalate", "expand", "mtd") and not recommended_level:
            recommended_level = packet.cohort.dose_level
    # Expanding at the dose the design selects as the MTD follows the recommendation (the protocol's expansion).
    follows = choice == recommended or (choice == "expand" and recommended == "mtd")
    differs = not follows or (packet.kind == Packet.COHORT and choice != "stop" and level != recommended_level)
    if differs and not rationale:
        raise ValidationFailed({"rationale": [
            _("The decision differs from the recommendation (%(rec)s): write the rationale.") % {
                "rec": _(CHOICE_LABELS.get(recommended, recommended)) + (
                    f" {recommended_level}" if recommended_level else "")}]})
    capacity: int | None = None
    if packet.kind == Packet.COHORT and choice in ("escalate", "stay", "de-escalate", "expand"):
        size = design(p).cohort_size
        capacity = int(next_capacity or size)
        enrolled_total = sum(len(_enrolled_in_cohort(c.number)) for c in cohorts(p))
        remaining = max(0, int(p.escalation.max_n) - enrolled_total)
        if capacity < 1 or capacity > remaining:
            raise ValidationFailed({"next_capacity": [
                _("The next cohort can have 1 to %(max)s places (the protocol's maximum of %(n)s participants).")
                % {"max": remaining, "n": p.escalation.max_n}]})
    return _propose(actor, packet=packet, choice=choice, dose_level=level, next_capacity=capacity,
                    recommended=recommended, recommended_dose_level=recommended_level, rationale=rationale,
                    proposed_by=actor.user, proposed_at=timezone.now(), quorum=quorum(p),
                    reason=gettext_noop("SRC decision proposed"))


def current_signatures(decision: Decision) -> list[Any]:
    return [s for s in esign.signatures_for(decision) if esign.is_current(s, decision)]


def sign_decision(actor: Actor, decision: Decision, *, password: str, comment: str = "") -> Any:
    """An SRC member signs the decision (meaning "approved"). At the quorum it takes effect: the cohort
    closes and, for escalate / stay / de-escalate / expand, the next cohort opens at the decided dose."""
    _require(actor, DECISION_SIGN)
    decision.refresh_from_db()
    if decision.status != Decision.PROPOSED:
        raise ValidationFailed(_("This decision is %(status)s and takes no more signatures.") % {
            "status": decision.get_status_display()})
    latest = Packet.objects.filter(cohort=decision.packet.cohort, kind=decision.packet.kind).order_by(
        "-frozen_at", "-id").first()
    if latest is not None and latest.pk != decision.packet_id:
        raise ValidationFailed(_("A newer packet of this review exists; this decision can no longer be signed."))
    _check_password(actor, password)  # before the transaction, so a failure counts toward lockout
    with transaction.atomic():
        # One signer at a time per decision, so two members signing at once cannot both open a cohort.
        locked = Decision.objects.select_for_update().select_related("packet__cohort").get(pk=decision.pk)
        if locked.status != Decision.PROPOSED:
            raise ValidationFailed(_("This decision is %(status)s and takes no more signatures.") % {
                "status": locked.get_status_display()})
        signature = esign.sign(actor, locked, password=password, meaning="approved", comment=comment)
        signers = {s.signer_id for s in current_signatures(locked)}
        if len(signers) >= locked.quorum:
            _make_effective(actor, locked)
    return signature


def _check_password(actor: Actor, password: str) -> None:
    from celltrial.accounts.services import register_failed_password

    user = actor.user
    if user is None:
        raise esign.SignatureRefused(_("Only a person can sign."))
    if user.is_locked() or not user.is_active:
        raise esign.SignatureRefused({"password": [_("Your account is locked or inactive.")]})
    if not password or not user.check_password(password):
        register_failed_password(user, context="signature")
        raise esign.SignatureRefused({"password": [_("The password is not correct. The record was not signed.")]})


def _make_effective(actor: Actor, decision: Decision) -> None:
    now = timezone.now()
    reason = gettext_noop("SRC decision signed by the quorum")
    saved = _take_effect(actor, decision, {"status": Decision.EFFECTIVE, "effective_at": now},
                         expected_version=decision.version, reason=reason).instance
    packet = saved.packet
    cohort = packet.cohort
    if packet.kind == Packet.SENTINEL and saved.choice == "proceed":
        return
    _close(actor, cohort, {"closed_at": now}, expected_version=cohort.version, reason=reason)
    if saved.choice in ("escalate", "stay", "de-escalate", "expand"):
        number = (Cohort.objects.order_by("-number").values_list("number", flat=True).first() or 0) + 1
        _open_next(actor, number=number, dose_level=saved.dose_level, capacity=saved.next_capacity or 1,
                   kind=Cohort.EXPANSION if saved.choice == "expand" else Cohort.ESCALATION, opened_at=now,
                   opened_by=saved, reason=reason)


# ---------------------------------------------------------------- history


def history(on: dt.date | None = None, *, sites: set[str] | None = None) -> list[dict[str, Any]]:
    """Every dosed participant in dosing order: dose level, cohort and DLT status (for the figure).
    ``sites`` as for :func:`board` (another site's child is listed without its subject ID)."""
    rows = []
    for v in board(on, sites=sites):
        for m in v.dosed:
            rows.append({"subject": m.subject, "dosed_on": m.dosed_on, "cohort": v.cohort.number,
                         "dose_level": v.cohort.dose_level, "dose_index": v.dose_index, "dlt": m.dlt})
    rows.sort(key=lambda r: (r["dosed_on"], r["subject"]))
    for i, r in enumerate(rows, start=1):
        r["order"] = i
    return rows
