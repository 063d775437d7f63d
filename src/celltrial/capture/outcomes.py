"""Scored instruments by participant and visit: totals, change and percent change from baseline, and
the RUPP responder rule.

Baseline is the last scored pre-dose visit (protocol day ≤ 0) of the instrument — CDISC ADaM's
convention for the baseline record (the last non-missing value before first dose; ADaMIG 1.1 §3.3.4,
``ABLFL``). The responder rule is RUPP Autism Network (McCracken JT et al., N Engl J Med
2002;347:314-321): a reduction of at least 25 % in ABC Irritability from baseline and a CGI-I of 1 or
2 at the same visit; :mod:`celltrial.capture.instruments.responder` applies it.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from celltrial.capture.instruments.errors import NotEvaluableError
from celltrial.capture.instruments.responder import ResponderStatus, rupp_responder
from celltrial.capture.instruments.responder import percent_change as pct_change
from celltrial.capture.models import FormRecord, FormStatus
from celltrial.participants.interface import subject_label
from celltrial.study.interface import protocol_version_in_force

ABC = "ABC_AMAN58"
CGI_I = "CGI_I"


@dataclass(frozen=True)
class Row:
    participant_id: int
    subject: str
    instrument: str
    visit: str
    visit_order: int
    total: float | None
    subscales: dict[str, float]
    change: float | None = None
    percent_change: float | None = None
    responder: bool | None = None
    responder_status: str = ""
    responder_reason: str = ""
    irritability_change: float | None = None
    irritability_percent: float | None = None
    cgi_i: int | None = None
    rule_version: str = ""


def _rows(participants: list[Any]) -> list[Row]:
    found = protocol_version_in_force()
    if found is None or not participants:
        return []
    _n, p = found
    order = {v.code: i for i, v in enumerate(p.visits)}
    days = {v.code: v.day for v in p.visits}
    labels = {x.pk: subject_label(x) for x in participants}
    records = (FormRecord.objects.filter(participant__in=[x.pk for x in participants], status=FormStatus.COMPLETE,
                                         repeat=1).exclude(scores={}).order_by("participant_id", "visit"))
    by_key: dict[tuple[int, str], list[tuple[str, dict[str, Any]]]] = {}
    for r in records:
        by_key.setdefault((r.participant_id, str(r.scores.get("instrument", ""))), []).append((r.visit, r.scores))
    rows: list[Row] = []
    for (pid, code), visits in sorted(by_key.items()):
        visits.sort(key=lambda pair: order.get(pair[0], 999))
        pre = [(v, s) for v, s in visits if days.get(v, 999) <= 0 and s.get("total") is not None]
        baseline = pre[-1] if pre else None
        for visit, scores in visits:
            total = scores.get("total")
            subscales = {s["code"]: s["score"] for s in scores.get("subscales", [])}
            change = percent = None
            if baseline is not None and total is not None and visit != baseline[0] and days.get(visit, 0) > 0:
                base = float(baseline[1]["total"])
                change = _difference(total, baseline[1]["total"])
                try:
                    percent = round(pct_change(base, float(total)), 1)
                except NotEvaluableError:
                    percent = None
            rows.append(Row(pid, labels[pid], code, visit, order.get(visit, 999), total, subscales, change, percent,
                            rule_version=str(scores.get("rule_version", ""))))
    return _with_responders(rows, days)


def _with_responders(rows: list[Row], days: dict[str, int]) -> list[Row]:
    # CGI-I 0 (not assessed) has no total; the rule then says "not evaluable".
    cgi = {(r.participant_id, r.visit): (0 if r.total is None else r.total) for r in rows if r.instrument == CGI_I}
    abc_baseline: dict[int, Row] = {}
    for r in rows:
        if r.instrument == ABC and days.get(r.visit, 999) <= 0:
            abc_baseline[r.participant_id] = r
    out = []
    for r in rows:
        base = abc_baseline.get(r.participant_id)
        cgi_i = cgi.get((r.participant_id, r.visit))
        if r.instrument == ABC and base is not None and r is not base and days.get(r.visit, 0) > 0 \
                and cgi_i is not None and "irritability" in r.subscales and "irritability" in base.subscales:
            result = rupp_responder(int(base.subscales["irritability"]), int(r.subscales["irritability"]), int(cgi_i))
            responder = None if result.status == ResponderStatus.NOT_EVALUABLE else (
                result.status == ResponderStatus.RESPONDER)
            r = Row(**{**r.__dict__, "responder": responder, "responder_status": result.status.value,
                       "responder_reason": result.reason, "irritability_change": result.irritability_change,
                       "irritability_percent": None if result.irritability_percent_change is None
                       else round(result.irritability_percent_change, 1), "cgi_i": int(cgi_i)})
        out.append(r)
    return out



def _difference(total: Any, base: Any) -> float:
    """``total - base`` as the scale counts: exact in decimal, a whole number when both totals are (ABC
    131 to 73: -58, not -58.0; CARS 42.5 to 35: -7.5)."""
    difference = Decimal(str(total)) - Decimal(str(base))
    return int(difference) if difference == difference.to_integral_value() else float(difference)

def summaries(participants: list[Any]) -> list[Row]:
    """Every scored instrument of these participants, by participant, instrument and visit order."""
    return sorted(_rows(participants), key=lambda r: (r.participant_id, r.instrument, r.visit_order))


def responder_rows(participant: Any) -> list[Row]:
    """The ABC rows of a participant that carry the RUPP responder judgement (post-baseline visits)."""
    return [r for r in summaries([participant]) if r.instrument == ABC and r.responder_status]
