"""The labs room's records: versioned reference-range sets of each site laboratory and their rows, lab
results (the value and unit as entered, the SI value, the row used, the flag and the CTCAE grade with its
version), and infusion-day vital signs with the CTCAE fever grade.

A participant is referred to by a foreign key to ``participants.Participant`` (by app label: no import of
the participants room); its site is copied onto each record, so site scoping needs no join into that room.
"""

from __future__ import annotations

from typing import ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from celltrial.core.models import AuditedModel, SiteScopedModel


class ReferenceRangeSet(SiteScopedModel):
    """One version of one site laboratory's reference ranges. Rows never change: a new version is loaded."""

    lab = models.CharField(_("laboratory"), max_length=200)
    set_version = models.CharField(_("version"), max_length=40)
    title = models.CharField(_("title"), max_length=200, blank=True)
    illustrative = models.BooleanField(_("illustrative"), default=False)
    source_name = models.CharField(_("source file"), max_length=255)
    content_hash = models.CharField(_("content hash"), max_length=64)

    class Meta(SiteScopedModel.Meta):
        ordering = ["site_id", "lab", "-id"]
        verbose_name = _("reference-range set")
        verbose_name_plural = _("reference-range sets")
        constraints = [models.UniqueConstraint(fields=["site", "lab", "set_version"], name="labs_range_set_version")]

    def __str__(self) -> str:
        return f"reference ranges {self.lab} v{self.set_version}"


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")
    ANY = "*", _("Both")


class ReferenceRange(AuditedModel):
    """One row: an analyte's limits (SI) for one sex and an age interval [age_from, age_to) in years."""

    range_set = models.ForeignKey(ReferenceRangeSet, on_delete=models.PROTECT, related_name="rows",
        verbose_name=_("reference-range set"))
    analyte = models.CharField(_("analyte"), max_length=20)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices)
    age_from = models.DecimalField(_("age from (years)"), max_digits=6, decimal_places=2)
    age_to = models.DecimalField(_("age to (years)"), max_digits=6, decimal_places=2, null=True, blank=True)
    low = models.DecimalField(_("lower limit"), max_digits=20, decimal_places=6, null=True, blank=True)
    high = models.DecimalField(_("upper limit"), max_digits=20, decimal_places=6, null=True, blank=True)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    line = models.PositiveIntegerField(_("line in the file"), default=0)

    site_path: ClassVar[str | None] = "range_set__site__code"

    class Meta(AuditedModel.Meta):
        ordering = ["range_set_id", "line", "id"]
        verbose_name = _("reference range")
        verbose_name_plural = _("reference ranges")

    def __str__(self) -> str:
        upper = "" if self.age_to is None else f"{self.age_to:g}"
        return f"{self.analyte} {self.sex} {self.age_from:g}–{upper} y"


class LabResult(SiteScopedModel):
    """One analyte of one panel drawn at one visit."""

    participant = models.ForeignKey("participants.Participant", on_delete=models.PROTECT, related_name="+",
        verbose_name=_("participant"))
    visit = models.CharField(_("visit"), max_length=20)
    collected_at = models.DateTimeField(_("collected at"))
    panel = models.CharField(_("panel"), max_length=20)
    analyte = models.CharField(_("analyte"), max_length=20)
    value = models.DecimalField(_("value as entered"), max_digits=20, decimal_places=6)
    unit = models.CharField(_("unit as entered"), max_length=30, blank=True)
    si_value = models.DecimalField(_("SI value"), max_digits=24, decimal_places=6)
    si_unit = models.CharField(_("SI unit"), max_length=20, blank=True)
    age_years = models.DecimalField(_("age at sampling (years)"), max_digits=5, decimal_places=2)
    sex = models.CharField(_("sex"), max_length=1, choices=[("M", _("Male")), ("F", _("Female"))])
    range_row = models.ForeignKey(ReferenceRange, on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("reference range used"))
    flag = models.CharField(_("flag"), max_length=1, blank=True)
    baseline_si = models.DecimalField(_("baseline (SI)"), max_digits=24, decimal_places=6, null=True, blank=True)
    grade = models.PositiveSmallIntegerField(_("CTCAE grade"), null=True, blank=True)
    ctcae_term = models.CharField(_("CTCAE term"), max_length=100, blank=True)
    ctcae_version = models.CharField(_("CTCAE version"), max_length=10, blank=True)
    grade_criterion = models.TextField(_("grading criterion"), blank=True)
    comment = models.CharField(_("comment"), max_length=500, blank=True)

    class Meta(SiteScopedModel.Meta):
        ordering = ["participant_id", "collected_at", "id"]
        verbose_name = _("lab result")
        verbose_name_plural = _("lab results")
        constraints = [models.UniqueConstraint(fields=["participant", "visit", "analyte", "collected_at"],
                                               name="labs_one_result_per_draw")]
        indexes = [models.Index(fields=["participant", "analyte"])]

    def __str__(self) -> str:
        return f"{self.analyte} at {self.visit} ({self.collected_at:%Y-%m-%d})"

    @property
    def value_text(self) -> str:
        """The value as typed, without exponent or trailing zeros ("245", not "2.45E+2")."""
        return format(self.value.normalize(), "f")


class TimePoint(models.TextChoices):
    PRE = "pre", _("Before infusion")
    MIN15 = "15m", _("15 min")
    MIN30 = "30m", _("30 min")
    H1 = "1h", _("1 h")
    H2 = "2h", _("2 h")
    H4 = "4h", _("4 h")


class InfusionVitals(SiteScopedModel):
    """The vital signs at one time point of the infusion day, the fever graded with CTCAE v5.0."""

    participant = models.ForeignKey("participants.Participant", on_delete=models.PROTECT, related_name="+",
        verbose_name=_("participant"))
    time_point = models.CharField(_("time point"), max_length=4, choices=TimePoint.choices)
    infusion_started_at = models.DateTimeField(_("infusion started at"))
    measured_at = models.DateTimeField(_("measured at"))
    minutes_from_nominal = models.IntegerField(_("minutes from the nominal time"), default=0)
    temperature_c = models.DecimalField(_("temperature (°C)"), max_digits=4, decimal_places=1)
    heart_rate = models.PositiveSmallIntegerField(_("heart rate (beats/min)"))
    systolic_bp = models.PositiveSmallIntegerField(_("systolic BP (mmHg)"))
    diastolic_bp = models.PositiveSmallIntegerField(_("diastolic BP (mmHg)"))
    resp_rate = models.PositiveSmallIntegerField(_("respiratory rate (breaths/min)"))
    spo2 = models.PositiveSmallIntegerField(_("SpO2 (%)"))
    fever_grade = models.PositiveSmallIntegerField(_("CTCAE fever grade"), null=True, blank=True)
    ctcae_version = models.CharField(_("CTCAE version"), max_length=10, blank=True)
    fever_criterion = models.TextField(_("grading criterion"), blank=True)

    class Meta(SiteScopedModel.Meta):
        ordering = ["participant_id", "measured_at"]
        verbose_name = _("infusion-day vital signs")
        verbose_name_plural = _("infusion-day vital signs")
        constraints = [models.UniqueConstraint(fields=["participant", "time_point"], name="labs_one_vitals_per_point")]

    def __str__(self) -> str:
        return f"infusion vitals {self.time_point}"
