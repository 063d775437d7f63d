"""Safety pages: the dashboard (obligations by site, AE listings, swimmer plot), a participant's AEs and DLT
adjudication, the AE form with its grade suggestion, an AE with its versions, obligations and case report,
notices, other safety risk information and the RSI. Writes go through safety.services."""

from __future__ import annotations

import copy
import json
from typing import Any
from zoneinfo import ZoneInfo

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from celltrial.accounts import permissions
from celltrial.accounts.decorators import requires
from celltrial.accounts.signatures import signatures_for
from celltrial.core.errors import ValidationFailed
from celltrial.core.forms import attempt
from celltrial.participants import interface as participants
from celltrial.safety import documents, figures, forms, services
from celltrial.safety.models import AdverseEvent, Obligation, RsiVersion, SafetyNotice
from celltrial.safety.permissions import (
    AE_ASSESS,
    AE_ENTER,
    DLT_CONFIRM,
    DLT_DECIDE,
    NOTICES_VIEW,
    OTHER_RISK_RECORD,
    REGULATORY_REPORT,
    RSI_MANAGE,
    SAFETY_VIEW,
    SITE_REPORT,
    SPONSOR_ASSESS,
)
from celltrial.study import interface as study


def _participant_model() -> Any:
    # The participants room's model, reached through our own foreign key (no import of another room's models).
    return AdverseEvent._meta.get_field("participant").related_model


def _participant(request: HttpRequest, participant_id: int) -> Any:
    child = _participant_model().objects.select_related("site").filter(pk=participant_id).first()
    if child is None or not permissions.has_perm(request.user, SAFETY_VIEW, child.site.code):
        raise Http404
    return child


def _ae(request: HttpRequest, pk: int) -> AdverseEvent:
    return get_object_or_404(services.visible_aes(request.user), pk=pk)


def _has(request: HttpRequest, permission: str, site_code: str | None = "") -> bool:
    return permissions.has_perm(request.user, permission, site_code)


def _attempt(form: Any, action: Any) -> tuple[bool, Any]:
    # Safety pages show a stale save on the form itself (their records carry no side-by-side conflict view).
    return attempt(form, action, conflict_on_form=True)

def _zone(site: Any) -> str:
    return getattr(site, "timezone", "") or "Asia/Shanghai"


# ---------------------------------------------------------------- dashboard


def _listing(request: HttpRequest) -> tuple[list[AdverseEvent], dict[str, str]]:
    qs = services.visible_aes(request.user).order_by("site__code", "participant_id", "number")
    filters = {k: request.GET.get(k, "") for k in ("cohort", "grade", "serious", "related")}
    rows = list(qs[:1000])
    cohorts = services.cohorts_of(rows)
    out = []
    for ae in rows:
        ae.cohort = cohorts.get(ae.pk)  # type: ignore[attr-defined]
        if filters["cohort"] and str(ae.cohort) != filters["cohort"]:  # type: ignore[attr-defined]
            continue
        if filters["grade"] and str(ae.grade or "") != filters["grade"]:
            continue
        if filters["serious"] and (filters["serious"] == "yes") != ae.serious:
            continue
        if filters["related"] and (filters["related"] == "yes") != ae.related_investigator:
            continue
        out.append(ae)
    return out, filters


@requires(SAFETY_VIEW)
def dashboard(request: HttpRequest) -> HttpResponse:
    now = timezone.now()
    rows = services.obligation_rows(request.user, now=now)
    by_site: dict[str, list[Any]] = {}
    for row in rows:
        key = row.obligation.site.code if row.obligation.site else _("Trial-wide")
        by_site.setdefault(str(key), []).append(row)
    aes, filters = _listing(request)
    dosed = [p for p in participants.dosed_participants() if _has(request, SAFETY_VIEW, p.site.code)]
    return render(request, "safety/dashboard.html", {
        "by_site": by_site, "aes": aes, "filters": filters, "dosed": dosed,
        "grades": ["1", "2", "3", "4", "5"], "cohorts": sorted({str(a.cohort) for a in aes if a.cohort}),  # type: ignore[attr-defined]
        "can_other_risk": _has(request, OTHER_RISK_RECORD, None), "can_rsi": _has(request, RSI_MANAGE, None),
        "rsi": RsiVersion.objects.first(),
    })


