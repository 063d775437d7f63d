"""Participants pages. Writes go through participants.services; reads through state and queries."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from celltrial.accounts import permissions
from celltrial.accounts.decorators import requires
from celltrial.accounts.roles import PII_VIEW
from celltrial.accounts.signatures import SignatureRefused, is_current, signatures_by_object
from celltrial.capture.interface import form_records
from celltrial.core.errors import AccessDenied, ConflictError, ValidationFailed
from celltrial.core.forms import show_errors
from celltrial.participants import forms as pforms
from celltrial.participants import queries, services, state
from celltrial.participants.messages import (
    ASSENT_STATES,
    CONSENT_PROBLEMS,
    DECISIONS,
    DUE_REASONS,
    OUTCOMES,
    REFUSALS,
    SOURCES,
    STAGES,
    STANDINGS,
)
from celltrial.participants.models import (
    ConsentDocument,
    ConsentKind,
    ConsentRecord,
    Dissent,
    Participant,
    PreScreening,
    Status,
    Visit,
)
from celltrial.participants.permissions import (
    CONSENT_DOCUMENT_MANAGE,
    CONSENT_RECORD,
    DATA_ENTER,
    DISSENT_RECORD,
    DISSENT_RESOLVE,
    DOSING_RECORD,
    ELIGIBILITY_SIGN,
    ENROL,
    FUNNEL_VIEW,
    IDENTITY_EDIT,
    PARTICIPANT_VIEW,
    PRESCREEN,
    SCHEDULE,
    SCREEN,
    WITHDRAW,
)
from celltrial.participants.rules import windows
from celltrial.study.interface import site_time_zones, sites


def _lang() -> str:
    return "zh" if (get_language() or "en").lower().startswith("zh") else "en"


def _sites_with(user: Any, permission: str) -> list[tuple[str, str]]:
    codes = permissions.site_codes_with(user, permission)
    return [(s.code, f"{s.code} {s.name}") for s in sites()
            if permissions.ALL_SITES in codes or s.code in codes]


def _participant(request: HttpRequest, pk: int) -> Participant:
    return get_object_or_404(queries.visible(request.user).select_related("site"), pk=pk)


def _zone(site_code: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(site_time_zones().get(site_code) or "Asia/Shanghai")


def _aware(value: dt.datetime, site_code: str) -> dt.datetime:
    """A time typed in the site's local time: a datetime-local input carries no offset, and Django reads
    it in the server's zone (UTC), so the typed wall-clock time is read again in the site's zone."""
    return value.replace(tzinfo=None).replace(tzinfo=_zone(site_code))


def _refused(request: HttpRequest, exc: Exception) -> None:
    messages.error(request, str(exc))


# --- list, pre-screening, screening -----------------------------------------------------------------


@requires(PARTICIPANT_VIEW)
@require_GET
def participant_list(request: HttpRequest) -> HttpResponse:
    try:
        number = int(request.GET.get("page", "1"))
    except ValueError:
        number = 1
    status = request.GET.get("status", "")
    status = status if status in Status.values else ""
    site = request.GET.get("site", "")[:32]
    listing = queries.page(request.user, status=status, site=site, number=number)
    return render(request, "participants/list.html", {
        **listing, "status": status, "site": site, "statuses": Status.choices,
        "sites": _sites_with(request.user, PARTICIPANT_VIEW),
        "can_screen": permissions.has_perm(request.user, SCREEN),
        "can_prescreen": permissions.has_perm(request.user, PRESCREEN),
    })


def _prescreening_page(request: HttpRequest, form: pforms.PrescreeningForm, *, status: int = 200) -> HttpResponse:
    entries = permissions.scope(PreScreening.objects.all(), request.user, PRESCREEN).select_related("site")
    return render(request, "participants/prescreening.html", {
        "form": form, "entries": entries.order_by("-logged_on", "-number")[:200]}, status=status)


@requires(PRESCREEN)
@require_GET
def prescreening_log(request: HttpRequest) -> HttpResponse:
    sites_ = _sites_with(request.user, PRESCREEN)
    return _prescreening_page(request, pforms.PrescreeningForm(sites=sites_, initial={"logged_on": timezone.localdate()}))


@requires(PRESCREEN)
@require_POST
def prescreening_add(request: HttpRequest) -> HttpResponse:
    form = pforms.PrescreeningForm(request.POST, sites=_sites_with(request.user, PRESCREEN))
    if form.is_valid():
        data = form.cleaned_data
        try:
            entry = services.log_prescreening(permissions.actor_for(request.user, PRESCREEN, data["site"]), site_code=data["site"],
                                              logged_on=data["logged_on"], referral_source=data["referral_source"],
                                              age_band=data["age_band"], outcome=data["outcome"], reason=data["reason"])
        except ValidationFailed as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("Pre-screening entry %(n)s saved.") % {"n": entry.number})
            return redirect("prescreening_log")
    return _prescreening_page(request, form, status=400)


def _prescreening_choices(user: Any) -> list[tuple[Any, str]]:
    invited = permissions.scope(PreScreening.objects.all(), user, SCREEN).filter(
        outcome="invited", participant__isnull=True).select_related("site").order_by("-logged_on")[:100]
    return [(e.pk, f"{e.site.code} #{e.number} · {e.logged_on.isoformat()} · {e.get_age_band_display()}")
            for e in invited]


@requires(SCREEN)
def participant_screen(request: HttpRequest) -> HttpResponse:
    sites_ = _sites_with(request.user, SCREEN)
    if request.method == "POST":
        form = pforms.ScreenForm(request.POST, sites=sites_, prescreenings=_prescreening_choices(request.user))
        if form.is_valid():
            data = form.cleaned_data
            try:
                actor = permissions.actor_for(request.user, SCREEN, data["site"])
                if not permissions.has_perm(request.user, PII_VIEW, data["site"]):
                    raise AccessDenied(PII_VIEW, data["site"])
                prescreening = (PreScreening.objects.filter(pk=data["prescreening"]).first()
                                if data.get("prescreening") else None)
                participant = services.screen_child(
                    actor, site_code=data["site"], identity=form.identity(), screened_on=data["screened_on"],
                    consent_language=data["consent_language"], prescreening=prescreening)
            except ValidationFailed as exc:
                show_errors(form, exc)
            except AccessDenied as exc:
                raise PermissionDenied(str(exc)) from exc
            else:
                messages.success(request, _("Screening attempt %(number)s opened.") % {
                    "number": participant.screening_number})
                return redirect("participant_detail", pk=participant.pk)
        return render(request, "participants/screen.html", {"form": form}, status=400)
    form = pforms.ScreenForm(sites=sites_, prescreenings=_prescreening_choices(request.user),
                             initial={"screened_on": timezone.localdate(), "consent_language": "zh-hans"})
    return render(request, "participants/screen.html", {"form": form})


# --- the participant page ------------------------------------------------------------------------------


def _visit_rows(participant: Participant, today: dt.date, p: Any) -> list[dict[str, Any]]:
    lang = _lang()
    rows = []
    for v in participant.visits.order_by("order"):
        standing = windows.standing(v.earliest, v.latest, v.actual_date, today, missed=v.status == "missed",
                                    cancelled=v.status == "cancelled")
        try:
            label = p.visit(v.code).label.get(lang)
        except KeyError:
            label = v.code
        rows.append({"visit": v, "label": label, "standing": standing, "standing_text": STANDINGS[standing.value],
                     "out_of_window": standing in windows.OUT_OF_WINDOW})
    return rows


def _consent_view(participant: Participant, rules_: Any, today: dt.date) -> dict[str, Any]:
    consent = state.consent_state(participant, rules_, today)
    return {
        "state": consent,
        "assent_text": ASSENT_STATES[consent.assent],
        "problems": [CONSENT_PROBLEMS[c] for c in dict.fromkeys(consent.problems)],
        "due": [{"due": d, "text": DUE_REASONS[d.reason] % {"version": d.version},
                 "kind_text": ConsentKind(d.kind).label} for d in consent.due],
    }


def _decision_rows(participant: Participant) -> list[dict[str, Any]]:
    decisions = list(participant.eligibility_decisions.order_by("-evaluated_at", "-id"))
    sigs = signatures_by_object(decisions)
    rows = []
    for d in decisions:
        found = sigs.get(str(d.pk), [])
        if not found:
            continue
        rows.append({"decision": d, "signatures": [{"sig": s, "current": is_current(s, d)} for s in found],
                     "outcome_text": DECISIONS.get(d.outcome, d.outcome)})
    return rows


def _guardian_choices(identity: Any) -> list[tuple[int, str]]:
    return [(slot, f"{identity.guardian(slot)['name']} · {identity.guardian(slot)['relationship']}")
            for slot in (1, 2) if identity.guardian(slot)["name"]]


def _document_choices(participant: Participant, today: dt.date) -> list[tuple[int, str]]:
    """The forms in force for the participant's site and consent language."""
    documents = ConsentDocument.objects.filter(site=participant.site, language=participant.consent_language,
                                               valid_from__lte=today).order_by("kind", "-valid_from")
    return [(d.pk, f"{d.get_kind_display()} v{d.form_version} ({d.valid_from.isoformat()})") for d in documents
            if d.valid_until is None or today <= d.valid_until]


