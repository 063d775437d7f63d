"""Labs for the REST API: a participant's results and infusion-day vitals, panel entry, corrections with a
reason (409 on a stale version), and the reference-range sets. Writes check the permission in the bearer
authentication, before the body is read (403), and a refused value is a 422 naming the field."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated, Any

from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest
from ninja import Path, Router, Schema
from pydantic import Field

from celltrial.accounts import permissions
from celltrial.accounts.api_auth import Requires
from celltrial.core.api_answers import answer
from celltrial.core.fields import AwareDatetime, IntKey, NoControlCharacters, bounded, responses
from celltrial.labs import services
from celltrial.labs.models import InfusionVitals, LabResult, ReferenceRangeSet
from celltrial.labs.permissions import LAB_ENTER, LAB_VIEW

router = Router(tags=["labs"])

Short = Annotated[str, bounded(30), NoControlCharacters]
Comment = Annotated[str, bounded(500), NoControlCharacters]
Reason = Annotated[str, bounded(1000), NoControlCharacters]
Number = Annotated[str, bounded(30, description="a number as written on the lab report"), NoControlCharacters]


class ResultOut(Schema):
    id: int
    version: int
    visit: str
    collected_at: dt.datetime
    panel: str
    analyte: str
    value: str
    unit: str
    si_value: str
    si_unit: str
    age_years: str = Field(description="the child's age on the sampling date, in years (completed months ÷ 12), "
                                       "from the participant's record")
    sex: str = Field(description="M or F, from the participant's record")
    low: str | None
    high: str | None
    range_set: str
    flag: str
    grade: int | None
    ctcae_term: str
    ctcae_version: str
    criterion: str


class ValueIn(Schema):
    value: Number
    unit: Short = ""


class PanelIn(Schema):
    visit: Short
    collected_at: AwareDatetime
    results: dict[Annotated[str, bounded(10)], ValueIn] = Field(max_length=40)
    comment: Comment = ""


class CorrectIn(Schema):
    value: Number
    unit: Short = ""
    expected_version: IntKey
    reason: Reason


class VitalsOut(Schema):
    id: int
    version: int
    time_point: str
    infusion_started_at: dt.datetime
    measured_at: dt.datetime
    minutes_from_nominal: int
    temperature_c: str
    heart_rate: int
    systolic_bp: int
    diastolic_bp: int
    resp_rate: int
    spo2: int
    fever_grade: int | None
    ctcae_version: str
    criterion: str


class VitalsIn(Schema):
    time_point: Annotated[str, Field(pattern="^(pre|15m|30m|1h|2h|4h)$")]
    infusion_started_at: AwareDatetime
    measured_at: AwareDatetime
    temperature_c: Number
    heart_rate: Number
    systolic_bp: Number
    diastolic_bp: Number
    resp_rate: Number
    spo2: Number


class RangeSetOut(Schema):
    id: int
    site: str
    lab: str
    version: str
    title: str
    illustrative: bool
    rows: list[dict[str, Any]]


def _text(value: Decimal | None) -> str | None:
    return None if value is None else format(value.normalize(), "f")


def _result_out(r: LabResult) -> dict[str, Any]:
    row = r.range_row
    return {"id": r.pk, "version": r.version, "visit": r.visit, "collected_at": r.collected_at, "panel": r.panel,
            "analyte": r.analyte, "value": _text(r.value), "unit": r.unit, "si_value": _text(r.si_value),
            "si_unit": r.si_unit, "age_years": _text(r.age_years), "sex": r.sex, "low": _text(row.low) if row else None, "high": _text(row.high) if row else None,
            "range_set": f"{row.range_set.lab} v{row.range_set.set_version}" if row else "", "flag": r.flag,
            "grade": r.grade, "ctcae_term": r.ctcae_term, "ctcae_version": r.ctcae_version,
            "criterion": r.grade_criterion}


def _vitals_out(v: InfusionVitals) -> dict[str, Any]:
    return {"id": v.pk, "version": v.version, "time_point": v.time_point, "infusion_started_at": v.infusion_started_at,
            "measured_at": v.measured_at, "minutes_from_nominal": v.minutes_from_nominal,
            "temperature_c": _text(v.temperature_c), "heart_rate": v.heart_rate, "systolic_bp": v.systolic_bp,
            "diastolic_bp": v.diastolic_bp, "resp_rate": v.resp_rate, "spo2": v.spo2, "fever_grade": v.fever_grade,
            "ctcae_version": v.ctcae_version, "criterion": v.fever_criterion}


def _subject(request: HttpRequest, participant_id: int) -> Any:
    found = services.participant(participant_id)
    if found is None or not permissions.has_perm(request.user, LAB_VIEW, found.site.code):
        raise Http404("No such participant.")
    return found


@router.get("/participants/{participant_id}/results", response=responses(list[ResultOut], lookup=True), auth=Requires(LAB_VIEW),
            summary="A participant's lab results, oldest first, with flags and CTCAE v5.0 grades")
def results(request: HttpRequest, participant_id: Path[IntKey]) -> Any:
    subject = _subject(request, participant_id)
    rows = LabResult.objects.filter(participant=subject).select_related("range_row__range_set")
    return [_result_out(r) for r in rows.order_by("collected_at", "id")]


@router.post("/participants/{participant_id}/panels", response=responses(list[ResultOut], lookup=True), auth=Requires(LAB_ENTER),
             summary="Enter the results of one draw (analyte code → value and unit); all or nothing")
def enter_panel(request: HttpRequest, participant_id: Path[IntKey], body: PanelIn) -> Any:
    subject = _subject(request, participant_id)
    site = subject.site.code
    if not permissions.has_perm(request.user, LAB_ENTER, site):
        raise PermissionDenied(LAB_ENTER)

    def call() -> Any:
        made = services.enter_panel(permissions.actor_for(request.user, LAB_ENTER, site), subject, visit=body.visit,
                                    collected_at=body.collected_at,
                                    values={k: (v.value, v.unit) for k, v in body.results.items()},
                                    comment=body.comment)
        return [_result_out(r) for r in made]

    return answer(call)


@router.post("/results/{lab_result_id}/correct", response=responses(ResultOut, lookup=True, conflict=True), auth=Requires(LAB_ENTER),
             summary="Correct a result's value or unit (a reason; the version edited); flag and grade recomputed")
def correct(request: HttpRequest, lab_result_id: Path[IntKey], body: CorrectIn) -> Any:
    found = services.visible_results(request.user).select_related("site", "participant__site").filter(
        pk=lab_result_id).first()
    if found is None:
        raise Http404("No such result.")
    site = found.site.code
    if not permissions.has_perm(request.user, LAB_ENTER, site):
        raise PermissionDenied(LAB_ENTER)
    return answer(lambda: _result_out(services.correct_result(
        permissions.actor_for(request.user, LAB_ENTER, site), found, value=body.value, unit=body.unit,
        expected_version=body.expected_version, reason=body.reason)))


@router.get("/participants/{participant_id}/vitals", response=responses(list[VitalsOut], lookup=True), auth=Requires(LAB_VIEW),
            summary="A participant's infusion-day vital signs by time point, fever graded with CTCAE v5.0")
def vitals(request: HttpRequest, participant_id: Path[IntKey]) -> Any:
    return [_vitals_out(v) for v in services.vitals_of(_subject(request, participant_id))]


@router.post("/participants/{participant_id}/vitals", response=responses(VitalsOut, lookup=True), auth=Requires(LAB_ENTER),
             summary="Record the vital signs of one infusion time point")
def record_vitals(request: HttpRequest, participant_id: Path[IntKey], body: VitalsIn) -> Any:
    subject = _subject(request, participant_id)
    site = subject.site.code
    if not permissions.has_perm(request.user, LAB_ENTER, site):
        raise PermissionDenied(LAB_ENTER)
    readings = body.model_dump(exclude={"time_point", "infusion_started_at", "measured_at"})
    return answer(lambda: _vitals_out(services.record_infusion_vitals(
        permissions.actor_for(request.user, LAB_ENTER, site), subject, time_point=body.time_point,
        infusion_started_at=body.infusion_started_at, measured_at=body.measured_at, values=readings)))


@router.get("/ranges", response=responses(list[RangeSetOut]), auth=Requires(LAB_VIEW),
            summary="The reference-range sets of the caller's sites, newest first, with their rows (SI)")
def ranges(request: HttpRequest) -> Any:
    sets = permissions.scope(ReferenceRangeSet.objects.select_related("site"), request.user, LAB_VIEW)
    return [{"id": s.pk, "site": s.site.code, "lab": s.lab, "version": s.set_version, "title": s.title,
             "illustrative": s.illustrative,
             "rows": [{"analyte": r.analyte, "sex": r.sex, "age_from": _text(r.age_from), "age_to": _text(r.age_to),
                       "low": _text(r.low), "high": _text(r.high), "unit": r.unit, "line": r.line}
                      for r in s.rows.all()]} for s in sets.order_by("-id")]

