"""The only way trial data is written: each create, update and delete is one audit entry in the same
transaction, chained to the previous entry of the same object stream.

Writers lock only the head row of their own stream, so coordinators saving different records never
queue behind one another (on PostgreSQL; SQLite serialises writers anyway).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from celltrial.audit.chain import GENESIS, entry_hash, jsonable
from celltrial.audit.context import service_scope
from celltrial.audit.models import Action, AuditedModel, AuditEntry, StreamHead

M = TypeVar("M", bound=AuditedModel)


@dataclass(frozen=True)
class Actor:
    """Who is acting, in which role, at which site. ``user`` is None for the system itself."""

    user: Any
    role: str = ""
    site_code: str = ""
    label: str = ""

    @property
    def username(self) -> str:
        if self.user is not None:
            return str(self.user.get_username())
        return self.label or "system"

    @classmethod
    def system(cls, label: str = "system") -> Actor:
        return cls(user=None, role="system", label=label)


class ValidationFailed(ValueError):
    """Input refused; ``errors`` maps each field to messages a coordinator understands."""

    def __init__(self, errors: Mapping[str, list[str]] | str):
        if isinstance(errors, str):
            errors = {"__all__": [errors]}
        self.errors = {k: list(v) for k, v in errors.items()}
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in self.errors.items()))


@dataclass
class ConflictError(Exception):
    """A save based on a stale version: both versions are kept so the user can compare them."""

    instance_label: str
    expected_version: int
    current_version: int
    current_values: dict[str, Any] = field(default_factory=dict)
    attempted_values: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return _(
            "%(obj)s was changed by someone else (you edited version %(mine)s, it is now version %(now)s). "
            "Review both versions and save again."
        ) % {"obj": self.instance_label, "mine": self.expected_version, "now": self.current_version}


def current_protocol_version() -> int | None:
    from celltrial.study.models import ProtocolVersion

    latest = ProtocolVersion.objects.order_by("-number").values_list("number", flat=True).first()
    return latest


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
    StreamHead.objects.bulk_create([StreamHead(stream=stream, seq=0, entry_hash=GENESIS)], ignore_conflicts=True)
    head = StreamHead.objects.select_for_update().get(stream=stream)
    entry = AuditEntry(
        stream=stream,
        seq=head.seq + 1,
        occurred_at=timezone.now(),
        user=actor.user,
        username=actor.username,
        role=actor.role,
        site_code=site_code or actor.site_code,
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:200],
        changes=jsonable(dict(changes)),
        reason=reason,
        protocol_version=protocol_version if protocol_version is not None else current_protocol_version(),
        prev_hash=head.entry_hash,
        entry_hash="",
    )
    entry.entry_hash = entry_hash(entry.hashed_content(), entry.prev_hash)
    entry.save(force_insert=True)
    StreamHead.objects.filter(stream=stream).update(seq=entry.seq, entry_hash=entry.entry_hash)
    return entry


def append_for(
    actor: Actor, obj: AuditedModel, action: str, changes: Mapping[str, Any], *, reason: str = "",
    protocol_version: int | None = None,
) -> AuditEntry:
    """Append an entry to ``obj``'s own stream; the caller holds the transaction."""
    return _append(
        actor,
        action=action,
        stream=obj.audit_stream(),
        object_type=obj._meta.label_lower,
        object_id=str(obj.pk),
        object_repr=str(obj),
        changes=changes,
        reason=reason,
        site_code=obj.audit_site_code(),
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
    """Audit an event that is not a model write (login, export, lockout)."""
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


def _field_values(instance: models.Model, names: list[str] | None = None) -> dict[str, Any]:
    exclude = getattr(instance, "AUDIT_EXCLUDE", ())
    values = {}
    for f in instance._meta.concrete_fields:
        if f.primary_key or f.attname in exclude:
            continue
        if names is not None and f.name not in names and f.attname not in names:
            continue
        values[f.attname] = jsonable(getattr(instance, f.attname))
    return values


def _validate(instance: models.Model) -> None:
    from django.core.exceptions import ValidationError

    try:
        instance.full_clean()
    except ValidationError as exc:
        raise ValidationFailed({k: [str(m) for m in v] for k, v in exc.message_dict.items()}) from exc


def create(actor: Actor, model: type[M], *, reason: str = "", **fields: Any) -> M:
    """Create a record of trial data and its audit entry, atomically."""
    with transaction.atomic(), service_scope():
        instance = model(**fields)
        instance.protocol_version = current_protocol_version()
        _validate(instance)
        instance.save(force_insert=True)
        values = _field_values(instance)
        append_for(actor, instance, Action.CREATE, {k: [None, v] for k, v in values.items()}, reason=reason,
                   protocol_version=instance.protocol_version)
        return instance


def update(
    actor: Actor,
    instance: M,
    changes: Mapping[str, Any],
    *,
    expected_version: int,
    reason: str,
) -> M:
    """Change fields of a record. A reason is required; a stale ``expected_version`` is a conflict.

    Signatures bound to the record's earlier content are voided in the same transaction.
    """
    if not reason or not reason.strip():
        raise ValidationFailed({"reason": [_("A reason for the change is required after first entry.")]})
    model = type(instance)
    with transaction.atomic(), service_scope():
        current = model.objects.select_for_update().get(pk=instance.pk)
        if current.version != expected_version:
            raise ConflictError(
                instance_label=str(current),
                expected_version=expected_version,
                current_version=current.version,
                current_values=_field_values(current, list(changes)),
                attempted_values=jsonable(dict(changes)),
            )
        before = _field_values(current)
        for name, value in changes.items():
            setattr(current, name, value)
        _validate(current)
        after = _field_values(current)
        diff = {k: [before[k], after[k]] for k in after if before.get(k) != after[k]}
        if not diff:
            return current
        current.version += 1
        current.save()
        append_for(actor, current, Action.UPDATE, diff, reason=reason.strip())
        from celltrial.accounts.signatures import void_stale_signatures

        void_stale_signatures(actor, current)
        return current


def delete(actor: Actor, instance: AuditedModel, *, reason: str) -> None:
    """Delete a record; its last values stay in the audit trail."""
    if not reason or not reason.strip():
        raise ValidationFailed({"reason": [_("A reason is required to delete a record.")]})
    with transaction.atomic(), service_scope():
        before = _field_values(instance)
        # The entry is written first, while the record still has its primary key.
        append_for(actor, instance, Action.DELETE, {k: [v, None] for k, v in before.items()}, reason=reason.strip())
        instance.delete()
