"""Data-quality pages. Writes go through ``quality.services``; reads are scoped by site."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from celltrial.accounts import permissions
from celltrial.accounts.decorators import requires
from celltrial.accounts.signatures import SignatureRefused
from celltrial.capture.quality import records, services
from celltrial.capture.quality.lists import missing_forms
from celltrial.capture.quality.models import (
    FORM_RECORD,
    Lock,
    LockKind,
    LockLevel,
    Query,
    QueryOrigin,
    QueryStatus,
    SdvMark,
)
from celltrial.capture.quality.permissions import (
    CASEBOOK_SIGN,
    CHECKS_RUN,
    LOCK_MANAGE,
    QUALITY_VIEW,
    QUERY_ANSWER,
    QUERY_CLOSE,
    QUERY_RAISE,
    SDV_MARK,
)
from celltrial.core.errors import AccessDenied, ConflictError, InputError, ValidationFailed
from celltrial.study.interface import site_time_zones, sites


def _sites_with(user: Any, permission: str) -> list[tuple[str, str]]:
    codes = permissions.site_codes_with(user, permission)
    return [(s.code, f"{s.code} {s.name}") for s in sites() if permissions.ALL_SITES in codes or s.code in codes]


def _zone(site_code: str | None) -> str:
    """The site's time zone (times are stored in UTC and shown site-local); the trial's default for none."""
    return site_time_zones().get(site_code or "") or "Asia/Shanghai"


def _with_zones(rows: Any) -> Any:
    zones = site_time_zones()
    for row in rows:
        row.zone = zones.get(row.audit_site_code()) or "Asia/Shanghai"
    return rows


def form_url(participant_pk: int, visit: str, form: str, repeat: int) -> str:
    """The form engine's page of this form (the capture room's URL), or "" when it has none."""
    try:
        return reverse("capture_form", args=[participant_pk, visit, form, repeat])
    except NoReverseMatch:
        return ""


def _participant(request: HttpRequest, pk: Any) -> Any:
    participant = records.participant(pk)
    if participant is None or not permissions.has_perm(request.user, QUALITY_VIEW, participant.site.code):
        raise Http404
    return participant


def _query(request: HttpRequest, pk: int) -> Query:
    return get_object_or_404(permissions.scope(Query.objects.select_related("site"), request.user, QUALITY_VIEW),
                             pk=pk)


def _refused(request: HttpRequest, exc: Exception) -> None:
    if isinstance(exc, ConflictError):
        messages.error(request, str(exc))
    elif isinstance(exc, ValidationFailed):
        for name, errors in exc.errors.items():
            prefix = "" if name == "__all__" else f"{name}: "
            messages.error(request, prefix + " ".join(errors))
    else:
        messages.error(request, str(exc))


def _version(request: HttpRequest) -> int | None:
    try:
        return int(request.POST.get("version", ""))
    except ValueError:
        return None


def _repeat(value: str) -> int:
    try:
        return int(value or "1")
    except ValueError:
        return 0


def _may(user: Any, site_code: str) -> dict[str, bool]:
    return {"raise": permissions.has_perm(user, QUERY_RAISE, site_code),
            "answer": permissions.has_perm(user, QUERY_ANSWER, site_code),
            "close": permissions.has_perm(user, QUERY_CLOSE, site_code),
            "sdv": permissions.has_perm(user, SDV_MARK, site_code),
            "lock": permissions.has_perm(user, LOCK_MANAGE, site_code),
            "sign": permissions.has_perm(user, CASEBOOK_SIGN, site_code)}


# --- queries --------------------------------------------------------------------------------------------


@requires(QUALITY_VIEW)
@require_GET
def queries(request: HttpRequest) -> HttpResponse:
    qs = permissions.scope(Query.objects.select_related("site"), request.user, QUALITY_VIEW)
    status = request.GET.get("status", "outstanding")
    if status == "outstanding":
        qs = qs.filter(status__in=[QueryStatus.OPEN, QueryStatus.ANSWERED])
    elif status in QueryStatus.values:
        qs = qs.filter(status=status)
    else:
        status = "all"
    site = request.GET.get("site", "")[:32]
    if site:
        qs = qs.filter(site__code=site)
    origin = request.GET.get("origin", "")
    if origin in QueryOrigin.values:
        qs = qs.filter(origin=origin)
    else:
        origin = ""
    subject = request.GET.get("subject", "").strip()[:40]
    if subject:
        qs = qs.filter(subject__icontains=subject)
    form = request.GET.get("form", "").strip()[:100]
    if form:
        qs = qs.filter(form=form)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    _with_zones(page.object_list)
    return render(request, "quality/queries.html", {
        "page": page, "status": status, "site": site, "origin": origin, "subject": subject, "form": form,
        "statuses": [("outstanding", _("Open or answered")), *QueryStatus.choices, ("all", _("All"))],
        "origins": QueryOrigin.choices, "sites": _sites_with(request.user, QUALITY_VIEW),
        "may_raise": permissions.has_perm(request.user, QUERY_RAISE),
    })


@requires(QUALITY_VIEW)
@require_GET
def query_detail(request: HttpRequest, pk: int) -> HttpResponse:
    query = _query(request, pk)
    from celltrial.audit.models import AuditEntry

    labels = dict(QueryStatus.choices)
    history = []
    for entry in AuditEntry.objects.filter(stream=query.audit_stream()).order_by("seq"):
        change = entry.changes.get("status") if isinstance(entry.changes, dict) else None
        history.append({"occurred_at": entry.occurred_at, "username": entry.username, "role": entry.role,
                        "reason": entry.reason,
                        "status_change": [labels.get(x, "—") if x else "—" for x in change] if change else None})
    link = form_url(query.participant_pk, query.visit, query.form, query.repeat) if (
        query.target == FORM_RECORD and query.visit and query.form) else ""
    return render(request, "quality/query.html", {"query": query, "may": _may(request.user, query.site.code),
                                                  "zone": _zone(query.site.code), "form_url": link,
                                                  "history": history})


@requires(QUERY_RAISE)
@require_POST
def query_raise(request: HttpRequest) -> HttpResponse:
    participant = records.participant_by_label(request.POST.get("subject", "")) or records.participant(
        request.POST.get("participant", ""))
    back = request.POST.get("next", "")
    if participant is None or not permissions.has_perm(request.user, QUALITY_VIEW, participant.site.code):
        messages.error(request, _("No participant has that subject ID or screening number."))
        return redirect("quality_queries")
    try:
        actor = permissions.actor_for(request.user, QUERY_RAISE, participant.site.code)
        target = services.Target(participant, visit=request.POST.get("visit", "").strip()[:40],
                                 form=request.POST.get("form", "").strip()[:100],
                                 repeat=_repeat(request.POST.get("repeat", "1")),
                                 field=request.POST.get("field", "").strip()[:100])
        query = services.raise_query(actor, target, text=request.POST.get("text", ""))
    except (InputError, AccessDenied) as exc:
        _refused(request, exc)
        return redirect("quality_participant", pk=participant.pk) if back == "participant" else redirect(
            "quality_queries")
    messages.success(request, _("Query %(n)s raised.") % {"n": query.pk})
    return redirect("quality_query", pk=query.pk)


def _transition(request: HttpRequest, pk: int, permission: str, act: Any, text_name: str) -> HttpResponse:
    query = _query(request, pk)
    try:
        actor = permissions.actor_for(request.user, permission, query.site.code)
        act(actor, query, request.POST.get(text_name, ""), _version(request))
    except (InputError, AccessDenied, ConflictError) as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Query %(n)s is now %(status)s.") % {
            "n": query.pk, "status": Query.objects.get(pk=query.pk).get_status_display().lower()})
    return redirect("quality_query", pk=query.pk)


@requires(QUERY_ANSWER)
@require_POST
def query_answer(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(request, pk, QUERY_ANSWER,
                       lambda a, q, t, v: services.answer_query(a, q, answer=t, expected_version=v), "answer")


@requires(QUERY_CLOSE)
@require_POST
def query_close(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(request, pk, QUERY_CLOSE,
                       lambda a, q, t, v: services.close_query(a, q, note=t, expected_version=v), "note")


@requires(QUERY_CLOSE)
@require_POST
def query_reopen(request: HttpRequest, pk: int) -> HttpResponse:
    return _transition(request, pk, QUERY_CLOSE,
                       lambda a, q, t, v: services.reopen_query(a, q, note=t, expected_version=v), "note")


# --- a participant's data quality -----------------------------------------------------------------------


@requires(QUALITY_VIEW)
@require_GET
def participant(request: HttpRequest, pk: int) -> HttpResponse:
    child = _participant(request, pk)
    forms = sorted(records.of_participant(child.pk), key=lambda r: (r.visit, r.form, r.repeat))
    marks = {(m.visit, m.form, m.repeat): m for m in SdvMark.objects.filter(participant_pk=child.pk)}
    holds = list(Lock.objects.filter(active=True, participant_pk=child.pk)) + list(
        Lock.objects.filter(active=True, level=LockLevel.DATABASE))
    rows: list[dict[str, Any]] = []
    for r in forms:
        hold = services.governing_hold(child.pk, r.visit, r.form)
        rows.append({"record": r, "mark": marks.get((r.visit, r.form, r.repeat)), "hold": hold,
                     "url": form_url(child.pk, r.visit, r.form, r.repeat),
                     "hold_text": services.hold_message(hold) if hold else "",
                     "counts": services.counts(child.pk, visit=r.visit, form=r.form)})
    return render(request, "quality/participant.html", {
        "participant": child, "rows": rows, "holds": holds, "counts": services.counts(child.pk),
        "queries": Query.objects.filter(participant_pk=child.pk).order_by("status", "-raised_at")[:200],
        "casebook": services.casebook_state(child.pk), "may": _may(request.user, child.site.code),
        "levels": [c for c in LockLevel.choices if c[0] != LockLevel.DATABASE], "kinds": LockKind.choices,
        "zone": _zone(child.site.code),
    })


@requires(SDV_MARK)
@require_POST
def sdv_mark(request: HttpRequest, pk: int) -> HttpResponse:
    child = _participant(request, pk)
    try:
        actor = permissions.actor_for(request.user, SDV_MARK, child.site.code)
        services.mark_sdv(actor, child, visit=request.POST.get("visit", "")[:40],
                          form=request.POST.get("form", "")[:100], repeat=_repeat(request.POST.get("repeat", "1")))
    except (InputError, AccessDenied, ConflictError) as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Marked source-data verified."))
    return redirect("quality_participant", pk=child.pk)


@requires(CASEBOOK_SIGN)
@require_POST
def casebook_sign(request: HttpRequest, pk: int) -> HttpResponse:
    child = _participant(request, pk)
    try:
        actor = permissions.actor_for(request.user, CASEBOOK_SIGN, child.site.code)
        services.sign_casebook(actor, child, password=request.POST.get("password", ""),
                               meaning=request.POST.get("meaning", "approved"),
                               comment=request.POST.get("comment", ""))
    except (InputError, AccessDenied, SignatureRefused) as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("The casebook is signed."))
    return redirect("quality_participant", pk=child.pk)


# --- freeze and lock ------------------------------------------------------------------------------------


@requires(LOCK_MANAGE)
@require_GET
def locks(request: HttpRequest) -> HttpResponse:
    qs = permissions.scope(Lock.objects.select_related("site", "placed_by", "released_by"), request.user,
                           LOCK_MANAGE)
    active = request.GET.get("active", "1") != "0"
    if active:
        qs = qs.filter(active=True)
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    _with_zones(page.object_list)
    return render(request, "quality/locks.html", {
        "page": page, "active": active, "levels": LockLevel.choices, "kinds": LockKind.choices,
        "may_database": permissions.has_perm(request.user, LOCK_MANAGE, ""),
    })


@requires(LOCK_MANAGE)
@require_POST
def lock_place(request: HttpRequest) -> HttpResponse:
    level = request.POST.get("level", "")
    child = None
    if level != LockLevel.DATABASE:
        child = records.participant_by_label(request.POST.get("subject", "")) or records.participant(
            request.POST.get("participant", ""))
        if child is None or not permissions.has_perm(request.user, QUALITY_VIEW, child.site.code):
            messages.error(request, _("No participant has that subject ID or screening number."))
            return redirect("quality_locks")
    site_code = child.site.code if child is not None else ""
    try:
        actor = permissions.actor_for(request.user, LOCK_MANAGE, site_code)
        services.place_hold(actor, services.HoldScope(level, child, request.POST.get("visit", "").strip(),
                                                      request.POST.get("form", "").strip()),
                            kind=request.POST.get("kind", ""), reason=request.POST.get("reason", ""))
    except (InputError, AccessDenied, ConflictError) as exc:
        _refused(request, exc)
    except PermissionDenied:
        messages.error(request, _("Only a trial-wide data manager may freeze or lock the database."))
    else:
        messages.success(request, _("Saved."))
    if child is not None and request.POST.get("next") == "participant":
        return redirect("quality_participant", pk=child.pk)
    return redirect("quality_locks")


@requires(LOCK_MANAGE)
@require_POST
def lock_release(request: HttpRequest, pk: int) -> HttpResponse:
    hold = get_object_or_404(permissions.scope(Lock.objects.all(), request.user, LOCK_MANAGE), pk=pk)
    try:
        actor = permissions.actor_for(request.user, LOCK_MANAGE, hold.audit_site_code())
        services.release_hold(actor, hold, reason=request.POST.get("reason", ""), expected_version=_version(request))
    except (InputError, AccessDenied, ConflictError) as exc:
        _refused(request, exc)
    else:
        messages.success(request, _("Lifted."))
    if hold.participant_pk and request.POST.get("next") == "participant":
        return redirect("quality_participant", pk=hold.participant_pk)
    return redirect("quality_locks")


# --- missing forms and the batch run --------------------------------------------------------------------


@requires(QUALITY_VIEW)
@require_GET
def missing(request: HttpRequest) -> HttpResponse:
    site = request.GET.get("site", "")[:32]
    allowed = permissions.site_codes_with(request.user, QUALITY_VIEW)
    gaps = [g for g in missing_forms(today=timezone.localdate())
            if (permissions.ALL_SITES in allowed or g.site in allowed) and (not site or g.site == site)]
    kind = request.GET.get("kind", "")
    if kind in ("missing", "overdue", "incomplete"):
        gaps = [g for g in gaps if g.kind == kind]
    else:
        kind = ""
    return render(request, "quality/missing.html", {
        "gaps": gaps[:500], "total": len(gaps), "site": site, "kind": kind,
        "sites": _sites_with(request.user, QUALITY_VIEW),
        "may_run": permissions.has_perm(request.user, CHECKS_RUN, ""),
    })


@requires(CHECKS_RUN)
@require_POST
def checks_run(request: HttpRequest) -> HttpResponse:
    from celltrial.capture.quality.tasks import run_checks_task

    codes = sorted(permissions.site_codes_with(request.user, CHECKS_RUN))
    run_checks_task(None if permissions.ALL_SITES in codes else codes)
    messages.success(request, _("The edit checks are running; queries appear as they are raised."))
    return redirect("quality_queries")
