"""``celltrial audit verify``: check the whole trail and report every problem found.

One streaming pass over the entries in (stream, seq) order, then one over the records:

- **chain**: each stream's entries are numbered 1, 2, 3 …, each links to the hash of the one before and
  hashes to its own content, and the stream's head records its last entry (first problem per stream);
- **seal**: against the signed checkpoint log (:mod:`celltrial.audit.seal`): every sealed head is still
  in the trail with the hash the checkpoint signed, and no entry dated before the last checkpoint is
  missing from it;
- **checkpoint**: the log itself: signatures, numbering, links between checkpoints;
- **record**: every record of every audited model reconciles with its stream
  (:mod:`celltrial.audit.reconcile`);
- **guard**: every append-only trigger is installed, enabled and unaltered.

Memory grows with the number of streams and records (a head and a 16-byte digest each), not with the
number of entries.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

from django.conf import settings
from django.db import connection
from django.utils.translation import gettext as _

from celltrial.audit import triggers
from celltrial.audit.chain import GENESIS, entry_hash
from celltrial.audit.keys import SealKeyError, trusted_public_key
from celltrial.audit.models import AuditEntry, StreamHead
from celltrial.audit.reconcile import Replay
from celltrial.audit.seal import Ledger, log_path, replay

T = TypeVar("T")
Progress = Callable[[Iterator[Any], int, str], Iterator[Any]]

KINDS = ("chain", "seal", "checkpoint", "record", "guard")


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the trail, with the stream, entry or record it concerns."""

    kind: str
    problem: str
    stream: str = ""
    entry_id: int | None = None
    seq: int | None = None
    object_type: str = ""
    object_id: str = ""

    @property
    def message(self) -> str:
        return self.problem

    def where(self) -> str:
        parts = []
        if self.object_type:
            parts.append(f"{self.object_type} pk={self.object_id}")
        if self.entry_id is not None:
            parts.append(_("entry #%(id)s (stream %(stream)s, seq %(seq)s)") % {
                "id": self.entry_id, "stream": self.stream, "seq": self.seq})
        elif self.stream:
            parts.append(_("stream %(stream)s") % {"stream": self.stream})
        return ", ".join(parts)

    def __str__(self) -> str:
        where = self.where()
        return f"{where}: {self.problem}" if where else self.problem

    def as_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "message": self.problem, "stream": self.stream or None,
                "entry_id": self.entry_id, "seq": self.seq, "object_type": self.object_type or None,
                "object_id": self.object_id or None}


Break = Problem  # the name of earlier releases


@dataclass(frozen=True)
class VerifyResult:
    entries: int
    streams: int
    records: int = 0
    checkpoints: int = 0
    sealed_entries: int = 0
    problems: list[Problem] = field(default_factory=list)
    omitted: int = 0
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def first_break(self) -> Problem | None:
        return self.problems[0] if self.problems else None

    def of_kind(self, kind: str) -> list[Problem]:
        return [p for p in self.problems if p.kind == kind]

    def counts(self) -> dict[str, int]:
        return {kind: len(self.of_kind(kind)) for kind in KINDS}

    def as_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "entries": self.entries, "streams": self.streams, "records": self.records,
                "checkpoints": self.checkpoints, "sealed_entries": self.sealed_entries,
                "problem_counts": self.counts(), "omitted": self.omitted,
                "problems": [p.as_json() for p in self.problems], "warnings": self.warnings,
                "first_break": str(self.first_break) if self.first_break else None}


def _quiet(items: Iterator[T], total: int, description: str) -> Iterator[T]:
    return items


