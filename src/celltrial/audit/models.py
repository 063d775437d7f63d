"""Audit entries (append-only, hash-chained per stream) and the base class of audited trial models."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models

from celltrial.audit.context import assert_in_service


class Action(models.TextChoices):
    CREATE = "create", "create"
    UPDATE = "update", "update"
    DELETE = "delete", "delete"
    SIGN = "sign", "sign"
    VOID = "void", "void signature"
    LOGIN = "login", "login"
    LOGIN_FAILED = "login_failed", "login failed"
    LOGOUT = "logout", "logout"
    LOCKOUT = "lockout", "account locked"
    EXPORT = "export", "export"


class AuditEntry(models.Model):
    """One change to trial data. Database triggers refuse UPDATE and DELETE of these rows."""

    stream = models.CharField(max_length=160)
    seq = models.PositiveBigIntegerField()
    occurred_at = models.DateTimeField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    username = models.CharField(max_length=150)
    role = models.CharField(max_length=32, blank=True)
    site_code = models.CharField(max_length=32, blank=True)
    action = models.CharField(max_length=16, choices=Action.choices)
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(max_length=200, blank=True)
    changes = models.JSONField(default=dict)
    reason = models.TextField(blank=True)
    protocol_version = models.PositiveIntegerField(null=True, blank=True)
    prev_hash = models.CharField(max_length=64)
    entry_hash = models.CharField(max_length=64)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["stream", "seq"], name="audit_stream_seq_unique")]
        indexes = [
            models.Index(fields=["occurred_at"]),
            models.Index(fields=["object_type", "object_id"]),
            models.Index(fields=["username"]),
            models.Index(fields=["site_code"]),
        ]
        ordering = ["-occurred_at", "-id"]

    def hashed_content(self) -> dict[str, Any]:
        """Exactly the fields the hash covers, in their JSON form."""
        from celltrial.audit.chain import jsonable

        return {
            "stream": self.stream,
            "seq": self.seq,
            "occurred_at": jsonable(self.occurred_at),
            "user_id": self.user_id,
            "username": self.username,
            "role": self.role,
            "site_code": self.site_code,
            "action": self.action,
            "object_type": self.object_type,
            "object_id": self.object_id,
            "object_repr": self.object_repr,
            "changes": self.changes,
            "reason": self.reason,
            "protocol_version": self.protocol_version,
        }


class StreamHead(models.Model):
    """The last sequence number and hash of each stream: the lock writers of one object share.

    It also lets ``audit verify`` notice a removed last entry, which a chain alone cannot.
    """

    stream = models.CharField(max_length=160, primary_key=True)
    seq = models.PositiveBigIntegerField(default=0)
    entry_hash = models.CharField(max_length=64)


class AuditedQuerySet(models.QuerySet):
    """Bulk paths skip per-object audit entries, so they are refused outside an auditing service."""

    def update(self, **kwargs: Any) -> int:
        assert_in_service("QuerySet.update()")
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        assert_in_service("QuerySet.delete()")
        return super().delete()

    def bulk_create(self, objs: Any, *args: Any, **kwargs: Any) -> list[Any]:
        assert_in_service("QuerySet.bulk_create()")
        return super().bulk_create(objs, *args, **kwargs)

    def bulk_update(self, objs: Any, *args: Any, **kwargs: Any) -> int:
        assert_in_service("QuerySet.bulk_update()")
        return super().bulk_update(objs, *args, **kwargs)


class AuditedModel(models.Model):
    """Base of every model holding trial data.

    ``version`` carries optimistic concurrency: a save based on a stale version is refused.
    ``protocol_version`` is the protocol in force when the record was made.
    """

    version = models.PositiveIntegerField(default=1, editable=False)
    protocol_version = models.PositiveIntegerField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = AuditedQuerySet.as_manager()

    # Fields never shown in field-level changes (bookkeeping, not trial data).
    AUDIT_EXCLUDE: tuple[str, ...] = ("version", "created_at", "updated_at", "protocol_version")

    class Meta:
        abstract = True

    def audit_stream(self) -> str:
        return f"{self._meta.label_lower}:{self.pk}"

    def audit_site_code(self) -> str:
        """The site this record belongs to, for filtering the trail; blank for trial-wide records."""
        return ""

    def signature_content(self) -> dict[str, Any]:
        """What an e-signature on this record binds to: every audited field."""
        from celltrial.audit.chain import jsonable

        return {
            field.attname: jsonable(getattr(self, field.attname))
            for field in self._meta.concrete_fields
            if field.attname not in self.AUDIT_EXCLUDE
        }

    def save(self, *args: Any, **kwargs: Any) -> None:
        assert_in_service(f"{type(self).__name__}.save()")
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> Any:
        assert_in_service(f"{type(self).__name__}.delete()")
        return super().delete(*args, **kwargs)