def _detail(request: HttpRequest, participant: Participant, *, status: int = 200, **forms: Any) -> HttpResponse:
    _n, p = state.protocol()
    rules_ = state.participant_rules(p)
    site = participant.site.code
    today = state.site_today(site)
    user = request.user
    can_pii = permissions.has_perm(user, PII_VIEW, site)
    identity = services.reveal_identity(permissions.actor_for(user, PARTICIPANT_VIEW, site), participant) \
        if can_pii else None
    dob = state.bundle([participant], with_visits=False).dob(participant.pk)
    age = state.age_on(dob, today, rules_)
    records = list(participant.consent_records.select_related("document", "obtained_by").order_by("obtained_at"))
    record_sigs = signatures_by_object(records)
    guardians = _guardian_choices(identity) if identity is not None else []
    consent_form = forms.pop("consent_form", None) or pforms.ConsentForm(
        guardians=guardians, documents=_document_choices(participant, today), prefix="consent",
        initial={"obtained_at": timezone.now().astimezone(_zone(site)).replace(second=0, microsecond=0,
                                                                                tzinfo=None)})
    withdrawal = getattr(participant, "withdrawal", None)
    refusal = state.entry_refusal(participant, "SCR", today=today)
    decision = state.latest_decision(participant)
    ctx = {
        "participant": participant, "identity": identity, "can_pii": can_pii, "age": age, "today": today,
        "consent": _consent_view(participant, rules_, today),
        "records": [{"record": r, "signatures": record_sigs.get(str(r.pk), []),
                     "evidence": bool(r.scan_sha256) or any(not s.is_void for s in record_sigs.get(str(r.pk), [])),
                     "guardian": identity.guardian(r.guardian_slot)["name"] if identity and r.guardian_slot else ""}
                    for r in records],
        "visits": _visit_rows(participant, today, p),
        "decision": decision, "decisions": _decision_rows(participant),
        "decision_text": DECISIONS.get(decision.outcome) if decision else "",
        "dissents": participant.dissents.order_by("-occurred_at"),
        "withdrawal": withdrawal,
        "entry_refusal": REFUSALS[refusal] if refusal else "",
        "enrolment_refusal": services.enrolment_refusal(participant, today=today)
        if participant.status == Status.SCREENING else "",
        "rules": rules_,
        "dose_level_label": p.dose_level(participant.dose_level).label.get(_lang()) if participant.dose_level else "",
        "may": {name: permissions.has_perm(user, perm, site) for name, perm in (
            ("consent", CONSENT_RECORD), ("dissent", DISSENT_RECORD), ("resolve", DISSENT_RESOLVE),
            ("withdraw", WITHDRAW), ("enrol", ENROL), ("schedule", SCHEDULE), ("dose", DOSING_RECORD),
            ("screen", SCREEN), ("enter", DATA_ENTER), ("sign", ELIGIBILITY_SIGN), ("identity", IDENTITY_EDIT))},
        "consent_form": consent_form,
        "dissent_form": forms.pop("dissent_form", None) or pforms.DissentForm(prefix="dissent", initial={
            "occurred_at": timezone.now().astimezone(_zone(site)).replace(second=0, microsecond=0, tzinfo=None)}),
        "withdraw_form": forms.pop("withdraw_form", None) or pforms.WithdrawForm(prefix="withdraw", initial={
            "withdrawn_on": today}),
        "enrol_form": forms.pop("enrol_form", None) or pforms.EnrolForm(prefix="enrol"),
        "day0_form": forms.pop("day0_form", None) or pforms.DosingDayForm(prefix="day0", initial={
            "day0": participant.day0, "version": participant.version}),
        "dosed_form": forms.pop("dosed_form", None) or pforms.DosedForm(prefix="dosed", initial={"dosed_on": today}),
        "rescreen_form": forms.pop("rescreen_form", None) or pforms.RescreenForm(prefix="rescreen", initial={
            "screened_on": today}),
        **forms,
    }
    return render(request, "participants/detail.html", ctx, status=status)


