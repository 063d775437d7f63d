"""Reconciliation: replay every record's audit entries and compare the result with the record.

A create entry holds every audited value as [None, v], an update (or login, lockout … written by
``tracked``) the fields it changed as [old, new], a delete every value as [v, None]. Replaying a
record's entries in order gives what the record must hold now; reading the record gives what it does
hold. They differ when a record was written without an entry (raw SQL, ``loaddata``,
``_base_manager.update()``, ``save_base()`` under the service scope), when a record has no entries at
all, when a record vanished without a delete entry, and when an entry claims a change the record does
not have (a forged entry) or an old value the entries before it do not give.

Personal and secret fields are kept in the trail as a marker, never their value, so for them only
"set or empty" can be reconciled. A field the trail has never mentioned (added by a later migration)
must hold its default.

Records are found by model label and primary key (``object_type``, ``object_id``), not by stream:
``study.ProtocolVersion`` rows of one protocol share the stream ``study.protocol:<id>``, and a
stream may hold several records. The walk is streaming: while the entries are read in stream order,
each record's replayed state is kept only until its stream ends, then reduced to a digest.
"""

from __future__ import annotations

import decimal
import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.apps import apps
from django.core.exceptions import ValidationError
from django.db import connection, models
from django.utils.translation import gettext as _

from celltrial.audit.models import Action, AuditEntry
from celltrial.core.canonical import canonical, jsonable
from celltrial.core.models import AuditedModel
from celltrial.core.personal import is_personal

# Entries that annotate a record without carrying its field values (the signature is its own record).
ANNOTATIONS = frozenset(str(a.value) for a in (Action.SIGN, Action.VOID, Action.EXPORT))

Report = Callable[..., None]


@dataclass(frozen=True)
class _Model:
    label: str
    model: type[AuditedModel]
    fields: dict[str, models.Field[Any, Any]]
    masked: frozenset[str]

    def norm(self, name: str, value: Any) -> Any:
        """A value in a form that compares equal however it was written (``1.50`` and ``1.5``, a
        datetime in any zone); a personal or secret field as "set or empty"."""
        if name in self.masked:
            return value not in (None, "")
        if value is None:
            return None
        f = self.fields.get(name)
        if f is None:
            return jsonable(value)
        try:
            py = f.to_python(value)
        except (ValidationError, TypeError, ValueError):
            return jsonable(value)
        if isinstance(py, decimal.Decimal):
            return format(py.normalize(), "f")
        return jsonable(py)

    def default(self, name: str) -> Any:
        return self.norm(name, jsonable(self.fields[name].get_default()))

    def expected(self, state: dict[str, Any]) -> dict[str, Any]:
        """What the record must hold after these replayed values (a field never mentioned: its default)."""
        return {name: self.norm(name, state[name]) if name in state else self.default(name) for name in self.fields}

    def actual(self, row: AuditedModel) -> dict[str, Any]:
        values = row.audited_values()
        return {name: self.norm(name, values.get(name)) for name in self.fields}


def _digest(values: dict[str, Any]) -> bytes:
    return hashlib.sha256(canonical(values).encode("utf-8")).digest()[:16]


def audited_models(tables: set[str] | None = None) -> dict[str, _Model]:
    """Every concrete audited model (with a table in ``tables``, when given)."""
    found: dict[str, _Model] = {}
    for model in apps.get_models():
        if not issubclass(model, AuditedModel) or model._meta.proxy or not model._meta.managed:
            continue
        if tables is not None and model._meta.db_table not in tables:
            continue
        # The fields AuditedModel.audited_values() reports.
        concrete = {f.attname: f for f in model._meta.concrete_fields
                    if not f.primary_key and f.attname not in model.AUDIT_EXCLUDE}
        masked = frozenset(f.attname for f in concrete.values() if is_personal(f))
        found[model._meta.label_lower] = _Model(model._meta.label_lower, model, concrete, masked)
    return found


@dataclass
class _Open:
    """A record being replayed while its stream is read."""

    state: dict[str, Any] = field(default_factory=dict)
    alive: bool = False
    seen_create: bool = False
    faulted: bool = False


@dataclass(frozen=True)
class _Done:
    digest: bytes | None  # None: the stream ends with a delete
    stream: str


