"""Web views. They read through scoped querysets and write only through services."""

from __future__ import annotations

import json
import zoneinfo
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from celltrial.accounts import permissions
from celltrial.accounts.roles import AUDIT_VIEW, PROTOCOL_VIEW, SITE_APPROVE, SITE_EDIT, SITE_VIEW
from celltrial.accounts.signatures import (
    SignatureRefused,
    is_current,
    sign,
    signatures_by_object,
    signatures_for,
)
from celltrial.audit.models import AuditEntry
from celltrial.audit.services import ConflictError, ValidationFailed, update
from celltrial.study.models import ProtocolVersion, Site
from celltrial.web.forms import AuditFilterForm, LoginForm, SignForm, SiteEditForm
from celltrial.web.home import role_panels


def requires(permission: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Login required, then deny unless the user holds ``permission`` at some site."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not permissions.has_perm(request.user, permission):
                return render(request, "web/forbidden.html", status=403)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


class LoginView(auth_views.LoginView):
    form_class = LoginForm
    redirect_authenticated_user = True

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        ctx = super().get_context_data(**kwargs)
        ctx["timed_out"] = self.request.GET.get("timeout") == "1"
        return ctx


def site_zone(site_code: str | None, zones: dict[str, str] | None = None) -> zoneinfo.ZoneInfo:
    name = (zones or {}).get(site_code or "") or settings.CELLTRIAL_DEFAULT_SITE_TZ
    return zoneinfo.ZoneInfo(name)


@login_required
def home(request: HttpRequest) -> HttpResponse:
    protocol = ProtocolVersion.objects.order_by("-number").first()
    return render(request, "web/home.html", {"protocol": protocol, "role_panels": role_panels(request.user)})


@requires(AUDIT_VIEW)
def audit(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET or None)
    entries = permissions.scope(AuditEntry.objects.all(), request.user, AUDIT_VIEW, site_field="site_code")
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        if data["q"]:
            entries = entries.filter(object_repr__icontains=data["q"]) | entries.filter(reason__icontains=data["q"])
        if data["username"]:
            entries = entries.filter(username__icontains=data["username"])
        if data["action"]:
            entries = entries.filter(action=data["action"])
        if data["object_type"]:
            entries = entries.filter(object_type__icontains=data["object_type"])
        if data["site"]:
            entries = entries.filter(site_code__iexact=data["site"])
        if data["date_from"]:
            entries = entries.filter(occurred_at__date__gte=data["date_from"])
        if data["date_to"]:
            entries = entries.filter(occurred_at__date__lte=data["date_to"])
    page = Paginator(entries.order_by("-occurred_at", "-id"), 50).get_page(request.GET.get("page"))
    zones = dict(Site.objects.values_list("code", "timezone"))
    for e in page:
        e.local_tz = site_zone(e.site_code, zones).key
        e.change_rows = [
            (name, *(_shown(v) for v in (pair if isinstance(pair, list) and len(pair) == 2 else [None, pair])))
            for name, pair in (e.changes or {}).items()
        ]
    query = urlencode({k: v for k, v in request.GET.items() if k != "page" and v})
    return render(request, "web/audit.html", {"form": form, "page": page, "querystring": query})


SHORT_VALUE = 160


def _shown(value: Any) -> dict[str, Any]:
    """A change value as text; long ones (a whole protocol) are folded so the trail stays readable."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    if value is None:
        text = "∅"
    return {"text": text, "short": text[:SHORT_VALUE] + "…" if len(text) > SHORT_VALUE else None}


@requires(SITE_VIEW)
def sites(request: HttpRequest) -> HttpResponse:
    visible = list(permissions.scope(Site.objects.all(), request.user, SITE_VIEW, site_field="code"))
    signed = signatures_by_object(visible)
    rows = [{"site": s, "approved": any(is_current(sig, s) for sig in signed.get(str(s.pk), []))} for s in visible]
    return render(request, "web/sites.html", {"rows": rows})


def _visible_site(request: HttpRequest, code: str) -> Site:
    return get_object_or_404(permissions.scope(Site.objects.all(), request.user, SITE_VIEW, site_field="code"), code=code)


def _site_page(request: HttpRequest, site: Site, **extra: Any) -> HttpResponse:
    sigs = [{"sig": s, "current": is_current(s, site)} for s in signatures_for(site)]
    ctx = {
        "site": site,
        "signatures": sigs,
        "can_sign": permissions.has_perm(request.user, SITE_APPROVE, site.code),
        "can_edit": permissions.has_perm(request.user, SITE_EDIT, site.code),
        "sign_form": extra.pop("sign_form", None) or SignForm(),
        "edit_form": extra.pop("edit_form", None) or SiteEditForm(initial={
            "principal_investigator": site.principal_investigator, "name_en": site.name_en,
            "name_zh": site.name_zh, "timezone": site.timezone, "version": site.version}),
        **extra,
    }
    return render(request, "web/site_detail.html", ctx, status=400 if extra.get("invalid") else 200)


@requires(SITE_VIEW)
def site_detail(request: HttpRequest, code: str) -> HttpResponse:
    return _site_page(request, _visible_site(request, code))


def _show_errors(form: Any, exc: ValidationFailed) -> None:
    """Put a service's field errors on the form, so the page shows them beside what the user typed."""
    for field, errs in exc.errors.items():
        form.add_error(field if field in form.fields else None, errs)


@require_POST
@requires(SITE_APPROVE)
def site_sign(request: HttpRequest, code: str) -> HttpResponse:
    site = _visible_site(request, code)
    if not permissions.has_perm(request.user, SITE_APPROVE, site.code):
        raise PermissionDenied
    form = SignForm(request.POST)
    if form.is_valid():
        actor = permissions.actor_for(request.user, SITE_APPROVE, site.code)
        try:
            sign(actor, site, password=form.cleaned_data["password"], meaning=form.cleaned_data["meaning"],
                 comment=form.cleaned_data["comment"])
        except SignatureRefused as exc:
            _show_errors(form, exc)
        else:
            messages.success(request, _("Signed."))
            return redirect("site_detail", code=site.code)
    return _site_page(request, site, sign_form=form, invalid=True)


@require_POST
@requires(SITE_EDIT)
def site_edit(request: HttpRequest, code: str) -> HttpResponse:
    site = _visible_site(request, code)
    if not permissions.has_perm(request.user, SITE_EDIT, site.code):
        raise PermissionDenied
    form = SiteEditForm(request.POST)
    if form.is_valid():
        data = dict(form.cleaned_data)
        reason, version = data.pop("reason"), data.pop("version")
        actor = permissions.actor_for(request.user, SITE_EDIT, site.code)
        try:
            update(actor, site, data, expected_version=version, reason=reason)
        except ConflictError as exc:
            rows = [(k, exc.current_values.get(k), exc.attempted_values.get(k)) for k in data]
            return _site_page(request, site, edit_form=form, conflict=str(exc), conflict_rows=rows, invalid=True)
        except ValidationFailed as exc:
            _show_errors(form, exc)
        else:
            messages.success(request, _("Saved."))
            return redirect("site_detail", code=site.code)
    return _site_page(request, site, edit_form=form, invalid=True)


@requires(PROTOCOL_VIEW)
def protocol(request: HttpRequest, number: int | None = None) -> HttpResponse:
    from celltrial.web.protocol_view import protocol_page

    versions = ProtocolVersion.objects.order_by("-number")
    version = versions.first() if number is None else get_object_or_404(versions, number=number)
    return render(request, "web/protocol.html", {
        "version": version,
        "versions": versions.only("number", "version_label", "created_at", "content_hash", "protocol_id"),
        "page": protocol_page(version) if version else None,
    })


def forbidden(request: HttpRequest, exception: Exception | None = None) -> HttpResponse:
    return render(request, "web/forbidden.html", status=403)