@requires(PARTICIPANT_VIEW)
@require_GET
def participant_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _detail(request, _participant(request, pk))


def _post(permission: str, *, form_key: str | None = None) -> Callable[..., Any]:
    """A POST on the participant page: the form, the service, back to the page (or the page with errors)."""

    def decorate(handler: Callable[..., Any]) -> Callable[..., HttpResponse]:
        @require_POST
        @requires(permission)
        def view(request: HttpRequest, pk: int) -> HttpResponse:
            participant = _participant(request, pk)
            actor = permissions.actor_for(request.user, permission, participant.site.code)
            try:
                result = handler(request, participant, actor)
            except ConflictError as exc:
                messages.error(request, str(exc))
                return _detail(request, participant, status=409, conflict=exc)
            except (ValidationFailed, SignatureRefused) as exc:
                form = getattr(exc, "form", None)
                if form is not None and form_key:
                    show_errors(form, exc)
                    return _detail(request, participant, status=400, **{form_key: form})
                _refused(request, exc)
                return _detail(request, participant, status=400)
            except AccessDenied as exc:
                raise PermissionDenied(str(exc)) from exc
            if isinstance(result, HttpResponse):
                return result
            return redirect("participant_detail", pk=participant.pk)

        return view

    return decorate


class _Invalid(ValidationFailed):
    def __init__(self, form: Any, errors: Any = None):
        super().__init__(errors or {"__all__": [_("Check the fields marked below.")]})
        self.form = form


