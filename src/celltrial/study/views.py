"""Study pages: the protocol, the sites, a site's signatures and edit. Writes go through study.services."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from celltrial.accounts import permissions
from celltrial.accounts.decorators import requires
from celltrial.accounts.signatures import (
    SignatureRefused,
    is_current,
    meanings_for,
    signatures_by_object,
    signatures_for,
)
from celltrial.core.errors import AccessDenied, ConflictError, ValidationFailed
from celltrial.core.forms import show_errors
from celltrial.study import services
from celltrial.study.forms import SignForm, SiteEditForm
from celltrial.study.models import ProtocolVersion, Site
from celltrial.study.permissions import PROTOCOL_VIEW, SITE_APPROVE, SITE_EDIT, SITE_VIEW


@requires(SITE_VIEW)
def sites(request: HttpRequest) -> HttpResponse:
    visible = list(permissions.scope(Site.objects.all(), request.user, SITE_VIEW))
    signed = signatures_by_object(visible)
    rows = [{"site": s, "approved": any(is_current(sig, s) for sig in signed.get(str(s.pk), []))} for s in visible]
    return render(request, "study/sites.html", {"rows": rows})


def _visible_site(request: HttpRequest, code: str) -> Site:
    return get_object_or_404(permissions.scope(Site.objects.all(), request.user, SITE_VIEW), code=code)


def _edit_form(site: Site) -> SiteEditForm:
    return SiteEditForm(initial={"principal_investigator": site.principal_investigator, "name_en": site.name_en,
                                 "name_zh": site.name_zh, "timezone": site.timezone, "version": site.version})


def _site_page(request: HttpRequest, site: Site, *, status: int = 200, **extra: Any) -> HttpResponse:
    sigs = [{"sig": s, "current": is_current(s, site)} for s in signatures_for(site)]
    ctx = {
        "site": site,
        "signatures": sigs,
        "current_signatures": [s["sig"] for s in sigs if s["current"]],
        "can_sign": permissions.has_perm(request.user, SITE_APPROVE, site.code),
        "can_edit": permissions.has_perm(request.user, SITE_EDIT, site.code),
        "sign_form": extra.pop("sign_form", None) or SignForm(meanings=meanings_for(site)),
        "edit_form": extra.pop("edit_form", None) or _edit_form(site),
        **extra,
    }
    return render(request, "study/site_detail.html", ctx, status=status)


@requires(SITE_VIEW)
def site_detail(request: HttpRequest, code: str) -> HttpResponse:
    return _site_page(request, _visible_site(request, code))


@require_POST
@requires(SITE_APPROVE)
def site_sign(request: HttpRequest, code: str) -> HttpResponse:
    site = _visible_site(request, code)
    if not permissions.has_perm(request.user, SITE_APPROVE, site.code):
        raise PermissionDenied
    form = SignForm(request.POST, meanings=meanings_for(site))
    if form.is_valid():
        actor = permissions.actor_for(request.user, SITE_APPROVE, site.code)
        try:
            services.sign_site_activation(actor, site, password=form.cleaned_data["password"],
                                          meaning=form.cleaned_data["meaning"], comment=form.cleaned_data["comment"])
        except SignatureRefused as exc:
            show_errors(form, exc)
        else:
            messages.success(request, _("Signed."))
            return redirect("site_detail", code=site.code)
    return _site_page(request, site, sign_form=form, status=400)


@require_POST
@requires(SITE_EDIT)
def site_edit(request: HttpRequest, code: str) -> HttpResponse:
    site = _visible_site(request, code)
    if not permissions.has_perm(request.user, SITE_EDIT, site.code):
        raise PermissionDenied
    form = SiteEditForm(request.POST)
    if not form.is_valid():
        return _site_page(request, site, edit_form=form, status=400)
    data = dict(form.cleaned_data)
    reason, version, confirmed = data.pop("reason"), data.pop("version"), data.pop("confirm")
    actor = permissions.actor_for(request.user, SITE_EDIT, site.code)
    try:
        if version == site.version and not confirmed:
            preview = services.edit_site.preview(actor, site, data)
            if not preview.changes:
                messages.info(request, _("Nothing changed, so nothing was saved."))
                return redirect("site_detail", code=site.code)
            if preview.would_void:
                # Say which signatures the save will void, before it saves; the user confirms.
                confirm = SiteEditForm({**request.POST.dict(), "confirm": "1"})
                confirm.is_valid()
                return _site_page(request, site, edit_form=confirm, preview=preview, status=200)
        saved = services.edit_site(actor, site, data, expected_version=version, reason=reason)
    except ConflictError as exc:
        rows = [(k, exc.current_values.get(k), exc.attempted_values.get(k)) for k in data]
        return _site_page(request, site, edit_form=form, conflict=str(exc), conflict_rows=rows, status=409)
    except ValidationFailed as exc:
        show_errors(form, exc)
        return _site_page(request, site, edit_form=form, status=400)
    except AccessDenied as exc:
        raise PermissionDenied(str(exc)) from exc
    if not saved.changed:
        messages.info(request, _("Nothing changed, so nothing was saved."))
    else:
        messages.success(request, _("Saved."))
        for signature in saved.voided:
            messages.warning(request, _("The signature of %(name)s (%(meaning)s) is now void.") % {
                "name": signature.signer_name, "meaning": signature.meaning_label()})
    return redirect("site_detail", code=site.code)


@requires(PROTOCOL_VIEW)
def protocol(request: HttpRequest, number: int | None = None) -> HttpResponse:
    from celltrial.study.protocol_page import protocol_page

    versions = ProtocolVersion.objects.order_by("-number")
    version = versions.first() if number is None else get_object_or_404(versions, number=number)
    return render(request, "study/protocol.html", {
        "version": version,
        "versions": versions.only("number", "version_label", "created_at", "content_hash", "protocol_id"),
        "page": protocol_page(version) if version else None,
    })
