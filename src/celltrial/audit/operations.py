"""Named operations: the only way a room writes a record of trial data.

A room declares each operation once, in its ``services.py``::

    edit_site = Update("edit_site", Site, permission=SITE_EDIT,
                       fields=("principal_investigator", "name_en", "name_zh", "timezone"))

and its views, API and commands call it: ``edit_site(actor, site, changes, expected_version=3, reason=…)``.
Each call checks the permission inside (at the record's site), accepts only the operation's
fields, validates, writes the record and its audit entry in one transaction, and — for an update
— voids the signatures the change made stale. The generic writers below are private to this module.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.db import connections, transaction
from django.utils.translation import gettext as _

from celltrial.audit.models import Action
from celltrial.audit.trail import append_for
from celltrial.core import hooks
from celltrial.core.actor import Actor
from celltrial.core.errors import AccessDenied, ConflictError, ValidationFailed
from celltrial.core.models import TRIAL_WIDE, AuditedModel
from celltrial.core.personal import masks
from celltrial.core.writes import service_scope

M = TypeVar("M", bound=AuditedModel)

# A reason for change is a sentence or two for an inspector, not a document.
REASON_MAX = 1000


def clean_reason(reason: str | None, *, required: bool) -> str:
    text = (reason or "").strip()
    if required and not text:
        raise ValidationFailed({"reason": [_("A reason for the change is required after first entry.")]})
    if len(text) > REASON_MAX:
        raise ValidationFailed({"reason": [
            _("The reason is %(n)s characters long; at most %(max)s are allowed.") % {"n": len(text), "max": REASON_MAX}]})
    if "\x00" in text:
        raise ValidationFailed({"reason": [_("The reason contains a NUL character.")]})
    return text


def _authorize(actor: Actor, permission: str, site_code: str) -> None:
    if actor.is_system:
        return
    if not hooks.access.call(actor, permission, site_code or None):
        raise AccessDenied(permission, site_code or None)


def _validate(instance: AuditedModel, exclude: Sequence[str] = ()) -> None:
    try:
        instance.full_clean(exclude=list(exclude) or None)
    except ValidationError as exc:
        raise ValidationFailed({k: [str(m) for m in v] for k, v in exc.message_dict.items()}) from exc


def _only(operation: str, allowed: Sequence[str], values: Mapping[str, Any]) -> None:
    extra = sorted(set(values) - set(allowed))
    if extra:
        raise ValidationFailed({name: [_("%(field)s cannot be set by %(operation)s.") % {
            "field": name, "operation": operation}] for name in extra})


def _diff(model: type[AuditedModel], before: dict[str, Any], after: dict[str, Any],
          raw_before: dict[str, Any], raw_after: dict[str, Any]) -> dict[str, list[Any]]:
    """Field-level old/new values; a personal field records that it changed, never its value."""
    masked = masks(model)
    diff: dict[str, list[Any]] = {}
    for name in after:
        if raw_before.get(name) == raw_after.get(name):
            continue
        if name in masked:
            diff[name] = [masked[name] if raw_before.get(name) not in (None, "") else None,
                          masked[name] if raw_after.get(name) not in (None, "") else None]
        else:
            diff[name] = [before.get(name), after[name]]
    return diff


def _unchanged_lookups(model: type[AuditedModel], before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    """The fields an update leaves as they were whose check costs a query: foreign keys (does the row
    exist?) and members of unique constraints (is the value taken?). They were checked when written.
    A unique group the update touches keeps every member checked, with the rows they point to."""
    groups: list[set[str]] = [set(group) for group in model._meta.unique_together]
    groups += [set(getattr(c, "fields", ()) or ()) for c in model._meta.constraints]
    groups += [{f.name} for f in model._meta.concrete_fields if f.unique and not f.primary_key]
    attnames = {f.name: f.attname for f in model._meta.concrete_fields}
    changed = {name for name, attname in attnames.items() if before.get(attname) != after.get(attname)}
    protected = set().union(*(g for g in groups if g & changed))
    costly = {f.name for f in model._meta.concrete_fields if f.is_relation} | set().union(*groups)
    return sorted(name for name in costly - changed - protected
                  if name in attnames and attnames[name] in before)


def _site_relations(model: type[AuditedModel]) -> str:
    """The relations ``site_path`` walks (``participant__site`` for ``participant__site__code``), or ""."""
    path = getattr(model, "site_path", None)
    if not path or path == TRIAL_WIDE:
        return ""
    relations: list[str] = []
    current: Any = model
    for part in path.split("__")[:-1]:
        try:
            field_ = current._meta.get_field(part)
        except FieldDoesNotExist:  # a property, not a field: nothing to join
            return ""
        if not field_.is_relation or field_.many_to_many or field_.one_to_many:
            return ""
        relations.append(part)
        current = field_.related_model
    return "__".join(relations)


def _raw(instance: AuditedModel) -> dict[str, Any]:
    from celltrial.core.canonical import jsonable

    return {f.attname: jsonable(getattr(instance, f.attname)) for f in instance._meta.concrete_fields
            if not f.primary_key and f.attname not in instance.AUDIT_EXCLUDE}


@dataclass(frozen=True)
class Saved(Generic[M]):
    """What an update did: the record, the field-level changes (empty: nothing changed), voided signatures."""

    instance: M
    changes: dict[str, list[Any]]
    voided: list[Any] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.changes)


@dataclass(frozen=True)
class Preview:
    """What an update would do, shown before it is saved."""

    changes: dict[str, list[Any]]
    would_void: list[Any]


@dataclass(frozen=True)
class Create(Generic[M]):
    name: str
    model: type[M]
    permission: str
    fields: tuple[str, ...]

    def __call__(self, actor: Actor, *, reason: str = "", **values: Any) -> M:
        _only(self.name, self.fields, values)
        reason = clean_reason(reason, required=False)
        with transaction.atomic(), service_scope():
            instance = self.model(**values)
            instance.protocol_version = hooks.protocol_version.call()
            _authorize(actor, self.permission, instance.audit_site_code())
            _validate(instance)
            instance.save(force_insert=True)
            values_after = instance.audited_values()
            append_for(actor, instance, Action.CREATE, {k: [None, v] for k, v in values_after.items()},
                       reason=reason, protocol_version=instance.protocol_version)
            return instance


@dataclass(frozen=True)
class Update(Generic[M]):
    name: str
    model: type[M]
    permission: str
    fields: tuple[str, ...]

    def _apply(self, current: M, changes: Mapping[str, Any]) -> tuple[dict[str, list[Any]], M]:
        before, raw_before = current.audited_values(), _raw(current)
        for name, value in changes.items():
            setattr(current, name, value)
        raw_after = _raw(current)
        _validate(current, exclude=_unchanged_lookups(self.model, raw_before, raw_after))
        return _diff(self.model, before, current.audited_values(), raw_before, raw_after), current

    def _locked(self, pk: Any) -> M:
        """The row as it stands, locked for this transaction, with the relations its site is read through."""
        rows = self.model.objects.all()
        related = _site_relations(self.model)
        if related:
            rows = rows.select_related(related)
        if related and connections[rows.db].features.has_select_for_update_of:
            return rows.select_for_update(of=("self",)).get(pk=pk)
        return rows.select_for_update().get(pk=pk)

    def preview(self, actor: Actor, instance: M, changes: Mapping[str, Any]) -> Preview:
        """The changes a save would make and the signatures it would void; writes nothing."""
        _only(self.name, self.fields, changes)
        candidate = self.model.objects.get(pk=instance.pk)
        diff, candidate = self._apply(candidate, changes)
        return Preview(diff, hooks.signatures_voided_by.call(actor, candidate) if diff else [])

    def __call__(self, actor: Actor, instance: M, changes: Mapping[str, Any], *, expected_version: int,
                 reason: str) -> Saved[M]:
        _only(self.name, self.fields, changes)
        reason = clean_reason(reason, required=True)
        with transaction.atomic(), service_scope():
            current = self._locked(instance.pk)
            _authorize(actor, self.permission, current.audit_site_code())
            if current.version != expected_version:
                raise ConflictError(
                    instance_label=str(current), expected_version=expected_version,
                    current_version=current.version,
                    current_values={k: v for k, v in current.audited_values().items() if k in changes},
                    attempted_values={k: v for k, v in _attempted(self.model, changes).items()},
                    message=_("%(obj)s was changed by someone else (you edited version %(mine)s, it is now "
                              "version %(now)s). Review both versions and save again.") % {
                        "obj": current, "mine": expected_version, "now": current.version},
                )
            site_before = current.audit_site_code()
            diff, current = self._apply(current, changes)
            if not diff:
                return Saved(current, {})
            if current.audit_site_code() != site_before:
                _authorize(actor, self.permission, current.audit_site_code())
            current.version += 1
            current.save()
            append_for(actor, current, Action.UPDATE, diff, reason=reason)
            voided = hooks.after_change.call(actor, current)
            return Saved(current, diff, voided)


def _attempted(model: type[AuditedModel], changes: Mapping[str, Any]) -> dict[str, Any]:
    from celltrial.core.canonical import jsonable

    masked = masks(model)
    return {k: masked[k] if k in masked else jsonable(v) for k, v in changes.items()}


@dataclass(frozen=True)
class Delete(Generic[M]):
    name: str
    model: type[M]
    permission: str

    def __call__(self, actor: Actor, instance: M, *, reason: str) -> None:
        reason = clean_reason(reason, required=True)
        with transaction.atomic(), service_scope():
            current = self.model.objects.select_for_update().get(pk=instance.pk)
            _authorize(actor, self.permission, current.audit_site_code())
            before = current.audited_values()
            # The entry is written first, while the record still has its primary key.
            append_for(actor, current, Action.DELETE, {k: [v, None] for k, v in before.items()}, reason=reason)
            current.delete()


@contextmanager
def tracked(actor: Actor, instance: M, action: str = Action.UPDATE, *, reason: str = "") -> Iterator[M]:
    """For a service that writes an entry of its own (logins, lockouts, access changes)::

        with tracked(actor, user, Action.LOCKOUT, reason="5 failed passwords") as u:
            u.locked_until = until

    The record is re-read under a row lock; whatever the block changes is saved with one entry of
    its field-level changes, in one transaction. A block that changes nothing writes nothing.
    The calling service has already checked the permission.
    """
    reason = clean_reason(reason, required=False)
    with transaction.atomic(), service_scope():
        model: type[AuditedModel] = instance._meta.model  # type: ignore[assignment]  # not type(): request.user is lazy
        current = model.objects.select_for_update().get(pk=instance.pk)
        before, raw_before = current.audited_values(), _raw(current)
        yield current  # type: ignore[misc]
        diff = _diff(model, before, current.audited_values(), raw_before, _raw(current))
        if diff or action != Action.UPDATE:
            if diff:
                current.version += 1
                current.save()
            append_for(actor, current, action, diff, reason=reason)
            if diff:
                hooks.after_change.call(actor, current)
    for f in instance._meta.concrete_fields:
        setattr(instance, f.attname, getattr(current, f.attname))


def insert(actor: Actor, instance: M, *, reason: str = "") -> M:
    """For a service that builds a record itself (a user, a membership, a signature): save and audit it."""
    reason = clean_reason(reason, required=False)
    with transaction.atomic(), service_scope():
        instance.protocol_version = hooks.protocol_version.call()
        instance.save(force_insert=True)
        append_for(actor, instance, Action.CREATE, {k: [None, v] for k, v in instance.audited_values().items()},
                   reason=reason, protocol_version=instance.protocol_version)
    return instance


def touch(instance: AuditedModel, **bookkeeping: Any) -> None:
    """Set bookkeeping fields the model excludes from its audited values (``last_used_at`` of a token):
    no entry, because nothing an inspector reviews changes. Any other field is refused."""
    refused = sorted(set(bookkeeping) - set(instance.AUDIT_EXCLUDE))
    if refused:
        raise ValueError(f"{', '.join(refused)} are audited fields: change them through an operation")
    model: type[AuditedModel] = instance._meta.model  # type: ignore[assignment]
    with service_scope():
        model.objects.filter(pk=instance.pk).update(**bookkeeping)