def _valid(form: Any) -> dict[str, Any]:
    if not form.is_valid():
        raise _Invalid(form, {})
    return dict(form.cleaned_data)


def _with_form(form: Any, call: Callable[[], Any]) -> Any:
    try:
        return call()
    except ValidationFailed as exc:
        raise _Invalid(form, exc.errors) from exc


@_post(CONSENT_RECORD, form_key="consent_form")
def consent_record(request: HttpRequest, participant: Participant, actor: Any) -> Any:
    identity = services.reveal_identity(actor, participant)
    form = pforms.ConsentForm(request.POST, request.FILES, guardians=_guardian_choices(identity),
                              documents=_document_choices(participant, state.site_today(participant.site.code)),
                              prefix="consent")
    data = _valid(form)
    scan = data["scan"].read() if data.get("scan") else None
    password = data.get("password") or None
    record = _with_form(form, lambda: services.record_consent(actor, participant, services.ConsentInput(
        kind=data["kind"], document_id=data["document"], obtained_at=_aware(data["obtained_at"], participant.site.code),
        guardian_slot=data.get("guardian_slot"), method=data["method"], outcome=data["outcome"],
        not_obtainable_reason=data.get("not_obtainable_reason") or "", guardian_can_read=data["guardian_can_read"],
        witness_name=data.get("witness_name") or ""), scan=scan))
    if password and not scan:
        try:
            services.sign_consent(actor, record, password=password)
        except SignatureRefused:
            messages.warning(request, _("The record is saved but not signed: the password was not correct. Sign it "
                                        "below or attach the scan."))
            return None
    messages.success(request, _("Consent record saved."))
    return None


def _record(request: HttpRequest, pk: int) -> ConsentRecord:
    return get_object_or_404(permissions.scope(ConsentRecord.objects.select_related("participant", "site"),
                                               request.user, PARTICIPANT_VIEW), pk=pk)


@require_POST
@requires(CONSENT_RECORD)
def consent_sign(request: HttpRequest, pk: int) -> HttpResponse:
    record = _record(request, pk)
    actor = permissions.actor_for(request.user, CONSENT_RECORD, record.site.code)
    form = pforms.SignForm(request.POST)
    if form.is_valid():
        try:
            services.sign_consent(actor, record, password=form.cleaned_data["password"],
                                  comment=form.cleaned_data["comment"])
        except ValidationFailed as exc:
            _refused(request, exc)
        else:
            messages.success(request, _("Signed."))
    return redirect("participant_detail", pk=record.participant_id)


@require_POST
@requires(CONSENT_RECORD)
def consent_scan_upload(request: HttpRequest, pk: int) -> HttpResponse:
    record = _record(request, pk)
    actor = permissions.actor_for(request.user, CONSENT_RECORD, record.site.code)
    if not permissions.has_perm(request.user, PII_VIEW, record.site.code):
        raise PermissionDenied(PII_VIEW)
    form = pforms.ScanForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.attach_scan(actor, record, form.cleaned_data["scan"].read(), reason=form.cleaned_data["reason"])
        except (ValidationFailed, ConflictError) as exc:
            _refused(request, exc)
        except AccessDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        else:
            messages.success(request, _("Scan attached."))
    else:
        messages.error(request, " ".join(str(e) for errs in form.errors.values() for e in errs))
    return redirect("participant_detail", pk=record.participant_id)


