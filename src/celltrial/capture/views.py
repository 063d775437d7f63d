"""Capture pages: the visit grid of a participant, a form page (draft, complete, reason, conflict),
the live evaluation of branching and calc fields, files, and the guardian's one-time questionnaire.
Writes go through capture.services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone, translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from celltrial.accounts import permissions
from celltrial.accounts.decorators import requires
from celltrial.capture import downloads, outcomes, pages, participant_ref, services
from celltrial.capture.engine.values import Outcome
from celltrial.capture.models import FormRecord, FormStatus, GuardianLink
from celltrial.capture.permissions import CAPTURE_VIEW, FORM_ENTER, GUARDIAN_LINK
from celltrial.capture.quality import gate
from celltrial.core.errors import ConflictError, InputError, ValidationFailed
from celltrial.participants.interface import entry_refusal, subject_label

# Workflow records other rooms own, shown in the visit grid as built-in forms that open their pages:
# form name -> (URL names to try, in order). A name that does not exist yet falls back to the next.
BUILT_IN: dict[str, tuple[str, ...]] = {
    "consent": ("participant_detail",),
    "adverse_events": ("safety_participant", "participant_detail"),
    "dlt_assessment": ("safety_participant", "escalation", "participant_detail"),
    "labs": ("labs_participant", "participant_screening"),
}
GUARDIAN_RATE = 30  # requests per token and per address, per 10 minutes


def _lang() -> str:
    return "zh" if (get_language() or "en").lower().startswith("zh") else "en"


def _link(names: tuple[str, ...], participant: Any) -> str:
    for name in names:
        for kwargs in ({"pk": participant.pk}, {"participant_id": participant.pk}, {}):
            try:
                return reverse(name, kwargs=kwargs) if kwargs else reverse(name)
            except NoReverseMatch:
                continue
    return reverse("participant_detail", kwargs={"pk": participant.pk})


def _protocol() -> Any:
    _n, p = services.protocol()
    return p


# --- index and the visit grid ---------------------------------------------------------------------------


@requires(CAPTURE_VIEW)
@require_GET
def index(request: HttpRequest) -> HttpResponse:
    shown = participant_ref.visible(request.user, CAPTURE_VIEW).order_by("site__code", "screening_number")[:500]
    counts: dict[int, dict[str, int]] = {}
    for pid, status in FormRecord.objects.filter(participant__in=[p.pk for p in shown]).values_list(
            "participant_id", "status"):
        counts.setdefault(pid, {"draft": 0, "complete": 0})[status] += 1
    arrived = permissions.scope(GuardianLink.objects.filter(submitted_at__isnull=False), request.user,
                                CAPTURE_VIEW).order_by("-submitted_at")[:20]
    return render(request, "capture/index.html", {
        "rows": [{"p": p, "label": subject_label(p), "counts": counts.get(p.pk, {"draft": 0, "complete": 0})}
                 for p in shown],
        "arrived": arrived})


def _grid(participant: Any, p: Any, lang: str) -> list[dict[str, Any]]:
    records: dict[tuple[str, str], list[FormRecord]] = {}
    for r in FormRecord.objects.filter(participant=participant).order_by("repeat"):
        records.setdefault((r.visit, r.form), []).append(r)
    links: dict[tuple[str, str], GuardianLink] = {}
    for link in GuardianLink.objects.filter(participant=participant).order_by("created_at"):
        links[(link.visit, link.form)] = link
    rows = []
    for visit in p.visits:
        forms_ = []
        for name in visit.forms:
            form = p.form(name)
            built_in = BUILT_IN.get(name)
            if name == "labs" and visit.code == p.visits[0].code:
                built_in = ("participant_screening",)
            instances = records.get((visit.code, name), [])
            forms_.append({
                "name": name, "label": form.label.get(lang), "repeating": form.repeating,
                "built_in": _link(built_in, participant) if built_in else "",
                "instances": instances, "next_repeat": (max((r.repeat for r in instances), default=0) + 1),
                "guardian": form.instrument in services.GUARDIAN_INSTRUMENTS,
                "link": links.get((visit.code, name)),
            })
        if visit.code == p.visits[0].code:
            forms_.append({"name": "eligibility", "label": _("Eligibility"), "repeating": False,
                           "built_in": _link(("participant_screening",), participant), "instances": []})
        if visit.day == 0:
            forms_.append({"name": "dosing", "label": _("Infusion (dosing)"), "repeating": False,
                           "built_in": _link(("participant_detail",), participant), "instances": []})
        rows.append({"visit": visit, "label": visit.label.get(lang), "forms": forms_})
    return rows


@requires(CAPTURE_VIEW)
@require_GET
def participant(request: HttpRequest, pk: int) -> HttpResponse:
    child = participant_ref.get_visible(request.user, CAPTURE_VIEW, pk)
    p = _protocol()
    lang = _lang()
    summaries = outcomes.summaries([child])
    return render(request, "capture/participant.html", {
        "participant": child, "label": subject_label(child), "grid": _grid(child, p, lang),
        "summaries": summaries, "responders": [r for r in summaries if r.responder_status],
        "can_enter": permissions.has_perm(request.user, FORM_ENTER, child.site.code),
        "can_link": permissions.has_perm(request.user, GUARDIAN_LINK, child.site.code),
        "issued": request.session.pop("capture_issued_link", None),
    })


# --- a form page -------------------------------------------------------------------------------------------


def _form_page(request: HttpRequest, child: Any, visit: str, form: str, repeat: int, *, values: dict[str, Any],
               errors: dict[str, list[str]] | None = None, status: int = 200, conflict: Any = None,
               outcome: Outcome | None = None) -> HttpResponse:
    p = _protocol()
    lang = _lang()
    try:
        visit_def, form_def = services.form_definition(p, visit, form)
    except ValidationFailed:
        raise Http404(form) from None
    existing = services.record(child, visit, form, repeat)
    if outcome is None:
        outcome = services.evaluate(child, visit, form, values, repeat=repeat)
    errors = errors or {}
    locked = gate.entry_lock(child, visit, form)
    return render(request, "capture/form.html", {
        "participant": child, "label": subject_label(child), "visit": visit_def, "visit_label": visit_def.label.get(lang),
        "form": form_def, "form_label": form_def.label.get(lang), "repeat": repeat, "record": existing,
        "blocks": pages.items(form_def, values, outcome, errors, lang),
        "general_errors": errors.get("__all__", []) + [e for k, v in errors.items()
                                                       if k not in {f.name for f in form_def.fields} | {"__all__"}
                                                       for e in v],
        "missing_choices": pages.missing_choices(),
        "can_enter": permissions.has_perm(request.user, FORM_ENTER, child.site.code) and not locked,
        "locked": locked,
        "needs_reason": bool(existing and existing.completed_at),
        "refusal": entry_refusal(child, visit), "conflict": conflict,
        "version": existing.version if existing else 0,
        "scores": existing.scores if existing else {},
        # The stored files of the saved record can be opened from the page (the guardian's page has none).
        "file_links": existing is not None,
    }, status=status)


def _conflict_rows(form_def: Any, exc: ConflictError, lang: str) -> list[dict[str, Any]]:
    saved_now = (exc.current_values or {}).get("values") or {}
    mine = (exc.attempted_values or {}).get("values") or {}
    rows = []
    for f in form_def.fields:
        theirs, yours = saved_now.get(f.name, ""), mine.get(f.name, "")
        if theirs != yours:
            rows.append({"name": f.name, "label": f.label.get(lang), "theirs": theirs, "yours": yours})
    return rows


@requires(CAPTURE_VIEW)
@require_http_methods(["GET", "POST"])
def form_page(request: HttpRequest, pk: int, visit: str, form: str, repeat: int = 1) -> HttpResponse:
    child = participant_ref.get_visible(request.user, CAPTURE_VIEW, pk)
    p = _protocol()
    try:
        _visit_def, form_def = services.form_definition(p, visit, form)
    except ValidationFailed:
        raise Http404(form) from None
    existing = services.record(child, visit, form, repeat)
    if request.method == "GET":
        from celltrial.capture.engine.values import initial_values

        values = dict(existing.values) if existing else initial_values(
            form_def, today=services.site_today(child.site.code), now=services.site_now(child.site.code))
        return _form_page(request, child, visit, form, repeat, values=values)
    actor = permissions.actor_for(request.user, FORM_ENTER, child.site.code)
    typed = pages.typed_for_display(form_def, request.POST)
    complete = request.POST.get("action") != "draft"
    try:
        version = int(request.POST.get("version") or 0) or None
    except ValueError:
        version = None
    try:
        raw = pages.posted_values(form_def, request.POST, request.FILES, existing.values if existing else None)
        saved = services.save_form(actor, child, visit=visit, form=form, values=raw, expected_version=version,
                                   reason=request.POST.get("reason", ""), repeat=repeat, complete=complete)
    except ConflictError as exc:
        return _form_page(request, child, visit, form, repeat, values=typed, status=409,
                          conflict={"message": str(exc), "rows": _conflict_rows(form_def, exc, _lang()),
                                    "version": exc.current_version})
    except ValidationFailed as exc:
        errors = {k: [str(m) for m in v] for k, v in exc.errors.items()} if exc.errors else {
            "__all__": [str(exc)]}
        return _form_page(request, child, visit, form, repeat, values=typed, errors=errors, status=400)
    if saved.status == FormStatus.COMPLETE:
        total = saved.scores.get("total") if saved.scores else None
        text = _("Completed %(form)s.") % {"form": form_def.label.get(_lang())}
        if total is not None:
            text += " " + _("Total score: %(total)s.") % {"total": total}
        messages.success(request, text)
    else:
        messages.info(request, _("Draft saved: %(form)s.") % {"form": form_def.label.get(_lang())})
    return redirect("capture_form", pk=child.pk, visit=visit, form=form, repeat=repeat)


@requires(CAPTURE_VIEW)
@require_POST
def evaluate(request: HttpRequest, pk: int, visit: str, form: str, repeat: int = 1) -> HttpResponse:
    """What branching hides and what calc fields show for the values typed so far (the page's script)."""
    child = participant_ref.get_visible(request.user, CAPTURE_VIEW, pk)
    return _evaluation(child, visit, form, repeat, request.POST, survey=False)


def _evaluation(child: Any, visit: str, form: str, repeat: int, post: Any, *, survey: bool) -> HttpResponse:
    p = _protocol()
    try:
        _visit_def, form_def = services.form_definition(p, visit, form)
    except ValidationFailed:
        raise Http404(form) from None
    typed = pages.typed_for_display(form_def, post)
    typed = {k: v for k, v in typed.items() if not isinstance(v, dict)}
    outcome = services.evaluate(child, visit, form, typed, repeat=repeat, survey=survey)
    computed = {f.name: outcome.values.get(f.name, "") for f in form_def.fields
                if f.type == "calc" or outcome.tags[f.name].calctext is not None}
    return JsonResponse({"hidden": sorted(outcome.hidden), "values": computed})


# --- stored files -------------------------------------------------------------------------------------------


@requires(CAPTURE_VIEW)
@require_GET
def stored_file(request: HttpRequest, pk: int, visit: str, form: str, repeat: int, field: str) -> HttpResponse:
    """The stored bytes of one file or signature field of one form record (checked against their SHA-256;
    the read is audited). Another site's participant is not found, as on every capture page."""
    child = participant_ref.get_visible(request.user, CAPTURE_VIEW, pk)
    actor = permissions.actor_for(request.user, CAPTURE_VIEW, child.site.code)
    try:
        found = downloads.read_file(actor, child, visit=visit, form=form, repeat=repeat, field=field)
    except downloads.FileMissing:
        raise Http404(field) from None
    except downloads.StorageFault as exc:
        return render(request, "capture/file_refused.html", {
            "participant": child, "label": subject_label(child), "message": str(exc),
            "back": reverse("capture_form", kwargs={"pk": child.pk, "visit": visit, "form": form, "repeat": repeat})},
            status=409)
    return downloads.file_response(found)


# --- guardian links ------------------------------------------------------------------------------------------


@requires(GUARDIAN_LINK)
@require_POST
def guardian_link(request: HttpRequest, pk: int, visit: str, form: str) -> HttpResponse:
    child = participant_ref.get_visible(request.user, CAPTURE_VIEW, pk)
    actor = permissions.actor_for(request.user, GUARDIAN_LINK, child.site.code)
    try:
        issued = services.issue_guardian_link(actor, child, visit=visit, form=form)
    except InputError as exc:
        messages.error(request, str(exc))
        return redirect("capture_participant", pk=child.pk)
    url = request.build_absolute_uri(guardian_path(issued.token))
    request.session["capture_issued_link"] = {"url": url, "form": form, "visit": visit,
                                              "expires": timezone.localtime(issued.link.expires_at).strftime(
                                                  "%Y-%m-%d %H:%M")}
    messages.success(request, _("A one-time link was made. Give it to the guardian; it works once."))
    return redirect("capture_participant", pk=child.pk)


def guardian_path(token: str) -> str:
    """The address of the guardian's questionnaire for a link token."""
    return f"{reverse('capture')}q/{token}/"


def _throttled(request: HttpRequest, token: str) -> bool:
    address = request.META.get("REMOTE_ADDR", "")
    refused = False
    for key in (f"capture:guardian:t:{token[-32:]}", f"capture:guardian:a:{address}"):
        count = cache.get_or_set(key, 0, 600) or 0
        if count >= GUARDIAN_RATE:
            refused = True
        try:
            cache.incr(key)
        except ValueError:
            cache.set(key, 1, 600)
    return refused


def _guardian_language(request: HttpRequest) -> None:
    # Chinese by default: a guardian's page is in Chinese unless they chose English on it.
    chosen = request.GET.get("lang") or request.POST.get("lang") or ""
    translation.activate("en" if chosen == "en" else "zh-hans")
    request.LANGUAGE_CODE = translation.get_language()


@csrf_protect
@require_http_methods(["GET", "POST"])
def guardian_fill(request: HttpRequest, token: str) -> HttpResponse:
    """The guardian's questionnaire (no account): the one-time link is the permission."""
    _guardian_language(request)
    if _throttled(request, token):
        return render(request, "capture/guardian_refused.html", {"message": _(
            "Too many attempts. Wait ten minutes and try again.")}, status=429)
    try:
        link = services.guardian_open(token) if request.method == "GET" else services.link_for(token)
    except InputError as exc:
        return render(request, "capture/guardian_refused.html", {"message": str(exc)}, status=410)
    child = participant_ref.get(link.participant_id)
    p = _protocol()
    _visit_def, form_def = services.form_definition(p, link.visit, link.form)
    existing = services.record(child, link.visit, link.form)
    values: dict[str, Any] = dict(existing.values) if existing else {}
    errors: dict[str, list[str]] = {}
    status = 200
    if request.method == "POST":
        submit = request.POST.get("action") == "submit"
        values = pages.typed_for_display(form_def, request.POST)
        try:
            services.guardian_save(token, values, submit=submit)
        except ValidationFailed as exc:
            errors = {k: [str(m) for m in v] for k, v in exc.errors.items()} if exc.errors else {
                "__all__": [str(exc)]}
            status = 400
        except InputError as exc:
            errors = {"__all__": [str(exc)]}
            status = 400
        else:
            if submit:
                return render(request, "capture/guardian_done.html", {"form_label": form_def.label.get(_lang())})
            messages.success(request, _("Your answers so far are saved. You can come back to this link later."))
            return redirect(request.path + ("?lang=en" if _lang() == "en" else ""))
    outcome = services.evaluate(child, link.visit, link.form, values, survey=True)
    lang = _lang()
    return render(request, "capture/guardian.html", {
        "form_label": form_def.label.get(lang), "blocks": pages.items(form_def, values, outcome, errors, lang,
                                                                      survey=True),
        "general_errors": errors.get("__all__", []), "token": token, "lang": lang,
        "expires": link.expires_at, "missing_choices": [],
    }, status=status)


@csrf_protect
@require_POST
def guardian_evaluate(request: HttpRequest, token: str) -> HttpResponse:
    _guardian_language(request)
    if _throttled(request, token):
        return JsonResponse({"error": "rate"}, status=429)
    try:
        link = services.link_for(token)
    except InputError:
        return JsonResponse({"error": "link"}, status=410)
    child = participant_ref.get(link.participant_id)
    return _evaluation(child, link.visit, link.form, 1, request.POST, survey=True)