def _lanes(request: HttpRequest) -> list[figures.Lane]:
    found = study.protocol_version_in_force()
    window = found[1].dlt.window_days if found else 28
    lanes = []
    for child in participants.dosed_participants():
        if not _has(request, SAFETY_VIEW, child.site.code):
            continue
        dosing = participants.dosing(child)
        assert dosing is not None
        state = services.dlt_state(child)
        aes = [(ae.verbatim, ae.onset, ae.resolved, ae.grade)
               for ae in AdverseEvent.objects.filter(participant=child).order_by("number")]
        lanes.append(figures.Lane(participants.subject_label(child), dosing.dosed_on, window, aes,
                                  dlt=state.confirmed and state.status == "dlt"))
    return lanes


@requires(SAFETY_VIEW)
def swimmer(request: HttpRequest) -> HttpResponse:
    png = figures.swimmer_png(_lanes(request), today=timezone.localdate(), labels={
        "axis": _("days from dosing (Day 0)"), "grade": _("grade"), "window": _("DLT window")})
    response = HttpResponse(png, content_type="image/png")
    if request.GET.get("download"):
        response["Content-Disposition"] = 'attachment; filename="swimmer.png"'
    return response


# ---------------------------------------------------------------- a participant


@requires(SAFETY_VIEW)
def participant(request: HttpRequest, participant_id: int) -> HttpResponse:
    child = _participant(request, participant_id)
    aes = list(AdverseEvent.objects.filter(participant=child).order_by("number"))
    state = services.dlt_state(child)
    adjudication = state.adjudication
    protocol = study.protocol_version_in_force()
    criteria = [(c.id, f"{c.id}: {c.text.en if translation.get_language() != 'zh-hans' else c.text.zh}")
                for c in protocol[1].dlt.criteria] if protocol else []
    decide = forms.DltDecisionForm(criteria=criteria, aes=[(str(a.number), f"AE {a.number} {a.verbatim}") for a in aes],
                                   initial={"criteria_met": adjudication.criteria_met if adjudication else [],
                                            "decision": adjudication.decision if adjudication else ""})
    live = services.dlt_proposals(child)
    return render(request, "safety/participant.html", {
        "proposals": live[2] if live else [],
        "child": child, "subject": participants.subject_label(child), "aes": aes, "state": state,
        "adjudication": adjudication, "dosing": participants.dosing(child), "criteria": dict(criteria),
        "signatures": signatures_for(adjudication) if adjudication else [],
        "decide_form": decide, "confirm_form": forms.ConfirmForm(),
        "can_enter": _has(request, AE_ENTER, child.site.code), "can_decide": _has(request, DLT_DECIDE, child.site.code),
        "can_confirm": _has(request, DLT_CONFIRM, child.site.code),
    })


def _ae_form(request: HttpRequest, child: Any, data: Any = None) -> forms.AeForm:
    form = forms.AeForm(data, zone=_zone(child.site))
    if not services.meddra_in_use():
        del form.fields["meddra_llt_code"]
    return form


@requires(AE_ENTER)
def ae_new(request: HttpRequest, participant_id: int) -> HttpResponse:
    child = _participant(request, participant_id)
    if not _has(request, AE_ENTER, child.site.code):
        raise PermissionDenied(AE_ENTER)
    is_investigator = _has(request, AE_ASSESS, child.site.code)
    form = _ae_form(request, child, request.POST if request.method == "POST" else None)
    if is_investigator:
        field = copy.deepcopy(forms.AssessForm.base_fields["causality_investigator"])
        field.required = False
        form.fields["causality_investigator"] = field
    if request.method == "POST" and form.is_valid():
        values = form.values()
        permission = AE_ASSESS if is_investigator else AE_ENTER
        ok, ae = _attempt(form, lambda: services.report_ae(permissions.actor_for(request.user, permission, child.site.code), child, **{
            k: v for k, v in values.items() if v not in (None, "") or k in ("grade",)}))
        if ok:
            messages.success(request, _("Adverse event %(n)s recorded.") % {"n": ae.number})
            return redirect("safety_ae", pk=ae.pk)
    return render(request, "safety/ae_form.html", {"form": form, "child": child,
                                                   "subject": participants.subject_label(child)})