class Replay:
    """Fed the entries in (stream, seq) order; then checks every record against its replay."""

    def __init__(self, report: Report, models_by_label: dict[str, _Model] | None = None):
        self.report = report
        if models_by_label is None:
            tables = set(connection.introspection.table_names())
            models_by_label = audited_models(tables)
            # A model whose table is missing (a migration not yet applied) cannot be reconciled.
            self.unmigrated = sorted(set(audited_models()) - set(models_by_label))
        else:
            self.unmigrated = []
        self.models = models_by_label
        self._open: dict[tuple[str, str], _Open] = {}
        self._done: dict[tuple[str, str], _Done] = {}
        self._stream = ""

    # -- the entry walk -------------------------------------------------------------------------

    def feed(self, entry: AuditEntry) -> None:
        if entry.stream != self._stream:
            self.end_stream()
            self._stream = entry.stream
        spec = self.models.get(entry.object_type)
        if spec is None or entry.action in ANNOTATIONS:
            return
        key = (entry.object_type, entry.object_id)
        if key in self._done:
            self._fault(entry, _("its entries are in more than one stream (%(a)s and %(b)s)") % {
                "a": self._done[key].stream, "b": entry.stream})
            return
        record = self._open.setdefault(key, _Open())
        _apply(spec, record, entry, lambda message: self._fault(entry, message, record))

    def _fault(self, entry: AuditEntry, message: str, record: _Open | None = None) -> None:
        if record is not None:
            if record.faulted:
                return
            record.faulted = True
        self.report("record", message, stream=entry.stream, entry_id=entry.id, seq=entry.seq,
                    object_type=entry.object_type, object_id=entry.object_id)

    def end_stream(self) -> None:
        for (label, object_id), record in self._open.items():
            spec = self.models[label]
            digest = _digest(spec.expected(record.state)) if record.alive else None
            self._done[(label, object_id)] = _Done(digest, self._stream)
        self._open.clear()

    # -- the records ----------------------------------------------------------------------------

    def row_count(self) -> int:
        return sum(spec.model._base_manager.count() for spec in self.models.values())

    def rows(self) -> Iterator[AuditedModel]:
        for spec in self.models.values():
            yield from spec.model._base_manager.order_by("pk").iterator(chunk_size=2000)

    def check_rows(self, rows: Iterator[AuditedModel]) -> int:
        """Compare every record with its replay; return how many were read."""
        self.end_stream()
        count = 0
        seen: set[tuple[str, str]] = set()
        for row in rows:
            count += 1
            spec = self.models[row._meta.label_lower]
            key = (spec.label, str(row.pk))
            seen.add(key)
            done = self._done.get(key)
            where = {"object_type": spec.label, "object_id": str(row.pk), "stream": done.stream if done else ""}
            if done is None:
                self.report("record", _("the record has no audit entries (written without an entry)"), **where)
            elif done.digest is None:
                self.report("record", _("the record exists, but its entries end with a delete "
                                        "(re-inserted without an entry)"), **where)
            elif done.digest != _digest(spec.actual(row)):
                self.report("record", _("the record differs from what its entries give: %(fields)s") % {
                    "fields": "; ".join(self._differences(spec, row))}, **where)
        for (label, object_id), done in self._done.items():
            if done.digest is not None and (label, object_id) not in seen:
                self.report("record", _("the record is gone, but its entries have no delete entry "
                                        "(removed without an entry)"),
                            object_type=label, object_id=object_id, stream=done.stream)
        return count

    def _differences(self, spec: _Model, row: AuditedModel) -> list[str]:
        """Field by field, for the report (rare: only for a record that does not reconcile)."""
        record = _Open()
        entries = AuditEntry.objects.filter(object_type=spec.label, object_id=str(row.pk)).order_by("stream", "seq")
        for entry in entries:
            if entry.action not in ANNOTATIONS:
                _apply(spec, record, entry, lambda message: None)
        expected, actual = spec.expected(record.state), spec.actual(row)
        out = []
        for name in spec.fields:
            if expected[name] == actual[name]:
                continue
            if name in spec.masked:
                out.append(_("%(field)s (personal or secret) is %(actual)s in the record but %(expected)s in the "
                             "trail") % {"field": name, "actual": _("set") if actual[name] else _("empty"),
                                         "expected": _("set") if expected[name] else _("empty")})
            else:
                out.append(_("%(field)s is %(actual)s in the record but %(expected)s in the trail") % {
                    "field": name, "actual": _short(actual[name]), "expected": _short(expected[name])})
        return out or [_("the values are equal but were written differently")]


def _short(value: Any) -> str:
    text = canonical(value)
    return text if len(text) <= 80 else text[:77] + "…"


def _apply(spec: _Model, record: _Open, entry: AuditEntry, fault: Callable[[str], None]) -> None:
    changes = entry.changes if isinstance(entry.changes, dict) else None
    if changes is None or any(not isinstance(v, list) or len(v) != 2 for v in changes.values()):
        fault(_("entry #%(id)s has malformed changes") % {"id": entry.id})
        return
    if entry.action == Action.CREATE.value:
        if record.alive:
            fault(_("entry #%(id)s creates a record that already exists") % {"id": entry.id})
        record.state = {name: new for name, (_old, new) in changes.items()}
        record.alive = record.seen_create = True
        return
    if not record.seen_create:
        record.seen_create = True
        record.alive = True
        fault(_("the entries of the record begin without a create entry (entry #%(id)s)") % {"id": entry.id})
    elif not record.alive:
        fault(_("entry #%(id)s changes a record after its delete entry") % {"id": entry.id})
    for name, (old, new) in changes.items():
        if name in spec.fields and name in record.state and spec.norm(name, old) != spec.norm(name, record.state[name]):
            fault(_("entry #%(id)s says %(field)s was %(old)s, but the entries before it give %(value)s "
                    "(forged or altered)") % {"id": entry.id, "field": name,
                                             "old": _short(spec.norm(name, old)),
                                             "value": _short(spec.norm(name, record.state[name]))})
        record.state[name] = new
    if entry.action == Action.DELETE.value:
        record.alive = False
