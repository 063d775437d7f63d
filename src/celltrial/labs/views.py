"""Labs pages: the participant's lab grid (visits × analytes, flags and grades coloured), the entry form per
visit, corrections with a reason, the infusion-day vitals table, and the reference-range sets.

Writes go through labs.services; a refused form keeps what was typed (400, never 500). A participant at a
site where the user may not read labs is not found (404), so other sites' children are not revealed.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from celltrial.accounts import permissions
from celltrial.accounts.decorators import requires
from celltrial.core.errors import ConflictError
from celltrial.core.forms import attempt
from celltrial.labs import forms, services
from celltrial.labs.models import InfusionVitals, LabResult, ReferenceRangeSet
from celltrial.labs.permissions import LAB_ENTER, LAB_VIEW, RANGES_MANAGE
from celltrial.labs.rules import ANALYTES, PANELS, analytes_of
from celltrial.participants import interface as participants
from celltrial.study import interface as study


def _lang() -> str:
    return "zh" if (get_language() or "en").startswith("zh") else "en"


def _subject(request: HttpRequest, participant_id: int) -> Any:
    """The participant, if the user may read labs at its site; 404 otherwise (not revealed)."""
    found = services.participant(participant_id)
    if found is None or not permissions.has_perm(request.user, LAB_VIEW, found.site.code):
        raise Http404(_("No such participant."))
    return found


def _guard(request: HttpRequest, permission: str, site_code: str) -> None:
    if not permissions.has_perm(request.user, permission, site_code):
        raise PermissionDenied(permission)


def _conflict_rows(exc: ConflictError) -> list[tuple[str, Any, Any]]:
    return [(name, exc.current_values.get(name), exc.attempted_values.get(name)) for name in exc.attempted_values
            if exc.current_values.get(name) != exc.attempted_values.get(name)]


@requires(LAB_VIEW)
def index(request: HttpRequest) -> HttpResponse:
    people = services.participants_with_results(request.user)
    points = _abnormal(people)
    abnormal = {p.participant_id for p in points}
    rows = [{"participant": p, "label": participants.subject_label(p), "abnormal": p.pk in abnormal,
             "site": p.site.code} for p in people]
    zh = _lang() == "zh"
    # The graded ones first (highest grade, newest), then the flagged ones: what a medical monitor reviews.
    graded = sorted(points, key=lambda p: (-(p.grade or 0), -p.collected_at.timestamp()))[:200]
    listed = [{"point": p, "label": (ANALYTES[p.analyte].label_zh if zh else p.label) if p.analyte in ANALYTES
               else p.label, "decimals": ANALYTES[p.analyte].decimals if p.analyte in ANALYTES else 2} for p in graded]
    return render(request, "labs/index.html", {"rows": rows, "abnormal": listed})


def _abnormal(people: list[Any]) -> list[Any]:
    from celltrial.labs.interface import abnormal_labs

    return abnormal_labs(people)


@requires(LAB_VIEW)
def participant_labs(request: HttpRequest, participant_id: int) -> HttpResponse:
    subject = _subject(request, participant_id)
    visits, rows = services.grid(subject, _lang())
    panels = [(PANELS[code.panel], code, cells) for code, cells in rows]
    return render(request, "labs/participant.html", {
        "subject": subject, "label": participants.subject_label(subject), "visits": visits, "rows": panels,
        "vitals": services.vitals_of(subject), "zone": subject.site.timezone, "lang": _lang(),
        "can_enter": permissions.has_perm(request.user, LAB_ENTER, subject.site.code),
        "range_set": services.range_set_in_force(subject.site.code),
    })


def _record_age_sex(subject: Any) -> dict[str, Any]:
    """The child's age today and sex from the participant's record, shown read-only beside the form (the
    service takes the age on the sampling date); or why the record cannot choose a range."""
    found = participants.age_and_sex(subject, services.sampling_date(subject, timezone.now()))
    if found.missing:
        return {"missing": str(services.MISSING[found.missing])}
    months = found.total_months % 12 if found.total_months is not None else 0
    return {"missing": "", "years": found.years, "months": months,
            "sex": {"M": _("Male"), "F": _("Female")}.get(found.sex, found.sex)}


@requires(LAB_ENTER)
def enter(request: HttpRequest, participant_id: int, visit: str) -> HttpResponse:
    subject = _subject(request, participant_id)
    site_code = subject.site.code
    _guard(request, LAB_ENTER, site_code)
    visits = {v.code: v for v in services.lab_visits(_lang())}
    if visit not in visits:
        raise Http404(_("Labs are not drawn at this visit."))
    form = forms.PanelForm(request.POST or None, zone=subject.site.timezone,
                           initial={"collected_at": timezone.now()})
    refusal = participants.entry_refusal(subject, visit)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            ok, _made = attempt(form, lambda: services.enter_panel(
                permissions.actor_for(request.user, LAB_ENTER, site_code), subject, visit=visit, collected_at=data["collected_at"],
                values=form.values(), comment=data.get("comment", "")))
            if ok:
                messages.success(request, _("Results entered, flagged and graded."))
                return redirect("labs_participant", participant_id=subject.pk)
        status = 400
    return render(request, "labs/enter.html", {
        "subject": subject, "label": participants.subject_label(subject), "visit": visits[visit], "form": form,
        "panels": [(PANELS[p], [r for r in form.rows() if r[0].panel == p]) for p in PANELS],
        "refusal": services.REFUSALS.get(refusal, refusal) if refusal else "",
        "range_set": services.range_set_in_force(site_code), "record": _record_age_sex(subject),
    }, status=status)


def _result(request: HttpRequest, result_id: int) -> LabResult:
    found = services.visible_results(request.user).select_related("participant__site", "site").filter(
        pk=result_id).first()
    if found is None:
        raise Http404(_("No such result."))
    return found


@requires(LAB_ENTER)
def correct(request: HttpRequest, result_id: int) -> HttpResponse:
    result = _result(request, result_id)
    _guard(request, LAB_ENTER, result.site.code)
    form = forms.CorrectForm(request.POST or None, analyte=result.analyte,
                             initial={"value": result.value_text, "unit": result.unit,
                                      "version": result.version})
    conflict, rows, status = None, [], 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                ok, _saved = attempt(form, lambda: services.correct_result(
                    permissions.actor_for(request.user, LAB_ENTER, result.site.code), result, value=data["value"],
                    unit=data.get("unit") or "", expected_version=data["version"], reason=data["reason"]))
            except ConflictError as exc:
                ok, conflict, rows = False, str(exc), _conflict_rows(exc)
                status = 409
            if ok:
                messages.success(request, _("Result corrected; flag and grade computed again."))
                return redirect("labs_participant", participant_id=result.participant_id)
        status = status if status == 409 else 400
    return render(request, "labs/correct.html", {
        "result": result, "analyte": ANALYTES[result.analyte], "form": form, "conflict": conflict,
        "conflict_rows": rows, "label": participants.subject_label(result.participant),
    }, status=status)


@requires(LAB_VIEW)
def vitals(request: HttpRequest, participant_id: int) -> HttpResponse:
    subject = _subject(request, participant_id)
    site_code = subject.site.code
    existing = services.vitals_of(subject)
    start = existing[0].infusion_started_at if existing else None
    form = forms.VitalsForm(request.POST or None, zone=subject.site.timezone,
                            initial={"infusion_started_at": start, "measured_at": timezone.now()})
    status = 200
    if request.method == "POST":
        _guard(request, LAB_ENTER, site_code)
        if form.is_valid():
            data = form.cleaned_data
            ok, _made = attempt(form, lambda: services.record_infusion_vitals(
                permissions.actor_for(request.user, LAB_ENTER, site_code), subject, time_point=data["time_point"],
                infusion_started_at=data["infusion_started_at"], measured_at=data["measured_at"],
                values=form.readings()))
            if ok:
                messages.success(request, _("Vital signs recorded."))
                return redirect("labs_vitals", participant_id=subject.pk)
        status = 400
    return render(request, "labs/vitals.html", {
        "subject": subject, "label": participants.subject_label(subject), "vitals": existing, "form": form,
        "zone": subject.site.timezone, "can_enter": permissions.has_perm(request.user, LAB_ENTER, site_code),
    }, status=status)


@requires(LAB_ENTER)
def vitals_correct(request: HttpRequest, vitals_id: int) -> HttpResponse:
    found = permissions.scope(InfusionVitals.objects.select_related("site", "participant__site"), request.user,
                              LAB_VIEW).filter(pk=vitals_id).first()
    if found is None:
        raise Http404(_("No such reading."))
    _guard(request, LAB_ENTER, found.site.code)
    initial = {"measured_at": found.measured_at, "version": found.version,
               **{name: getattr(found, name) for name, _label in forms.VITAL_FIELDS}}
    form = forms.VitalsCorrectForm(request.POST or None, zone=found.site.timezone, initial=initial)
    conflict, rows, status = None, [], 200
    if request.method == "POST":
        if form.is_valid():
            data = form.cleaned_data
            try:
                ok, _saved = attempt(form, lambda: services.correct_infusion_vitals(
                    permissions.actor_for(request.user, LAB_ENTER, found.site.code), found, measured_at=data["measured_at"],
                    values=form.readings(), expected_version=data["version"], reason=data["reason"]))
            except ConflictError as exc:
                ok, conflict, rows = False, str(exc), _conflict_rows(exc)
                status = 409
            if ok:
                messages.success(request, _("Vital signs corrected."))
                return redirect("labs_vitals", participant_id=found.participant_id)
        status = status if status == 409 else 400
    return render(request, "labs/vitals_correct.html", {
        "vitals": found, "form": form, "conflict": conflict, "conflict_rows": rows,
        "label": participants.subject_label(found.participant),
    }, status=status)


def _manage_sites(request: HttpRequest) -> list[tuple[str, str]]:
    codes = permissions.site_codes_with(request.user, RANGES_MANAGE)
    return [(s.code, f"{s.code} · {s.name_zh if _lang() == 'zh' else s.name_en}") for s in study.sites()
            if permissions.ALL_SITES in codes or s.code in codes]


@requires(LAB_VIEW)
def ranges(request: HttpRequest) -> HttpResponse:
    sites = _manage_sites(request)
    form = forms.RangesForm(request.POST or None, request.FILES or None, sites=sites) if sites else None
    status = 200
    if request.method == "POST":
        if form is None:
            raise PermissionDenied(RANGES_MANAGE)
        if form.is_valid():
            code = form.cleaned_data["site"]
            _guard(request, RANGES_MANAGE, code)
            upload = form.cleaned_data["file"]
            if upload.size > 1_000_000:
                form.add_error("file", _("The file is larger than 1 MB."))
            else:
                ok, made = attempt(form, lambda: services.load_reference_ranges(
                    permissions.actor_for(request.user, RANGES_MANAGE, code), site_code=code, content=upload.read(), name=upload.name))
                if ok:
                    messages.success(request, _("Reference ranges loaded."))
                    return redirect("labs_range_set", set_id=made.pk)
        status = 400
    sets = permissions.scope(ReferenceRangeSet.objects.select_related("site"), request.user, LAB_VIEW)
    return render(request, "labs/ranges.html", {"sets": sets, "form": form}, status=status)


@requires(LAB_VIEW)
def range_set(request: HttpRequest, set_id: int) -> HttpResponse:
    found = permissions.scope(ReferenceRangeSet.objects.select_related("site"), request.user, LAB_VIEW).filter(
        pk=set_id).first()
    if found is None:
        raise Http404(_("No such reference-range set."))
    labels = {a.code: (a.label_zh if _lang() == "zh" else a.label_en) for a in analytes_of()}
    rows = [{"row": r, "label": labels.get(r.analyte, r.analyte), "decimals": ANALYTES[r.analyte].decimals}
            for r in found.rows.all()]
    return render(request, "labs/range_set.html", {"set": found, "rows": rows})
