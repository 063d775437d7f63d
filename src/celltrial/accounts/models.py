"""Accounts: a user holds a role per site; PII access is a separate grant."""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from celltrial.accounts.roles import ROLE_CHOICES
from celltrial.audit.models import AuditedModel


class User(AbstractUser):
    """A person using celltrial. Clinical access comes only from site memberships."""

    failed_login_count = models.PositiveIntegerField(default=0)
    locked_until = models.DateTimeField(null=True, blank=True)
    preferred_language = models.CharField(max_length=10, default="en")

    def is_locked(self) -> bool:
        return self.locked_until is not None and self.locked_until > timezone.now()

    def active_memberships(self) -> models.QuerySet[Membership]:
        return self.memberships.filter(active=True).select_related("site")


class Membership(models.Model):
    """One role of one user at one site. ``can_view_pii`` is granted separately from clinical access."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="memberships")
    site = models.ForeignKey("study.Site", on_delete=models.PROTECT, related_name="memberships")
    role = models.CharField(max_length=32, choices=ROLE_CHOICES)
    can_view_pii = models.BooleanField(default=False, help_text=_("May see names, ID numbers and phone numbers"))
    active = models.BooleanField(default=True)
    granted_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "site", "role"], name="one_role_per_site")]

    def __str__(self) -> str:
        return f"{self.user.username} · {self.role} @ {self.site.code}"


class ApiToken(models.Model):
    """A bearer token for the REST API. Only its SHA-256 is stored; the token is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    prefix = models.CharField(max_length=8)
    created_at = models.DateTimeField(default=timezone.now)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    last_used_at = models.DateTimeField(null=True, blank=True)

    @staticmethod
    def digest(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    def is_usable(self) -> bool:
        now = timezone.now()
        return self.revoked_at is None and (self.expires_at is None or self.expires_at > now)


class Meaning(models.TextChoices):
    AUTHORED = "authored", _("Authored")
    REVIEWED = "reviewed", _("Reviewed")
    APPROVED = "approved", _("Approved")
    RELEASED = "released", _("Released")


class Signature(AuditedModel):
    """An electronic signature (21 CFR 11.50/11.70): who, when, what it means, bound to a content hash.

    The signed content is kept as a snapshot, so an inspector sees what was signed even after the
    record changed; a change to the record voids the signature visibly.
    """

    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="signatures")
    signer_name = models.CharField(max_length=200)
    signer_role = models.CharField(max_length=32, blank=True)
    meaning = models.CharField(max_length=16, choices=Meaning.choices)
    signed_at = models.DateTimeField()
    object_type = models.CharField(max_length=100)
    object_id = models.CharField(max_length=64)
    object_repr = models.CharField(max_length=200)
    content_hash = models.CharField(max_length=64)
    content_snapshot = models.JSONField()
    comment = models.TextField(blank=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-signed_at"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.signer_name} {self.meaning} {self.object_repr}"

    @property
    def is_void(self) -> bool:
        return self.voided_at is not None
