"""The audit-trail viewer: scoped to the reader's sites, filtered, in the reader's language."""

from __future__ import annotations

import json
import zoneinfo
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import Paginator
from django.db.models import Q, TextField
from django.db.models.functions import Cast
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from celltrial.accounts import permissions
from celltrial.accounts.decorators import requires
from celltrial.audit.models import AuditEntry
from celltrial.inspection import vocabulary
from celltrial.inspection.forms import AuditFilterForm
from celltrial.inspection.permissions import AUDIT_VIEW

SHORT_VALUE = 160


def site_zone(site_code: str | None, zones: dict[str, str] | None = None) -> zoneinfo.ZoneInfo:
    name = (zones or {}).get(site_code or "") or settings.CELLTRIAL_DEFAULT_SITE_TZ
    return zoneinfo.ZoneInfo(name)


def _shown(value: Any) -> dict[str, Any]:
    """A change value as text; long ones (a whole protocol) are folded so the trail stays readable."""
    text = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False, default=str)
    if value is None:
        text = "∅"
    return {"text": text, "short": text[:SHORT_VALUE] + "…" if len(text) > SHORT_VALUE else None}


def filtered(entries: Any, data: dict[str, Any]) -> Any:
    if data.get("q"):
        q = data["q"]
        entries = entries.annotate(changes_text=Cast("changes", TextField())).filter(
            Q(object_repr__icontains=q) | Q(reason__icontains=q) | Q(changes_text__icontains=q)
            | Q(changes_text__icontains=json.dumps(q, ensure_ascii=False)[1:-1]))
    if data.get("username"):
        entries = entries.filter(username__icontains=data["username"])
    if data.get("action"):
        entries = entries.filter(action=data["action"])
    if data.get("object_type"):
        entries = entries.filter(object_type__icontains=data["object_type"])
    if data.get("site"):
        entries = entries.filter(site_code__iexact=data["site"])
    if data.get("date_from"):
        entries = entries.filter(occurred_at__date__gte=data["date_from"])
    if data.get("date_to"):
        entries = entries.filter(occurred_at__date__lte=data["date_to"])
    return entries


@requires(AUDIT_VIEW)
def audit(request: HttpRequest) -> HttpResponse:
    from celltrial.study.interface import site_time_zones

    form = AuditFilterForm(request.GET or None)
    entries = permissions.scope(AuditEntry.objects.all(), request.user, AUDIT_VIEW, site_field="site_code")
    if form.is_bound and form.is_valid():
        entries = filtered(entries, form.cleaned_data)
    page = Paginator(entries.order_by("-occurred_at", "-id"), 50).get_page(request.GET.get("page"))
    zones = site_time_zones()
    for e in page:
        e.local_tz = site_zone(e.site_code, zones).key
        e.action_label = vocabulary.action_label(e.action)
        e.role_label = vocabulary.role_label(e.role)
        e.type_label = vocabulary.record_type_label(e.object_type)
        e.reason_label = vocabulary.reason_text(e.reason)
        e.change_rows = [
            (vocabulary.field_label(e.object_type, name),
             *(_shown(v) for v in (pair if isinstance(pair, list) and len(pair) == 2 else [None, pair])))
            for name, pair in (e.changes or {}).items()
        ]
    query = urlencode({k: v for k, v in request.GET.items() if k != "page" and v})
    return render(request, "inspection/audit.html", {"form": form, "page": page, "querystring": query})
