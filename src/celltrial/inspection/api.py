"""Audit-trail reads for the REST API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from ninja import Query, Router, Schema

from celltrial.accounts import permissions
from celltrial.audit.models import Action, AuditEntry
from celltrial.core.fields import AwareDatetime, Limit, NoControlCharacters, Offset, bounded, responses
from celltrial.inspection.permissions import AUDIT_VERIFY, AUDIT_VIEW

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
    """Each bound is the column's own (a longer value could never match); refused, not clamped."""

    username: Annotated[str, bounded(150), NoControlCharacters] | None = None
    action: Action | None = None
    object_type: Annotated[str, bounded(100, description="e.g. study.site"), NoControlCharacters] | None = None
    object_id: Annotated[str, bounded(64), NoControlCharacters] | None = None
    site: Annotated[str, bounded(32, description="A site code"), NoControlCharacters] | None = None
    since: AwareDatetime | None = None
    until: AwareDatetime | None = None
    limit: Limit = 100
    offset: Offset = 0


class VerifyOut(Schema):
    ok: bool
    entries: int
    streams: int
    first_break: str | None


@router.get("/entries", response=responses(list[EntryOut]), summary="Audit entries visible to the caller, newest first")
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
    return qs.order_by("-occurred_at", "-id")[filters.offset : filters.offset + filters.limit]


@router.get("/verify", response=responses(VerifyOut), summary="Recompute the hash chains of the whole audit trail")
def verify(request: HttpRequest) -> Any:
    from celltrial.audit.verify import verify as run

    permissions.require(request.user, AUDIT_VERIFY)

    result = run()
    return {"ok": result.ok, "entries": result.entries, "streams": result.streams,
            "first_break": str(result.first_break) if result.first_break else None}
