"""Escalation pages: the cohort board, the recommendation, SRC packets (page and PDF), decisions and their
signatures, the escalation history and its figure. Writes go through escalation.services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from celltrial.accounts import permissions
from celltrial.accounts import signatures as esign
from celltrial.accounts.decorators import requires
from celltrial.core.errors import AccessDenied, ValidationFailed
from celltrial.core.forms import show_errors
from celltrial.escalation import documents, figures, forms, services
from celltrial.escalation.messages import packet_reason
from celltrial.escalation.models import Decision, Packet
from celltrial.escalation.permissions import DECISION_SIGN, ESCALATION_VIEW, PACKET_FREEZE


def _has(request: HttpRequest, permission: str) -> bool:
    return permissions.has_perm(request.user, permission, "")


def _guard(request: HttpRequest, permission: str) -> None:
    if not _has(request, permission):
        raise PermissionDenied(permission)


def _protocol() -> Any:
    try:
        return services.protocol()[1]
    except ValidationFailed as exc:
        raise Http404(str(exc)) from exc


def _packet(pk: int) -> Packet:
    return get_object_or_404(Packet.objects.select_related("cohort", "frozen_by"), pk=pk)


@requires(ESCALATION_VIEW)
def board(request: HttpRequest) -> HttpResponse:
    p = _protocol()
    views = services.board(sites=services.reader_sites(request.user, ESCALATION_VIEW))
    current = views[-1]
    refusal = current.next_allowed
    return render(request, "escalation/board.html", {
        "protocol": p, "views": views, "current": current, "rec": services.recommendation(),
        "state_labels": services.STATE_LABELS, "window_days": p.dlt.window_days, "sentinel": p.sentinel,
        "next_dosing": services.refusal_text(refusal, current.cohort, p) if refusal else None,
        "why_closed": services.why_closed(p), "can_freeze": _has(request, PACKET_FREEZE),
        "freeze_form": forms.FreezeForm(), "quorum": services.quorum(p), "zh": _zh(),
    })


def _zh() -> bool:
    return (translation.get_language() or "en").lower().startswith("zh")


@requires(ESCALATION_VIEW)
def recommendation(request: HttpRequest) -> HttpResponse:
    _protocol()
    return render(request, "escalation/recommendation.html", {"rec": services.recommendation(), "zh": _zh(),
                                                               "choice_labels": services.CHOICE_LABELS})


@require_POST
@requires(PACKET_FREEZE)
def freeze(request: HttpRequest) -> HttpResponse:
    _guard(request, PACKET_FREEZE)
    form = forms.FreezeForm(request.POST)
    if form.is_valid():
        try:
            packet = services.freeze_packet(permissions.actor_for(request.user, PACKET_FREEZE, ""), kind=form.cleaned_data["kind"])
        except ValidationFailed as exc:
            messages.error(request, " ".join(" ".join(str(m) for m in msgs) for msgs in exc.errors.values()))
        except AccessDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        else:
            messages.success(request, _("SRC packet frozen."))
            return redirect("escalation_packet", pk=packet.pk)
    else:
        messages.error(request, _("Choose a sentinel review or a dose-escalation review."))
    return redirect("escalation")


def _packet_page(request: HttpRequest, packet: Packet, *, decision_form: Any = None, sign_form: Any = None,
                 status: int = 200) -> HttpResponse:
    decision = Decision.objects.filter(packet=packet).select_related("proposed_by").first()
    choices = services.SENTINEL_CHOICES if packet.kind == Packet.SENTINEL else services.COHORT_CHOICES
    labelled = [(c, _(services.CHOICE_LABELS[c])) for c in choices]
    signatures = []
    if decision is not None:
        signatures = [{"sig": s, "current": esign.is_current(s, decision)} for s in esign.signatures_for(decision)]
    data = packet.snapshot["data"]
    return render(request, "escalation/packet.html", {
        "packet": packet, "data": data, "meta": packet.snapshot["meta"], "changed": services.changed_since(packet),
        "reason": packet_reason(packet.snapshot),
        "decision": decision, "signatures": signatures, "can_sign": _has(request, DECISION_SIGN),
        "decision_form": decision_form or forms.DecisionForm(choices=labelled, initial={
            "choice": data["recommendation"].get("choice") if packet.kind == Packet.COHORT else "proceed"}),
        "sign_form": sign_form or forms.SignForm(), "choice_labels": services.CHOICE_LABELS, "zh": _zh(),
        "signed_count": len([s for s in signatures if s["current"]]),
        "decision_label": _(services.CHOICE_LABELS.get(decision.choice, decision.choice)) if decision else "",
    }, status=status)


@requires(ESCALATION_VIEW)
def packet(request: HttpRequest, pk: int) -> HttpResponse:
    _guard(request, ESCALATION_VIEW)  # a packet lists every site's subjects: trial-wide readers only
    return _packet_page(request, _packet(pk))


@requires(ESCALATION_VIEW)
def packet_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    _guard(request, ESCALATION_VIEW)  # a packet lists every site's subjects: trial-wide readers only
    found = _packet(pk)
    language = request.GET.get("lang") or translation.get_language() or "en"
    pdf = documents.packet_pdf(found, language="zh" if language.lower().startswith("zh") else "en")
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="SRC-packet-{found.pk}.pdf"'
    return response


@require_POST
@requires(DECISION_SIGN)
def propose(request: HttpRequest, pk: int) -> HttpResponse:
    found = _packet(pk)
    _guard(request, DECISION_SIGN)
    choices = services.SENTINEL_CHOICES if found.kind == Packet.SENTINEL else services.COHORT_CHOICES
    form = forms.DecisionForm(request.POST, choices=[(c, _(services.CHOICE_LABELS[c])) for c in choices])
    if form.is_valid():
        try:
            services.propose_decision(permissions.actor_for(request.user, DECISION_SIGN, ""), found, choice=form.cleaned_data["choice"],
                                      rationale=form.cleaned_data["rationale"],
                                      dose_level=form.cleaned_data["dose_level"] or None,
                                      next_capacity=form.cleaned_data["next_capacity"])
        except ValidationFailed as exc:
            show_errors(form, exc)
        except AccessDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        else:
            messages.success(request, _("Decision proposed; each SRC member now signs it."))
            return redirect("escalation_packet", pk=found.pk)
    return _packet_page(request, found, decision_form=form, status=400)


@require_POST
@requires(DECISION_SIGN)
def sign(request: HttpRequest, pk: int) -> HttpResponse:
    decision = get_object_or_404(Decision.objects.select_related("packet__cohort"), pk=pk)
    _guard(request, DECISION_SIGN)
    form = forms.SignForm(request.POST)
    if form.is_valid():
        try:
            services.sign_decision(permissions.actor_for(request.user, DECISION_SIGN, ""), decision, password=form.cleaned_data["password"],
                                   comment=form.cleaned_data["comment"])
        except ValidationFailed as exc:
            show_errors(form, exc)
        except AccessDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        else:
            decision.refresh_from_db()
            if decision.status == Decision.EFFECTIVE:
                messages.success(request, _("Decision signed by the quorum: it is in effect."))
            else:
                messages.success(request, _("Signed. The decision takes effect when the quorum has signed."))
            return redirect("escalation_packet", pk=decision.packet_id)
    return _packet_page(request, decision.packet, sign_form=form, status=400)


@requires(ESCALATION_VIEW)
def history(request: HttpRequest) -> HttpResponse:
    _protocol()
    rows = services.history(sites=services.reader_sites(request.user, ESCALATION_VIEW))
    return render(request, "escalation/history.html", {"rows": rows})


@requires(ESCALATION_VIEW)
def history_png(request: HttpRequest) -> HttpResponse:
    p = _protocol()
    rows = services.history(sites=services.reader_sites(request.user, ESCALATION_VIEW))
    png = figures.history_figure(rows, [lv.code for lv in p.dose_levels], {
        "x": _("participant, in dosing order"), "y": _("dose level"), "no_dlt": _("no DLT"), "dlt": _("DLT"),
        "pending": _("window open / pending")})
    response = HttpResponse(png, content_type="image/png")
    if request.GET.get("download"):
        response["Content-Disposition"] = 'attachment; filename="escalation-history.png"'
    return response