@requires(AE_ENTER)
def suggest(request: HttpRequest, participant_id: int) -> HttpResponse:
    """htmx: the suggested grade for the term, findings and onset typed so far."""
    child = _participant(request, participant_id)
    term = request.GET.get("ctcae_term", "")[:40]
    findings = [f.split(":", 1)[1] for f in request.GET.getlist("findings")[:40] if f.startswith(term + ":")]
    try:
        suggestion = services.suggest_grade(child, term, findings=findings, onset=request.GET.get("onset", "")[:10],
                                            resolved=request.GET.get("resolved", "")[:10])
        error = ""
    except ValidationFailed as exc:
        suggestion, error = services.Suggestion(None, "", ""), " ".join(" ".join(v) for v in exc.errors.values())
    except Exception:  # a partial date still being typed
        suggestion, error = services.Suggestion(None, "", ""), ""
    return render(request, "safety/_suggestion.html", {"suggestion": suggestion, "error": error})


# ---------------------------------------------------------------- an adverse event


def _ae_context(request: HttpRequest, ae: AdverseEvent, **extra: Any) -> dict[str, Any]:
    site = ae.site.code
    zone = _zone(ae.site)
    rows = [r for r in services.obligation_rows(request.user, include_closed=True) if r.obligation.ae_id == ae.pk]
    context = {
        "ae": ae, "subject": participants.subject_label(ae.participant), "versions": services.history(ae),
        "rows": rows, "zone": zone,
        "assess_form": forms.AssessForm(initial={"grade": ae.grade or ae.grade_suggested or "",
                                                 "seriousness": ae.seriousness,
                                                 "causality_investigator": ae.causality_investigator}),
        "sponsor_form": forms.SponsorForm(initial={"causality_sponsor": ae.causality_sponsor,
                                                   "sponsor_aware_on": ae.sponsor_aware_on,
                                                   "upgraded_on": ae.upgraded_on}),
        "submission_form": forms.SubmissionForm(zone=zone, initial={
            "submitted_at": timezone.now().astimezone(ZoneInfo(zone)).strftime("%Y-%m-%dT%H:%M")}),
        "can_assess": _has(request, AE_ASSESS, site), "can_sponsor": _has(request, SPONSOR_ASSESS, site),
        "can_follow_up": _has(request, AE_ENTER, site), "can_site_report": _has(request, SITE_REPORT, site),
        "can_regulatory": _has(request, REGULATORY_REPORT, site),
    }
    context.update(extra)
    return context


@requires(SAFETY_VIEW)
def ae_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ae = _ae(request, pk)
    return render(request, "safety/ae.html", _ae_context(request, ae))


@require_POST
@requires(AE_ASSESS)
def ae_assess(request: HttpRequest, pk: int) -> HttpResponse:
    ae = _ae(request, pk)
    form = forms.AssessForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        ok, _saved = _attempt(form, lambda: services.assess_ae(
            permissions.actor_for(request.user, AE_ASSESS, ae.site.code), ae, grade=int(data["grade"]) if data["grade"] else None,
            seriousness=data["seriousness"], causality_investigator=data["causality_investigator"],
            expected_version=int(request.POST.get("version", ae.version)), reason=data["reason"]))
        if ok:
            messages.success(request, _("Assessment saved."))
            return redirect("safety_ae", pk=ae.pk)
    return render(request, "safety/ae.html", _ae_context(request, ae, assess_form=form), status=400)