@requires(PARTICIPANT_VIEW)
@require_GET
def consent_scan(request: HttpRequest, pk: int) -> HttpResponse:
    record = _record(request, pk)
    if not permissions.has_perm(request.user, PII_VIEW, record.site.code):
        raise PermissionDenied(PII_VIEW)
    actor = permissions.actor_for(request.user, PARTICIPANT_VIEW, record.site.code)
    try:
        data = services.scan_content(actor, record)
    except ValidationFailed as exc:
        raise Http404(str(exc)) from exc
    kind = services._file_kind(data)
    response = HttpResponse(data, content_type={"pdf": "application/pdf", "jpeg": "image/jpeg",
                                                "png": "image/png"}.get(kind or "", "application/octet-stream"))
    response["Content-Disposition"] = f'attachment; filename="consent-{record.pk}.{kind or "bin"}"'
    response["Cache-Control"] = "no-store"
    return response


@_post(DISSENT_RECORD, form_key="dissent_form")
def dissent_record(request: HttpRequest, participant: Participant, actor: Any) -> Any:
    form = pforms.DissentForm(request.POST, prefix="dissent")
    data = _valid(form)
    _with_form(form, lambda: services.record_dissent(
        actor, participant, occurred_at=_aware(data["occurred_at"], participant.site.code), context=data["context"],
        description=data["description"]))
    messages.warning(request, _("Dissent recorded: procedures are paused."))


@require_POST
@requires(DISSENT_RESOLVE)
def dissent_resolve(request: HttpRequest, pk: int) -> HttpResponse:
    dissent = get_object_or_404(permissions.scope(Dissent.objects.select_related("site"), request.user,
                                                  PARTICIPANT_VIEW), pk=pk)
    actor = permissions.actor_for(request.user, DISSENT_RESOLVE, dissent.site.code)
    form = pforms.ResolveForm(request.POST)
    if form.is_valid():
        try:
            services.resolve_dissent(actor, dissent, note=form.cleaned_data["note"])
        except (ValidationFailed, ConflictError) as exc:
            _refused(request, exc)
        else:
            messages.success(request, _("Dissent resolved: procedures may resume."))
    else:
        messages.error(request, _("Say why procedures may resume."))
    return redirect("participant_detail", pk=dissent.participant_id)


@_post(WITHDRAW, form_key="withdraw_form")
def participant_withdraw(request: HttpRequest, participant: Participant, actor: Any) -> Any:
    form = pforms.WithdrawForm(request.POST, prefix="withdraw")
    data = _valid(form)
    _with_form(form, lambda: services.withdraw(
        actor, participant, withdrawn_on=data["withdrawn_on"], requested_by=data["requested_by"], scope=data["scope"],
        data_use_allowed=data["data_use_allowed"], reason=data["reason"]))
    messages.success(request, _("Withdrawal recorded."))


@_post(ENROL, form_key="enrol_form")
def participant_enrol(request: HttpRequest, participant: Participant, actor: Any) -> Any:
    form = pforms.EnrolForm(request.POST, prefix="enrol")
    data = _valid(form)
    enrolled = _with_form(form, lambda: services.enrol(actor, participant, day0=data.get("day0")))
    messages.success(request, _("Enrolled as %(subject)s in cohort %(cohort)s.") % {
        "subject": enrolled.subject_id, "cohort": enrolled.cohort})


@_post(SCHEDULE, form_key="day0_form")
def participant_dosing_day(request: HttpRequest, participant: Participant, actor: Any) -> Any:
    form = pforms.DosingDayForm(request.POST, prefix="day0")
    data = _valid(form)
    _with_form(form, lambda: services.set_dosing_day(actor, participant, day0=data["day0"],
                                                      expected_version=data["version"], reason=data["reason"]))
    messages.success(request, _("Dosing day set; the later visits were rescheduled."))


@_post(DOSING_RECORD, form_key="dosed_form")
def participant_dosed(request: HttpRequest, participant: Participant, actor: Any) -> Any:
    form = pforms.DosedForm(request.POST, prefix="dosed")
    data = _valid(form)
    _with_form(form, lambda: services.record_dosing(actor, participant, dosed_on=data["dosed_on"]))
    messages.success(request, _("Dosing recorded."))


@_post(SCREEN, form_key="rescreen_form")
def participant_rescreen(request: HttpRequest, participant: Participant, actor: Any) -> Any:
    form = pforms.RescreenForm(request.POST, prefix="rescreen")
    data = _valid(form)
    new = _with_form(form, lambda: services.rescreen(actor, participant, screened_on=data["screened_on"],
                                                      reason=data["reason"]))
    messages.success(request, _("Re-screening attempt %(number)s opened.") % {"number": new.screening_number})
    return redirect("participant_detail", pk=new.pk)


