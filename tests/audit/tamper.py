"""What an attacker who owns the database can do to the trail, as helpers for the attack tests."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection
from django.utils import timezone

from celltrial.audit import triggers
from celltrial.audit.chain import GENESIS, entry_hash
from celltrial.audit.models import AuditEntry, StreamHead


def sql(statement: str, params: list | tuple = ()) -> None:
    with connection.cursor() as cur:
        cur.execute(statement, params)


def drop_guards() -> None:
    if connection.vendor == "postgresql":
        # PostgreSQL refuses DROP TRIGGER on a table with deferred checks pending in this transaction.
        sql("SET CONSTRAINTS ALL IMMEDIATE")
    for statement in triggers.statements(connection.vendor, drop=True):
        sql(statement)


def reinstall_guards() -> None:
    for statement in triggers.statements(connection.vendor):
        sql(statement)


def rehash_stream(stream: str) -> None:
    """Recompute every link and hash of a stream in its current seq order, and its head: a rewrite that
    leaves no broken chain behind (the guards must be dropped first)."""
    prev, last = GENESIS, 0
    for entry in AuditEntry.objects.filter(stream=stream).order_by("seq"):
        entry.prev_hash = prev
        entry.entry_hash = entry_hash(entry.hashed_content(), prev)
        AuditEntry.objects.filter(pk=entry.pk).update(prev_hash=entry.prev_hash, entry_hash=entry.entry_hash)
        prev, last = entry.entry_hash, entry.seq
    sql("UPDATE audit_streamhead SET seq = %s, entry_hash = %s WHERE stream = %s", [last, prev, stream])


def forge_entry(stream: str, *, changes: dict[str, Any], action: str = "update",
                occurred_at: dt.datetime | None = None, update_head: bool = True) -> AuditEntry:
    """Append a correctly chained entry by hand: what a real write would have written."""
    head = StreamHead.objects.get(stream=stream)
    model_label, _sep, object_id = stream.partition(":")
    entry = AuditEntry(stream=stream, seq=head.seq + 1, occurred_at=occurred_at or timezone.now(), user=None,
                       username="admin", role="admin", site_code="", action=action, object_type=model_label,
                       object_id=object_id, object_repr="", changes=changes, reason="routine correction",
                       protocol_version=1, prev_hash=head.entry_hash, entry_hash="")
    entry.entry_hash = entry_hash(entry.hashed_content(), entry.prev_hash)
    entry.save(force_insert=True)  # a plain INSERT: no auditing service is involved
    if update_head:
        sql("UPDATE audit_streamhead SET seq = %s, entry_hash = %s WHERE stream = %s",
            [entry.seq, entry.entry_hash, stream])
    return AuditEntry.objects.get(stream=stream, seq=entry.seq)


def snapshot() -> tuple[list[tuple], list[tuple]]:
    """Every entry and head as stored: what a refused attack must leave unchanged."""
    entries = list(AuditEntry.objects.order_by("id").values_list(
        "id", "stream", "seq", "prev_hash", "entry_hash", "reason", "changes"))
    heads = list(StreamHead.objects.order_by("stream").values_list("stream", "seq", "entry_hash"))
    return entries, heads
