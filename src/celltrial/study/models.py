"""Protocol versions and sites."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.utils.translation import get_language

from celltrial.audit.models import AuditedModel


class ProtocolVersion(AuditedModel):
    """One loaded version of the protocol definition. Loading changed content makes version N+1."""

    number = models.PositiveIntegerField(unique=True)
    protocol_id = models.CharField(max_length=64)
    version_label = models.CharField(max_length=64, blank=True)
    content = models.JSONField()
    content_hash = models.CharField(max_length=64)
    source_name = models.CharField(max_length=255, blank=True)
    loaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
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
    """A trial site. Declared by the protocol; activation is approved by an e-signature."""

    code = models.CharField(max_length=32, unique=True)
    name_en = models.CharField(max_length=200)
    name_zh = models.CharField(max_length=200, blank=True)
    country = models.CharField(max_length=2, blank=True)
    timezone = models.CharField(max_length=64, default="Asia/Shanghai")
    principal_investigator = models.CharField(max_length=200, blank=True)
    active = models.BooleanField(default=True)

    class Meta:
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.code} {self.name_en}"

    @property
    def name(self) -> str:
        lang = (get_language() or "en").lower()
        return self.name_zh if lang.startswith("zh") and self.name_zh else self.name_en

    def audit_site_code(self) -> str:
        return self.code