@require_POST
@requires(SCHEDULE)
def visit_record(request: HttpRequest, pk: int) -> HttpResponse:
    visit = get_object_or_404(permissions.scope(Visit.objects.select_related("participant", "site"), request.user,
                                                PARTICIPANT_VIEW), pk=pk)
    actor = permissions.actor_for(request.user, SCHEDULE, visit.site.code)
    form = pforms.VisitForm(request.POST)
    if form.is_valid():
        try:
            saved = services.record_visit(actor, visit, actual_date=form.cleaned_data["actual_date"],
                                          missed=form.cleaned_data["missed"],
                                          expected_version=form.cleaned_data["version"])
        except ConflictError as exc:
            messages.error(request, str(exc))
        except ValidationFailed as exc:
            _refused(request, exc)
        else:
            standing = windows.standing(saved.earliest, saved.latest, saved.actual_date, timezone.localdate(),
                                        missed=saved.status == "missed")
            if standing in windows.OUT_OF_WINDOW:
                messages.warning(request, _("Visit %(code)s recorded out of its window.") % {"code": saved.code})
            else:
                messages.success(request, _("Visit %(code)s recorded.") % {"code": saved.code})
    else:
        messages.error(request, _("Enter the date of the visit, or mark it missed."))
    return redirect("participant_detail", pk=visit.participant_id)


# --- identity ------------------------------------------------------------------------------------------


def _identity_page(request: HttpRequest, participant: Participant, form: Any, *, status: int = 200,
                   **extra: Any) -> HttpResponse:
    return render(request, "participants/identity.html", {"participant": participant, "form": form,
                                                           "can_edit": permissions.has_perm(
                                                               request.user, IDENTITY_EDIT, participant.site.code),
                                                           **extra}, status=status)


@requires(PARTICIPANT_VIEW)
def participant_identity(request: HttpRequest, pk: int) -> HttpResponse:
    participant = _participant(request, pk)
    site = participant.site.code
    if not permissions.has_perm(request.user, PII_VIEW, site):
        raise PermissionDenied(PII_VIEW)
    actor = permissions.actor_for(request.user, PARTICIPANT_VIEW, site)
    identity = services.reveal_identity(actor, participant)
    if request.method == "POST":
        edit_actor = permissions.actor_for(request.user, IDENTITY_EDIT, site)
        form = pforms.IdentityEditForm(request.POST)
        if not form.is_valid():
            return _identity_page(request, participant, form, status=400)
        data = form.identity()
        changes = {k: v for k, v in data.items() if (v or "") != (getattr(identity, k) or "")}
        try:
            saved = services.edit_identity(edit_actor, participant, changes,
                                           expected_version=form.cleaned_data["version"],
                                           reason=form.cleaned_data["reason"])
        except ConflictError as exc:
            current = services.reveal_identity(actor, participant)
            rows = [(k, getattr(current, k), v) for k, v in changes.items()]
            return _identity_page(request, participant, form, status=409, conflict=str(exc), conflict_rows=rows)
        except ValidationFailed as exc:
            show_errors(form, exc)
            return _identity_page(request, participant, form, status=400)
        if saved.changed:
            messages.success(request, _("Identity saved."))
        else:
            messages.info(request, _("Nothing changed, so nothing was saved."))
        return redirect("participant_identity", pk=participant.pk)
    initial: dict[str, Any] = {k: getattr(identity, k) for k in pforms.IdentityFields.base_fields}
    initial["version"] = identity.version
    return _identity_page(request, participant, pforms.IdentityEditForm(initial=initial), identity=identity)


# --- screening data and eligibility ------------------------------------------------------------------------