@require_POST
@requires(SPONSOR_ASSESS)
def ae_sponsor(request: HttpRequest, pk: int) -> HttpResponse:
    ae = _ae(request, pk)
    form = forms.SponsorForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        ok, _saved = _attempt(form, lambda: services.sponsor_assess(
            permissions.actor_for(request.user, SPONSOR_ASSESS, ae.site.code), ae, causality_sponsor=data["causality_sponsor"] or "",
            sponsor_aware_on=data["sponsor_aware_on"], upgraded_on=data["upgraded_on"],
            expected_version=int(request.POST.get("version", ae.version)), reason=data["reason"]))
        if ok:
            messages.success(request, _("Sponsor assessment saved."))
            return redirect("safety_ae", pk=ae.pk)
    return render(request, "safety/ae.html", _ae_context(request, ae, sponsor_form=form), status=400)


@requires(AE_ENTER)
def ae_follow_up(request: HttpRequest, pk: int) -> HttpResponse:
    ae = _ae(request, pk)
    if not _has(request, AE_ENTER, ae.site.code):
        raise PermissionDenied(AE_ENTER)
    initial = {k: getattr(ae, k) for k in ("verbatim", "onset", "resolved", "ctcae_term", "seriousness",
                                           "action_taken", "outcome", "aesi", "lot", "narrative")}
    initial.update(grade=ae.grade or "", findings=[f"{ae.ctcae_term}:{f}" for f in ae.findings],
                   received_on=timezone.localdate(), meddra_llt_code=ae.meddra_llt_code)
    form = forms.FollowUpForm(request.POST if request.method == "POST" else None, zone=_zone(ae.site), initial=initial)
    del form.fields["site_aware_at"]
    if not services.meddra_in_use():
        del form.fields["meddra_llt_code"]
    if request.method == "POST" and form.is_valid():
        values = form.values()
        received_on, reason = values.pop("received_on"), values.pop("reason")
        changes = {k: v for k, v in values.items() if v != getattr(ae, k, None) and not (v in ("", None, [])
                                                                                         and getattr(ae, k, None) in ("", None, []))}
        ok, _saved = _attempt(form, lambda: services.record_follow_up(
            permissions.actor_for(request.user, AE_ENTER, ae.site.code), ae, changes, expected_version=int(request.POST.get("version", ae.version)),
            reason=reason, received_on=received_on))
        if ok:
            messages.success(request, _("Follow-up recorded as a new version."))
            return redirect("safety_ae", pk=ae.pk)
    return render(request, "safety/follow_up.html", {"form": form, "ae": ae,
                                                     "subject": participants.subject_label(ae.participant)})


@require_POST
@requires(SAFETY_VIEW)
def submission(request: HttpRequest, pk: int) -> HttpResponse:
    obligation = get_object_or_404(permissions.scope(Obligation.objects.select_related("ae", "site"), request.user,
                                                     SAFETY_VIEW), pk=pk)
    permission = SITE_REPORT if obligation.kind == "site_notice" else REGULATORY_REPORT
    site = obligation.site.code if obligation.site else ""
    if not _has(request, permission, site or None):
        raise PermissionDenied(permission)
    form = forms.SubmissionForm(request.POST, zone=obligation.time_zone)
    if form.is_valid():
        data = form.cleaned_data
        ok, _saved = _attempt(form, lambda: services.record_submission(
            permissions.actor_for(request.user, permission, site), obligation, submitted_at=data["submitted_at"],
            recipient=data["recipient"], reference=data["reference"]))
        if ok:
            messages.success(request, _("Submission recorded; the obligation is met."))
            return redirect("safety_ae", pk=obligation.ae_id) if obligation.ae_id else redirect("safety")
    if obligation.ae_id:
        ae = _ae(request, obligation.ae_id)
        return render(request, "safety/ae.html", _ae_context(request, ae, submission_form=form,
                                                             failed_obligation=obligation.pk), status=400)
    messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect("safety")


@requires(SAFETY_VIEW)
def ae_cioms(request: HttpRequest, pk: int, language: str) -> HttpResponse:
    if language not in ("en", "zh"):
        raise Http404
    ae = _ae(request, pk)
    pdf = documents.cioms_pdf(ae, language)
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{documents.report_id(ae)}-{language}.pdf"'
    return response


