"""Protocol versions and sites."""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from celltrial.core.models import TRIAL_WIDE, AuditedModel


class ProtocolVersion(AuditedModel):
    """One loaded version of the protocol definition. Loading changed content makes version N+1."""

    number = models.PositiveIntegerField(_("version number"), unique=True)
    protocol_id = models.CharField(_("protocol ID"), max_length=64)
    version_label = models.CharField(_("protocol version"), max_length=64, blank=True)
    content = models.JSONField(_("protocol definition"))
    content_hash = models.CharField(_("content hash"), max_length=64)
    source_name = models.CharField(_("source file"), max_length=255, blank=True)
    loaded_by = models.ForeignKey(
        "accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("loaded by"),
    )

    site_path: ClassVar[str | None] = TRIAL_WIDE

    class Meta(AuditedModel.Meta):
        verbose_name = _("protocol version")
        verbose_name_plural = _("protocol versions")
        ordering = ["-number"]

    def __str__(self) -> str:
        return f"{self.protocol_id} v{self.number}"

    def audit_stream(self) -> str:
        return f"study.protocol:{self.protocol_id}"

    def definition(self) -> Any:
        """The validated protocol object (pure ``celltrial.study.protocol`` model)."""
        from celltrial.study.protocol import Protocol

        return Protocol.model_validate(self.content)


class Site(AuditedModel):
    """A trial site. Declared by the protocol; its details are kept here; activation is e-signed."""

    code = models.CharField(_("site code"), max_length=32, unique=True)
    name_en = models.CharField(_("name (English)"), max_length=200)
    name_zh = models.CharField(_("name (Chinese)"), max_length=200, blank=True)
    country = models.CharField(_("country"), max_length=2, blank=True)
    timezone = models.CharField(_("time zone"), max_length=64, default="Asia/Shanghai")
    principal_investigator = models.CharField(_("principal investigator"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)

    site_path: ClassVar[str | None] = "code"
    signature_meanings: ClassVar[tuple[str, ...]] = ("approved",)

    class Meta(AuditedModel.Meta):
        verbose_name = _("site")
        verbose_name_plural = _("sites")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name_en}"

    @property
    def name(self) -> str:
        lang = (get_language() or "en").lower()
        return self.name_zh if lang.startswith("zh") and self.name_zh else self.name_en