def _screening_page(request: HttpRequest, participant: Participant, *, status: int = 200,
                    bound: dict[str, Any] | None = None, sign_form: Any = None, **extra: Any) -> HttpResponse:
    _n, p = state.protocol()
    lang = _lang()
    today = state.site_today(participant.site.code)
    records = {r.form: r for r in form_records(participant) if r.visit == "SCR" and r.repeat == 1}
    forms_ = []
    for form in state.entered_forms(p, "SCR"):
        record = records.get(form.name)
        page_form = (bound or {}).get(form.name) or pforms.screening_form(
            form, lang, prefix=form.name,
            initial={**(record.values if record else {}), "version": record.version if record else 0})
        forms_.append({"form": form, "label": form.label.get(lang), "page_form": page_form, "record": record})
    evaluation = state.evaluate(participant, today=today)
    labels = {c.id: c.text.get(lang) for c in p.eligibility}
    definitions = {f.name: f for form in p.forms for f in form.fields}
    zone = _zone(participant.site.code)
    criteria = [{
        "result": r, "text": labels.get(r.id, ""), "outcome_text": OUTCOMES[r.outcome.value],
        "used": [{"used": u, "label": definitions[u.field].label.get(lang) if u.field in definitions else u.field,
                  "value_text": _value_text(definitions.get(u.field), u.value, lang),
                  "saved_at": _local(u.recorded_at, zone),
                  "source_text": SOURCES.get(u.source, ""), "form_label": _form_label(p, u.form, lang)}
                 for u in r.used]} for r in evaluation.results]
    decision = state.latest_decision(participant)
    refusal = state.entry_refusal(participant, "SCR", today=today)
    return render(request, "participants/screening.html", {
        "participant": participant, "forms": forms_, "criteria": criteria, "evaluation": evaluation,
        "evaluation_text": DECISIONS[evaluation.decision.value], "decision": decision,
        "decisions": _decision_rows(participant), "entry_refusal": REFUSALS[refusal] if refusal else "",
        "can_enter": permissions.has_perm(request.user, DATA_ENTER, participant.site.code),
        "can_sign": permissions.has_perm(request.user, ELIGIBILITY_SIGN, participant.site.code)
        and participant.status == Status.SCREENING,
        "sign_form": sign_form or pforms.SignForm(), **extra}, status=status)


def _value_text(definition: Any, value: Any, lang: str) -> str:
    """A coded answer with its label (``1 (Yes)``), so the reader need not know the dictionary's codes."""
    text = ", ".join(value) if isinstance(value, list) else str(value)
    if definition is None or text == "":
        return text
    if definition.type == "yesno" and text in ("0", "1"):
        return f"{text} ({_('Yes') if text == '1' else _('No')})"
    label = definition.choice_label(text, lang) if definition.choices else None
    return f"{text} ({label})" if label else text


def _local(iso: str, zone: zoneinfo.ZoneInfo) -> str:
    if not iso:
        return ""
    try:
        return dt.datetime.fromisoformat(iso).astimezone(zone).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso


def _form_label(p: Any, name: str, lang: str) -> str:
    try:
        return p.form(name).label.get(lang)
    except KeyError:
        return name


@requires(PARTICIPANT_VIEW)
@require_GET
def participant_screening(request: HttpRequest, pk: int) -> HttpResponse:
    return _screening_page(request, _participant(request, pk))


@require_POST
@requires(DATA_ENTER)
def participant_form_save(request: HttpRequest, pk: int, form: str) -> HttpResponse:
    participant = _participant(request, pk)
    actor = permissions.actor_for(request.user, DATA_ENTER, participant.site.code)
    _n, p = state.protocol()
    definitions = {f.name: f for f in state.entered_forms(p, "SCR")}
    if form not in definitions:
        raise Http404(form)
    page_form = pforms.screening_form(definitions[form], _lang(), data=request.POST, prefix=form)
    bound = {form: page_form}
    if not page_form.is_valid():
        return _screening_page(request, participant, status=400, bound=bound)
    values = {k: v for k, v in page_form.cleaned_data.items() if k not in ("version", "reason")}
    version = page_form.cleaned_data.get("version") or None
    try:
        services.save_form(actor, participant, visit="SCR", form=form, values=values, expected_version=version,
                           reason=page_form.cleaned_data.get("reason") or "")
    except ConflictError as exc:
        saved_now = exc.current_values.get("values") or {}
        mine = exc.attempted_values.get("values") or {}
        rows = [(name, saved_now.get(name, ""), mine.get(name, "")) for name in sorted(set(saved_now) | set(mine))
                if saved_now.get(name, "") != mine.get(name, "")]
        return _screening_page(request, participant, status=409, bound=bound, conflict=str(exc), conflict_rows=rows)
    except ValidationFailed as exc:
        show_errors(page_form, exc)
        return _screening_page(request, participant, status=400, bound=bound)
    messages.success(request, _("Saved %(form)s.") % {"form": definitions[form].label.get(_lang())})
    return redirect(f"{request.path.rsplit('/', 2)[0]}/#form-{form}")


@require_POST
@requires(ELIGIBILITY_SIGN)
def eligibility_sign(request: HttpRequest, pk: int) -> HttpResponse:
    participant = _participant(request, pk)
    actor = permissions.actor_for(request.user, ELIGIBILITY_SIGN, participant.site.code)
    form = pforms.SignForm(request.POST)
    if form.is_valid():
        try:
            decision = services.sign_eligibility(actor, participant, password=form.cleaned_data["password"],
                                                 comment=form.cleaned_data["comment"])
        except SignatureRefused as exc:
            show_errors(form, exc)
        except ValidationFailed as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Eligibility decision signed: %(outcome)s.") % {
                "outcome": DECISIONS[decision.outcome]})
            return redirect("participant_screening", pk=participant.pk)
    return _screening_page(request, participant, status=400, sign_form=form)


