"""Audit entries (append-only, hash-chained per stream) and the head of each stream."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from celltrial.core.canonical import jsonable


class Action(models.TextChoices):
    CREATE = "create", _("create")
    UPDATE = "update", _("update")
    DELETE = "delete", _("delete")
    SIGN = "sign", _("sign")
    VOID = "void", _("void signature")
    LOGIN = "login", _("login")
    LOGIN_FAILED = "login_failed", _("login failed")
    LOGOUT = "logout", _("logout")
    LOCKOUT = "lockout", _("account locked")
    EXPORT = "export", _("export")


class AuditEntry(models.Model):
    """One change to trial data. Database triggers refuse UPDATE and DELETE of these rows."""

    stream = models.CharField(_("stream"), max_length=160)
    seq = models.PositiveBigIntegerField(_("sequence number"))
    occurred_at = models.DateTimeField(_("occurred at"))
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("user"),
    )
    username = models.CharField(_("username"), max_length=150)
    role = models.CharField(_("role"), max_length=32, blank=True)
    site_code = models.CharField(_("site code"), max_length=32, blank=True)
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    object_type = models.CharField(_("record type"), max_length=100)
    object_id = models.CharField(_("record ID"), max_length=64, blank=True)
    object_repr = models.CharField(_("record"), max_length=200, blank=True)
    changes = models.JSONField(_("changes"), default=dict)
    reason = models.TextField(_("reason"), blank=True)
    protocol_version = models.PositiveIntegerField(_("protocol version"), null=True, blank=True)
    prev_hash = models.CharField(_("previous hash"), max_length=64)
    entry_hash = models.CharField(_("entry hash"), max_length=64)

    class Meta:
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")
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

    stream = models.CharField(_("stream"), max_length=160, primary_key=True)
    seq = models.PositiveBigIntegerField(_("sequence number"), default=0)
    entry_hash = models.CharField(_("entry hash"), max_length=64)

    class Meta:
        verbose_name = _("audit stream head")
        verbose_name_plural = _("audit stream heads")
