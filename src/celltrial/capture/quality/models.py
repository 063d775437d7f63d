"""Data-quality records: queries, SDV marks, freezes and locks, and the investigator's casebook.

Records are referred to by keys, not foreign keys: a participant's primary key and label, a visit
code, a form name, a repeat instance and a field, plus the model label and primary key of the target
record (``capture.formrecord`` by default). So a query can point at a form of the capture room or at
any other room's record (``safety.adverseevent`` 12, field ``grade``) without this app importing it,
and a query survives the record being re-created. The site is a real foreign key (``site_path``).
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from celltrial.core.models import AuditedModel, SiteScopedModel

FORM_RECORD = "capture.formrecord"


class QueryStatus(models.TextChoices):
    OPEN = "open", _("Open")
    ANSWERED = "answered", _("Answered")
    CLOSED = "closed", _("Closed")


class QueryOrigin(models.TextChoices):
    SYSTEM = "system", _("Edit check")
    MANUAL = "manual", _("Manual")


class Query(SiteScopedModel):
    """A question about one field of one record, raised by an edit check or by a person."""

    participant_pk = models.PositiveIntegerField(db_index=True)
    subject = models.CharField(max_length=40)
    target = models.CharField(max_length=100, default=FORM_RECORD)
    target_pk = models.CharField(max_length=40, blank=True)
    visit = models.CharField(max_length=40, blank=True)
    form = models.CharField(max_length=100, blank=True)
    repeat = models.PositiveSmallIntegerField(default=1)
    field = models.CharField(max_length=100, blank=True)
    check_id = models.CharField(max_length=40, blank=True)
    origin = models.CharField(max_length=8, choices=QueryOrigin.choices)
    status = models.CharField(max_length=8, choices=QueryStatus.choices, default=QueryStatus.OPEN)
    text = models.CharField(max_length=1000)
    text_zh = models.CharField(max_length=1000, blank=True)
    answer = models.CharField(max_length=1000, blank=True)
    note = models.CharField(max_length=1000, blank=True)
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    raised_at = models.DateTimeField()
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    answered_at = models.DateTimeField(null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+")
    closed_at = models.DateTimeField(null=True, blank=True)
    auto_closed = models.BooleanField(default=False)
    reopened = models.PositiveSmallIntegerField(default=0)

    class Meta(SiteScopedModel.Meta):
        ordering = ["-raised_at", "-id"]
        verbose_name_plural = "queries"
        indexes = [models.Index(fields=["site", "status"]),
                   models.Index(fields=["participant_pk", "visit", "form"])]

    def __str__(self) -> str:
        return f"query {self.pk} on {self.subject} {self.visit} {self.form}.{self.field}"

    def text_in(self, lang: str) -> str:
        return self.text_zh if lang.startswith("zh") and self.text_zh else self.text


class SdvMark(SiteScopedModel):
    """A monitor's source-data verification of one form; fields changed afterwards are listed."""

    participant_pk = models.PositiveIntegerField(db_index=True)
    subject = models.CharField(max_length=40)
    visit = models.CharField(max_length=40)
    form = models.CharField(max_length=100)
    repeat = models.PositiveSmallIntegerField(default=1)
    verified_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    verified_at = models.DateTimeField()
    record_version = models.PositiveIntegerField(null=True, blank=True)
    changed_fields = models.JSONField(default=list, blank=True)
    changed_at = models.DateTimeField(null=True, blank=True)

    class Meta(SiteScopedModel.Meta):
        ordering = ["participant_pk", "visit", "form", "repeat"]
        constraints = [models.UniqueConstraint(fields=["participant_pk", "visit", "form", "repeat"],
                                               name="one_sdv_mark_per_form")]

    def __str__(self) -> str:
        return f"SDV of {self.subject} {self.visit} {self.form} ({self.repeat})"

    @property
    def changed_since(self) -> bool:
        return bool(self.changed_fields)


class LockLevel(models.TextChoices):
    DATABASE = "database", _("Database")
    PARTICIPANT = "participant", _("Participant")
    VISIT = "visit", _("Visit")
    FORM = "form", _("Form")


class LockKind(models.TextChoices):
    FREEZE = "freeze", _("Frozen")
    LOCK = "lock", _("Locked")


class Lock(AuditedModel):
    """A freeze or lock of a form, a visit, a participant or the whole database (no site: trial-wide)."""

    site = models.ForeignKey("study.Site", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    level = models.CharField(max_length=12, choices=LockLevel.choices)
    kind = models.CharField(max_length=8, choices=LockKind.choices)
    scope_key = models.CharField(max_length=200)
    participant_pk = models.PositiveIntegerField(null=True, blank=True)
    subject = models.CharField(max_length=40, blank=True)
    visit = models.CharField(max_length=40, blank=True)
    form = models.CharField(max_length=100, blank=True)
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    placed_at = models.DateTimeField()
    placed_reason = models.CharField(max_length=1000, blank=True)
    active = models.BooleanField(default=True)
    released_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+")
    released_at = models.DateTimeField(null=True, blank=True)
    release_reason = models.CharField(max_length=1000, blank=True)

    site_path: ClassVar[str | None] = "site__code"

    class Meta(AuditedModel.Meta):
        ordering = ["-placed_at", "-id"]
        constraints = [models.UniqueConstraint(fields=["scope_key"], condition=models.Q(active=True),
                                               name="one_active_hold_per_scope")]
        indexes = [models.Index(fields=["active", "participant_pk"])]

    def __str__(self) -> str:
        where = " ".join(x for x in (self.subject, self.visit, self.form) if x) or "database"
        return f"{self.kind} of {self.level} {where}"


class Casebook(SiteScopedModel):
    """A participant's casebook, which the investigator signs: the signature binds to every form record
    of the participant (visit, form, repeat, version and a hash of its values), so a later change to any
    form voids it visibly."""

    participant_pk = models.PositiveIntegerField(unique=True)
    subject = models.CharField(max_length=40)

    signature_meanings: ClassVar[tuple[str, ...]] = ("approved", "authored")

    class Meta(SiteScopedModel.Meta):
        ordering = ["subject"]

    def __str__(self) -> str:
        return f"casebook of {self.subject}"

    def signature_content(self) -> dict[str, Any]:
        from celltrial.capture.quality import records

        return {"participant": self.participant_pk, "subject": self.subject,
                "records": records.fingerprint(self.participant_pk)}