# --- site lists, funnel, consent documents -----------------------------------------------------------------


@requires(PARTICIPANT_VIEW)
@require_GET
def visits_due(request: HttpRequest) -> HttpResponse:
    due = queries.visits_due(request.user)
    lang = _lang()
    _n, p = state.protocol()
    labels = {v.code: v.label.get(lang) for v in p.visits}

    def rows(items: list[Any]) -> list[dict[str, Any]]:
        return [{"visit": d.visit, "label": labels.get(d.visit.code, d.visit.code),
                 "standing_text": STANDINGS[d.standing.value]} for d in items]

    first, last = windows.week_of(timezone.localdate())
    return render(request, "participants/visits_due.html", {
        "this_week": rows(due["this_week"]), "overdue": rows(due["overdue"]), "first": first, "last": last})


def _figure_labels() -> dict[str, str]:
    return {**{k: str(v) for k, v in STAGES.items()}, "axis": _("Children"), "overall": _("All sites")}


@requires(FUNNEL_VIEW)
@require_GET
def funnel(request: HttpRequest) -> HttpResponse:
    from celltrial.participants import figures

    result = queries.funnel(request.user)
    table = [{"site": code, "stages": [(STAGES[s], n, share) for s, n, share in counts.conversion()]}
             for code, counts in result.by_site.items()]
    return render(request, "participants/funnel.html", {
        "overall": [(STAGES[s], n, share) for s, n, share in result.overall.conversion()], "sites": table,
        "svg": figures.funnel_svg(result, labels=_figure_labels())})


@requires(FUNNEL_VIEW)
@require_GET
def funnel_figure(request: HttpRequest, fmt: str) -> HttpResponse:
    from celltrial.participants import figures

    if fmt not in ("png", "pdf", "svg"):
        raise Http404(fmt)
    data = figures.funnel_figure(queries.funnel(request.user), fmt, labels=_figure_labels())
    response = HttpResponse(data, content_type={"png": "image/png", "pdf": "application/pdf",
                                                "svg": "image/svg+xml"}[fmt])
    response["Content-Disposition"] = f'attachment; filename="screening-funnel.{fmt}"'
    return response


def _documents_page(request: HttpRequest, form: Any, *, status: int = 200) -> HttpResponse:
    docs = permissions.scope(ConsentDocument.objects.all(), request.user, PARTICIPANT_VIEW).select_related("site")
    today = timezone.localdate()
    return render(request, "participants/consent_documents.html", {
        "documents": [{"doc": d, "valid": d.valid_from <= today and (d.valid_until is None or today <= d.valid_until)}
                      for d in docs.order_by("site__code", "kind", "language", "-valid_from")],
        "form": form, "can_add": permissions.has_perm(request.user, CONSENT_DOCUMENT_MANAGE)}, status=status)


@requires(PARTICIPANT_VIEW)
@require_GET
def consent_documents(request: HttpRequest) -> HttpResponse:
    return _documents_page(request, pforms.ConsentDocumentForm(
        sites=_sites_with(request.user, CONSENT_DOCUMENT_MANAGE), initial={"language": "zh-hans"}))


@require_POST
@requires(CONSENT_DOCUMENT_MANAGE)
def consent_document_add(request: HttpRequest) -> HttpResponse:
    form = pforms.ConsentDocumentForm(request.POST, request.FILES, sites=_sites_with(request.user, CONSENT_DOCUMENT_MANAGE))
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.add_consent_document(
                permissions.actor_for(request.user, CONSENT_DOCUMENT_MANAGE, data["site"]), site_code=data["site"], kind=data["kind"],
                language=data["language"], version=data["version"], ec_approved_on=data["ec_approved_on"],
                valid_from=data["valid_from"], valid_until=data["valid_until"], file_name=data["file"].name,
                content=data["file"].read())
        except ValidationFailed as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("Form version saved. Participants consented on an earlier version are due "
                                        "to re-consent at their next visit."))
            return redirect("consent_documents")
    return _documents_page(request, form, status=400)


@requires(PARTICIPANT_VIEW)
@require_GET
def consent_document_file(request: HttpRequest, pk: int) -> HttpResponse:
    document = get_object_or_404(permissions.scope(ConsentDocument.objects.all(), request.user, PARTICIPANT_VIEW),
                                 pk=pk)
    try:
        data = services.document_content(document)
    except (OSError, ValidationFailed) as exc:
        raise Http404(str(exc)) from exc
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{document.file_name}"'
    return response
