"""Audit-trail reads for the REST API."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from celltrial.accounts import permissions
from celltrial.accounts.roles import AUDIT_VERIFY, AUDIT_VIEW
from celltrial.audit.models import AuditEntry

router = Router(tags=["audit"])


class EntryOut(Schema):
    id: int
    stream: str
    seq: int
    occurred_at: dt.datetime
    username: str
    role: str
    site_code: str
    action: str
    object_type: str
    object_id: str
    object_repr: str
    changes: dict[str, Any]
    reason: str
    protocol_version: int | None
    entry_hash: str


class EntryFilter(Schema):
    username: str | None = None
    action: str | None = None
    object_type: str | None = None
    object_id: str | None = None
    site: str | None = None
    since: dt.datetime | None = None
    until: dt.datetime | None = None
    limit: int = 100
    offset: int = 0


class VerifyOut(Schema):
    ok: bool
    entries: int
    streams: int
    first_break: str | None


@router.get("/entries", response=list[EntryOut], summary="Audit entries visible to the caller, newest first")
def entries(request: HttpRequest, filters: Query[EntryFilter]) -> Any:
    permissions.require(request.user, AUDIT_VIEW)
    qs = permissions.scope(AuditEntry.objects.all(), request.user, AUDIT_VIEW, site_field="site_code")
    lookups = {
        "username": filters.username,
        "action": filters.action,
        "object_type": filters.object_type,
        "object_id": filters.object_id,
        "site_code": filters.site,
        "occurred_at__gte": filters.since,
        "occurred_at__lt": filters.until,
    }
    qs = qs.filter(**{lookup: value for lookup, value in lookups.items() if value})
    limit = max(1, min(filters.limit, 1000))
    return qs.order_by("-occurred_at", "-id")[filters.offset : filters.offset + limit]


@router.get("/verify", response=VerifyOut, summary="Recompute the hash chains of the whole audit trail")
def verify(request: HttpRequest) -> Any:
    from celltrial.audit.verify import verify as run

    permissions.require(request.user, AUDIT_VERIFY)

    result = run()
    return {"ok": result.ok, "entries": result.entries, "streams": result.streams,
            "first_break": str(result.first_break) if result.first_break else None}
