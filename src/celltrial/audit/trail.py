"""Appending entries to the audit trail, in the caller's transaction.

Writers lock only the head row of their own stream, so coordinators saving different records never
queue behind one another (on PostgreSQL; SQLite serialises writers anyway).

This is the low level: rooms write records through named operations (:mod:`celltrial.audit.operations`);
services that write an entry of their own (signatures, logins, access changes) call
:func:`append_for` or :func:`record_event` inside their transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.db import models, transaction
from django.utils import timezone

from celltrial.audit.chain import GENESIS, entry_hash
from celltrial.audit.models import AuditEntry, StreamHead
from celltrial.core import hooks
from celltrial.core.actor import Actor
from celltrial.core.canonical import jsonable
from celltrial.core.writes import service_scope


def _append(
    actor: Actor,
    *,
    action: str,
    stream: str,
    object_type: str,
    object_id: str,
    object_repr: str,
    changes: Mapping[str, Any],
    reason: str = "",
    site_code: str = "",
    protocol_version: int | None = None,
) -> AuditEntry:
    """Append one entry to ``stream``; the caller's transaction makes it atomic with the change."""
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit entries are appended inside the transaction of the change they record")
    with service_scope():
        head = StreamHead.objects.select_for_update().filter(stream=stream).first()
        if head is None:  # the stream's first entry: create its head (two first writers: one insert wins)
            StreamHead.objects.bulk_create([StreamHead(stream=stream, seq=0, entry_hash=GENESIS)],
                                           ignore_conflicts=True)
            head = StreamHead.objects.select_for_update().get(stream=stream)
        entry = AuditEntry(
            stream=stream,
            seq=head.seq + 1,
            occurred_at=timezone.now(),
            user=actor.user,
            username=actor.username,
            role=actor.role,
            site_code=site_code,
            action=action,
            object_type=object_type,
            object_id=object_id,
            object_repr=object_repr[:200],
            changes=jsonable(dict(changes)),
            reason=reason,
            protocol_version=protocol_version if protocol_version is not None else hooks.protocol_version.call(),
            prev_hash=head.entry_hash,
            entry_hash="",
        )
        entry.entry_hash = entry_hash(entry.hashed_content(), entry.prev_hash)
        entry.save(force_insert=True)
        StreamHead.objects.filter(stream=stream).update(seq=entry.seq, entry_hash=entry.entry_hash)
    return entry


def append_for(
    actor: Actor, obj: models.Model, action: str, changes: Mapping[str, Any], *, reason: str = "",
    protocol_version: int | None = None,
) -> AuditEntry:
    """Append an entry to ``obj``'s own stream; the caller holds the transaction."""
    stream = obj.audit_stream() if hasattr(obj, "audit_stream") else f"{obj._meta.label_lower}:{obj.pk}"
    site = obj.audit_site_code() if hasattr(obj, "audit_site_code") else ""
    return _append(
        actor,
        action=action,
        stream=stream,
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj),
        changes=changes,
        reason=reason,
        site_code=site,
        protocol_version=protocol_version,
    )


def record_event(
    actor: Actor,
    action: str,
    *,
    object_type: str,
    object_id: str = "",
    object_repr: str = "",
    changes: Mapping[str, Any] | None = None,
    reason: str = "",
    stream: str | None = None,
    site_code: str = "",
) -> AuditEntry:
    """Audit an event that is not a model write (login, export, a failed login for an unknown name)."""
    with transaction.atomic():
        return _append(
            actor,
            action=action,
            stream=stream or f"{object_type}:{object_id}",
            object_type=object_type,
            object_id=object_id,
            object_repr=object_repr,
            changes=changes or {},
            reason=reason,
            site_code=site_code,
        )