class _Walk:
    """The state of the pass over the entries."""

    def __init__(self, ledger: Ledger, heads: dict[str, tuple[int, str]], report: Callable[..., None]):
        self.ledger, self.heads, self.report = ledger, heads, report
        grace = dt.timedelta(seconds=settings.CELLTRIAL_SEAL_GRACE_SECONDS)
        self.cutoff = ledger.last_sealed_at - grace if ledger.last_sealed_at else None
        self.seen: set[str] = set()
        self.stream: str | None = None
        self.entries = 0

    def _start(self, stream: str) -> None:
        self.stream, self.prev, self.expected = stream, GENESIS, 1
        self.last_seq, self.broken, self.sealed_found, self.late_reported = 0, False, False, False
        self.seen.add(stream)

    def entry(self, e: AuditEntry) -> None:
        self.entries += 1
        if e.stream != self.stream:
            self.close()
            self._start(e.stream)
        where = {"stream": e.stream, "entry_id": e.id, "seq": e.seq}
        if not self.broken:
            if e.seq != self.expected:
                self.broken = True
                self.report("chain", _("expected seq %(seq)s: an entry is missing or out of order") % {
                    "seq": self.expected}, **where)
            elif e.prev_hash != self.prev:
                self.broken = True
                self.report("chain", _("previous-hash link does not match the entry before it (reordered or "
                                       "removed)"), **where)
            elif entry_hash(e.hashed_content(), e.prev_hash) != e.entry_hash:
                self.broken = True
                self.report("chain", _("content does not match its hash (altered)"), **where)
        self.prev, self.expected, self.last_seq = e.entry_hash, e.seq + 1, e.seq
        sealed = self.ledger.state.get(e.stream)
        if sealed is not None and e.seq == sealed[0]:
            self.sealed_found = True
            if e.entry_hash != sealed[1]:
                self.report("seal", _("this is not the entry checkpoint #%(n)s sealed at this position: the "
                                      "sealed history was rewritten") % {"n": sealed[2]}, **where)
        if ((sealed is None or e.seq > sealed[0]) and self.cutoff is not None and e.occurred_at < self.cutoff
                and not self.late_reported):
            self.late_reported = True
            self.report("seal", _("dated %(when)s, before the last checkpoint (#%(n)s), but not sealed by it "
                                  "(forged or backdated)") % {"when": e.occurred_at.isoformat(),
                                                            "n": self.ledger.count}, **where)

    def close(self) -> None:
        name = self.stream
        if name is None:
            return
        head = self.heads.get(name)
        if head is None:
            self.report("chain", _("stream has entries but no head record (head removed)"), stream=name)
        elif not self.broken and head != (self.last_seq, self.prev):
            self.report("chain", _("chain ends at seq %(last)s but the head records seq %(head)s: entries at the "
                                   "end of the stream were removed or altered") % {
                "last": self.last_seq, "head": head[0]}, stream=name)
        sealed = self.ledger.state.get(name)
        if sealed is not None and not self.sealed_found:
            self.report("seal", _("stream ends at seq %(last)s, but checkpoint #%(n)s sealed it at seq %(seq)s: "
                                  "sealed entries were removed") % {
                "last": self.last_seq, "n": sealed[2], "seq": sealed[0]}, stream=name)

    def finish(self) -> None:
        self.close()
        for name, (seq, _h) in self.heads.items():
            if name not in self.seen and seq > 0:
                self.report("chain", _("head records %(seq)s entries but the stream has none (all removed)") % {
                    "seq": seq}, stream=name)
        for name, (seq, _h, n) in self.ledger.state.items():
            if name not in self.seen:
                self.report("seal", _("checkpoint #%(n)s sealed this stream at seq %(seq)s, but it has no entries: "
                                      "the stream was deleted") % {"n": n, "seq": seq}, stream=name)


def _deployment_warnings() -> list[str]:
    """How the platform connects, when that weakens the guards (not a fault of the trail itself)."""
    if connection.vendor != "postgresql":
        return []
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT r.rolsuper OR r.rolreplication OR r.rolbypassrls, "
            "EXISTS (SELECT 1 FROM pg_class c WHERE c.relname IN (%s, %s) "
            "AND pg_has_role(current_user, c.relowner, 'USAGE')) "
            "FROM pg_roles r WHERE r.rolname = current_user", [triggers.TABLE, triggers.HEADS])
        row = cursor.fetchone()
    if row and (row[0] or row[1]):
        return [_("the platform connects to PostgreSQL as a role that owns the audit tables or is a "
                  "superuser, so it could drop their guards; serve as the runtime role (docs/audit.md)")]
    return []


def verify(progress: Progress | None = None, *, public_key: str | Path | None = None,
           max_problems: int = 1000) -> VerifyResult:
    """Check chains, heads, checkpoints, records and guards; collect every problem (up to ``max_problems``)."""
    show = progress or _quiet
    problems: list[Problem] = []
    omitted = 0

    def report(kind: str, message: str, **where: Any) -> None:
        nonlocal omitted
        if len(problems) < max_problems:
            problems.append(Problem(kind, message, **where))
        else:
            omitted += 1

    try:
        key = trusted_public_key(public_key)
    except SealKeyError as exc:
        report("checkpoint", str(exc))
        key = None
    ledger = replay(log_path(), key)
    for message in ledger.problems:
        report("checkpoint", message)

    tables = connection.introspection.table_names()
    if triggers.TABLE not in tables or triggers.HEADS not in tables:
        report("guard", _("the audit tables are missing"))
        return VerifyResult(0, 0, problems=problems, omitted=omitted, checkpoints=ledger.count)

    heads = {s: (q, h) for s, q, h in StreamHead.objects.values_list("stream", "seq", "entry_hash")
             .iterator(chunk_size=5000)}
    walk = _Walk(ledger, heads, report)
    records = Replay(report)
    entries: Iterable[AuditEntry] = show(AuditEntry.objects.order_by("stream", "seq").iterator(chunk_size=2000),
                                         AuditEntry.objects.count(), _("verifying the audit trail"))
    for entry in entries:
        walk.entry(entry)
        records.feed(entry)
    walk.finish()
    record_count = records.check_rows(show(records.rows(), records.row_count(), _("reconciling the records")))
    for name in triggers.missing(connection):
        report("guard", _("the append-only guard %(name)s is missing, disabled or altered") % {"name": name})

    warnings = _deployment_warnings()
    if records.unmigrated:
        warnings.append(_("not reconciled, their tables are missing (apply the migrations): %(models)s") % {
            "models": ", ".join(records.unmigrated)})
    if ledger.count == 0 and not ledger.problems:
        warnings.append(_("the trail has not been sealed yet (`celltrial audit seal`, or the worker every "
                          "%(minutes)s minutes)") % {"minutes": settings.CELLTRIAL_SEAL_EVERY_MINUTES})
    return VerifyResult(entries=walk.entries, streams=len(walk.seen), records=record_count,
                        checkpoints=ledger.count, sealed_entries=ledger.entries, problems=problems,
                        omitted=omitted, warnings=warnings)
