"""The capture room's records: one form record per (participant, visit, form, repeat), and the guardian's
one-time questionnaire links.

A form record holds its items as JSON validated against the data dictionary of the protocol version
in force at the visit (``dictionary_version``), with its state (draft or complete), who completed it
and when, and — for an instrument form — the scores the instrument library computed on completion,
with the scoring rule's version. Only the link's SHA-256 is stored, never the link itself.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from celltrial.core.models import SiteScopedModel


class FormStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    COMPLETE = "complete", _("Complete")


class FormRecord(SiteScopedModel):
    participant = models.ForeignKey("participants.Participant", on_delete=models.PROTECT,
                                    related_name="capture_forms")
    visit = models.CharField(_("visit"), max_length=40)
    form = models.CharField(_("form"), max_length=100)
    repeat = models.PositiveSmallIntegerField(_("repeat"), default=1)
    values = models.JSONField(_("values"), default=dict, blank=True)
    status = models.CharField(_("status"), max_length=16, choices=FormStatus.choices, default=FormStatus.DRAFT)
    dictionary_version = models.PositiveIntegerField(_("data dictionary version"))
    completed_at = models.DateTimeField(_("completed at"), null=True, blank=True)
    completed_by = models.CharField(_("completed by"), max_length=150, blank=True)
    # {"instrument": code, "rule_version": "...", "total": n, "subscales": [...], ...}; {} when not scored.
    scores = models.JSONField(_("scores"), default=dict, blank=True)

    class Meta(SiteScopedModel.Meta):
        ordering = ["participant_id", "visit", "form", "repeat"]
        constraints = [models.UniqueConstraint(fields=["participant", "visit", "form", "repeat"],
                                               name="capture_one_record_per_repeat")]
        indexes = [models.Index(fields=["participant", "form"])]

    def __str__(self) -> str:
        return f"{self.form} at {self.visit} ({self.repeat})"

    def audit_stream(self) -> str:
        return f"capture.formrecord:{self.pk}"

    @property
    def complete(self) -> bool:
        return self.status == FormStatus.COMPLETE


class GuardianLink(SiteScopedModel):
    """A one-time link for a guardian to fill one caregiver questionnaire (form) of one visit."""

    participant = models.ForeignKey("participants.Participant", on_delete=models.PROTECT,
                                    related_name="guardian_links")
    visit = models.CharField(_("visit"), max_length=40)
    form = models.CharField(_("form"), max_length=100)
    token_sha256 = models.CharField(max_length=64, unique=True)
    expires_at = models.DateTimeField(_("expires at"))
    issued_by = models.CharField(_("issued by"), max_length=150)
    reminder_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(_("first opened at"), null=True, blank=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)

    AUDIT_EXCLUDE: ClassVar[tuple[str, ...]] = (*SiteScopedModel.AUDIT_EXCLUDE,)

    class Meta(SiteScopedModel.Meta):
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"guardian link {self.form} at {self.visit}"

    def audit_stream(self) -> str:
        return f"capture.guardianlink:{self.pk}"
