"""Accounts: a user holds a role per site (or trial-wide); PII access is a separate grant.

Every change of who may do what is an audited record: users (including the superuser and staff
flags and the fact of a password change, never the hash), memberships, PII grants and API tokens.
They are written only by :mod:`celltrial.accounts.services`, one audit entry per change.
"""

from __future__ import annotations

import hashlib
from typing import Any, ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from celltrial.accounts.roles import ROLE_CHOICES
from celltrial.core.models import TRIAL_WIDE, AuditedModel, AuditedQuerySet
from celltrial.core.personal import personal, secret


class AuditedUserManager(UserManager.from_queryset(AuditedQuerySet)):  # type: ignore[misc]
    pass


class User(AbstractUser, AuditedModel):
    """A person using celltrial. Clinical access comes only from memberships."""

    email = personal(models.EmailField(_("email address"), blank=True))
    failed_login_count = models.PositiveIntegerField(_("failed login attempts"), default=0)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)
    preferred_language = models.CharField(_("preferred language"), max_length=10, default="en")

    objects = AuditedUserManager()  # type: ignore[misc]

    # last_login changes at every login, which has its own entry.
    AUDIT_EXCLUDE: ClassVar[tuple[str, ...]] = (*AuditedModel.AUDIT_EXCLUDE, "last_login")
    site_path: ClassVar[str | None] = TRIAL_WIDE

    class Meta(AbstractUser.Meta, AuditedModel.Meta):
        swappable = "AUTH_USER_MODEL"  # verbose names "user" / "users" come from AbstractUser.Meta

    def is_locked(self) -> bool:
        return self.locked_until is not None and self.locked_until > timezone.now()

    def active_memberships(self) -> models.QuerySet[Membership]:
        return self.memberships.filter(active=True).select_related("site")


secret(User._meta.get_field("password"))


class Membership(AuditedModel):
    """One role of one user at one site, or at every site when ``site`` is empty (a trial-wide role).

    ``can_view_pii`` is granted separately from clinical access. Ending a membership keeps the row
    (``active`` false, ``ended_at`` set) so the trail of who could do what stays whole.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="memberships",
                             verbose_name=_("user"))
    site = models.ForeignKey("study.Site", null=True, blank=True, on_delete=models.PROTECT,
                             related_name="memberships", help_text=_("Empty: the role holds at every site"),
                             verbose_name=_("site"))
    role = models.CharField(_("role"), max_length=32, choices=ROLE_CHOICES)
    can_view_pii = models.BooleanField(_("may view personal data"), default=False,
                                       help_text=_("May see names, ID numbers and phone numbers"))
    active = models.BooleanField(_("active"), default=True)
    granted_at = models.DateTimeField(_("granted at"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    site_path: ClassVar[str | None] = "site__code"

    class Meta(AuditedModel.Meta):
        verbose_name = _("role assignment")
        verbose_name_plural = _("role assignments")
        constraints = [
            models.UniqueConstraint(fields=["user", "site", "role"], name="one_role_per_site"),
            models.UniqueConstraint(fields=["user", "role"], condition=models.Q(site__isnull=True),
                                    name="one_trial_wide_role"),
        ]

    @property
    def trial_wide(self) -> bool:
        return self.site_id is None

    @property
    def site_label(self) -> str:
        return self.site.code if self.site is not None else "*"

    def __str__(self) -> str:
        return f"{self.user.username} · {self.role} @ {self.site_label}"


class ApiToken(AuditedModel):
    """A bearer token for the REST API. Only its SHA-256 is stored; the token is shown once."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_tokens",
                             verbose_name=_("user"))
    name = models.CharField(_("name"), max_length=100)
    token_hash = secret(models.CharField(_("token hash"), max_length=64, unique=True))
    prefix = models.CharField(_("prefix"), max_length=8)
    expires_at = models.DateTimeField(_("expires at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    revoke_reason = models.CharField(_("reason for revoking"), max_length=200, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    AUDIT_EXCLUDE: ClassVar[tuple[str, ...]] = (*AuditedModel.AUDIT_EXCLUDE, "last_used_at")
    site_path: ClassVar[str | None] = TRIAL_WIDE

    class Meta(AuditedModel.Meta):
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")

    def __str__(self) -> str:
        return f"API token {self.name} ({self.prefix}…) for {self.user.username}"

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

    signer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="signatures",
                               verbose_name=_("signer"))
    signer_name = models.CharField(_("signer name"), max_length=200)
    signer_role = models.CharField(_("signer role"), max_length=32, blank=True)
    meaning = models.CharField(_("meaning"), max_length=16, choices=Meaning.choices)
    signed_at = models.DateTimeField(_("signed at"))
    object_type = models.CharField(_("record type"), max_length=100)
    object_id = models.CharField(_("record ID"), max_length=64)
    object_repr = models.CharField(_("record"), max_length=200)
    site_code = models.CharField(_("site code"), max_length=32, blank=True)
    content_hash = models.CharField(_("content hash"), max_length=64)
    content_snapshot = models.JSONField(_("signed content"))
    comment = models.TextField(_("comment"), blank=True)
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    void_reason = models.TextField(_("reason for voiding"), blank=True)

    site_path: ClassVar[str | None] = "site_code"

    class Meta(AuditedModel.Meta):
        verbose_name = _("electronic signature")
        verbose_name_plural = _("electronic signatures")
        ordering = ["-signed_at"]
        indexes = [models.Index(fields=["object_type", "object_id"])]

    def __str__(self) -> str:
        return f"{self.signer_name} {self.meaning} {self.object_repr}"

    @property
    def is_void(self) -> bool:
        return self.voided_at is not None

    def audit_site_code(self) -> str:
        return self.site_code

    def meaning_label(self) -> Any:
        return Meaning(self.meaning).label