@requires(SAFETY_VIEW)
def ae_e2b(request: HttpRequest, pk: int) -> HttpResponse:
    ae = _ae(request, pk)
    response = HttpResponse(json.dumps(documents.e2b(ae), ensure_ascii=False, indent=2),
                            content_type="application/json; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{documents.report_id(ae)}-e2b.json"'
    return response


# ---------------------------------------------------------------- DLT


@require_POST
@requires(DLT_DECIDE)
def dlt_decide(request: HttpRequest, participant_id: int) -> HttpResponse:
    child = _participant(request, participant_id)
    if not _has(request, DLT_DECIDE, child.site.code):
        raise PermissionDenied(DLT_DECIDE)
    state = services.dlt_state(child)
    if state.adjudication is None:
        messages.error(request, _("This participant has no DLT assessment (not dosed)."))
        return redirect("safety_participant", participant_id=child.pk)
    protocol = study.protocol_version_in_force()
    criteria = [(c.id, c.id) for c in protocol[1].dlt.criteria] if protocol else []
    aes = [(str(a.number), str(a.number)) for a in AdverseEvent.objects.filter(participant=child)]
    form = forms.DltDecisionForm(request.POST, criteria=criteria, aes=aes)
    adjudication = state.adjudication
    if form.is_valid():
        data = form.cleaned_data
        ok, _saved = _attempt(form, lambda: services.decide_dlt(
            permissions.actor_for(request.user, DLT_DECIDE, child.site.code), adjudication, decision=data["decision"],
            criteria_met=data["criteria_met"], dlt_aes=[int(n) for n in data["dlt_aes"]], comment=data["comment"],
            password=data["password"]))
        if ok:
            messages.success(request, _("DLT decision signed."))
            return redirect("safety_participant", participant_id=child.pk)
    messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect("safety_participant", participant_id=child.pk)


@require_POST
@requires(DLT_CONFIRM)
def dlt_confirm(request: HttpRequest, participant_id: int) -> HttpResponse:
    child = _participant(request, participant_id)
    state = services.dlt_state(child)
    if state.adjudication is None:
        messages.error(request, _("This participant has no DLT assessment (not dosed)."))
        return redirect("safety_participant", participant_id=child.pk)
    form = forms.ConfirmForm(request.POST)
    adjudication = state.adjudication
    if form.is_valid():
        ok, _saved = _attempt(form, lambda: services.confirm_dlt(
            permissions.actor_for(request.user, DLT_CONFIRM, child.site.code), adjudication, password=form.cleaned_data["password"],
            comment=form.cleaned_data["comment"]))
        if ok:
            messages.success(request, _("DLT adjudication confirmed."))
            return redirect("safety_participant", participant_id=child.pk)
    messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect("safety_participant", participant_id=child.pk)


# ---------------------------------------------------------------- notices, other risk, RSI


@requires(NOTICES_VIEW)
def notices(request: HttpRequest) -> HttpResponse:
    mine = SafetyNotice.objects.filter(recipient_id=request.user.pk).select_related("obligation")[:200]
    return render(request, "safety/notices.html", {"notices": mine})


@requires(OTHER_RISK_RECORD)
def other_risk(request: HttpRequest) -> HttpResponse:
    if not _has(request, OTHER_RISK_RECORD, None):
        raise PermissionDenied(OTHER_RISK_RECORD)
    form = forms.OtherRiskForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        ok, _info = _attempt(form, lambda: services.record_other_risk(permissions.actor_for(request.user, OTHER_RISK_RECORD, ""),
                                                                      **form.cleaned_data))
        if ok:
            messages.success(request, _("Recorded; its 15-day clock is running."))
            return redirect("safety")
    return render(request, "safety/other_risk.html", {"form": form})


@requires(RSI_MANAGE)
def rsi(request: HttpRequest) -> HttpResponse:
    if not _has(request, RSI_MANAGE, None):
        raise PermissionDenied(RSI_MANAGE)
    form = forms.RsiForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        ok, _rsi = _attempt(form, lambda: services.add_rsi_version(permissions.actor_for(request.user, RSI_MANAGE, ""), **form.cleaned_data))
        if ok:
            messages.success(request, _("RSI version added."))
            return redirect("safety_rsi")
    return render(request, "safety/rsi.html", {"form": form, "versions": RsiVersion.objects.all()})

