"""Cohorts, SRC packets (frozen, hashed snapshots) and SRC decisions. Every record is trial-wide: a cohort
spans the sites, and the SRC decides for the trial.

- :class:`Cohort`: a group of participants dosed at one dose level. Cohort 1 opens at the protocol's start
  dose; every later cohort is opened by a signed SRC decision, at the dose it chose. Its state (open, full,
  in observation, awaiting decision, closed) is computed from live data (``rules.cohort_state``); only
  ``closed_at`` is stored.
- :class:`Packet`: what the SRC reviews, frozen: a canonical JSON snapshot and its SHA-256.
- :class:`Decision`: the SRC's decision on one packet, signed by each member (meaning "approved"); it takes
  effect at the protocol's quorum. Its signatures bind to the packet's hash and the decision's words, so a
  later state change (effective) does not void them.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from celltrial.core.models import TRIAL_WIDE, AuditedModel


class Cohort(AuditedModel):
    ESCALATION, EXPANSION = "escalation", "expansion"
    KINDS = [(ESCALATION, _("dose-finding cohort")), (EXPANSION, _("expansion cohort"))]

    number = models.PositiveSmallIntegerField(_("cohort"), unique=True)
    dose_level = models.CharField(_("dose level"), max_length=40)
    capacity = models.PositiveSmallIntegerField(_("places"))
    kind = models.CharField(_("kind"), max_length=16, choices=KINDS, default=ESCALATION)
    opened_at = models.DateTimeField(_("opened at"))
    opened_by = models.ForeignKey("escalation.Decision", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="opened_cohorts", verbose_name=_("opened by decision"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)

    site_path: ClassVar[str | None] = TRIAL_WIDE

    class Meta(AuditedModel.Meta):
        verbose_name = _("cohort")
        verbose_name_plural = _("cohorts")
        ordering = ["number"]

    def __str__(self) -> str:
        return f"cohort {self.number} ({self.dose_level})"


class Packet(AuditedModel):
    SENTINEL, COHORT = "sentinel", "cohort"
    KINDS = [(SENTINEL, _("sentinel review")), (COHORT, _("dose-escalation review"))]

    cohort = models.ForeignKey(Cohort, on_delete=models.PROTECT, related_name="packets", verbose_name=_("cohort"))
    kind = models.CharField(_("review"), max_length=16, choices=KINDS)
    snapshot = models.JSONField(_("snapshot"))
    snapshot_hash = models.CharField(_("snapshot hash"), max_length=64)
    frozen_at = models.DateTimeField(_("frozen at"))
    frozen_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT,
                                  related_name="+", verbose_name=_("frozen by"))

    site_path: ClassVar[str | None] = TRIAL_WIDE

    class Meta(AuditedModel.Meta):
        verbose_name = _("SRC packet")
        verbose_name_plural = _("SRC packets")
        ordering = ["-frozen_at", "-id"]

    def __str__(self) -> str:
        return f"SRC packet {self.pk} ({self.kind}, cohort {self.cohort.number})"


class Decision(AuditedModel):
    PROPOSED, EFFECTIVE, WITHDRAWN = "proposed", "effective", "withdrawn"
    STATUSES = [(PROPOSED, _("awaiting signatures")), (EFFECTIVE, _("signed: in effect")),
                (WITHDRAWN, _("withdrawn"))]

    packet = models.OneToOneField(Packet, on_delete=models.PROTECT, related_name="decision",
                                  verbose_name=_("packet"))
    choice = models.CharField(_("decision"), max_length=16)
    dose_level = models.CharField(_("next dose level"), max_length=40, blank=True)
    next_capacity = models.PositiveSmallIntegerField(_("places in the next cohort"), null=True, blank=True)
    recommended = models.CharField(_("recommendation"), max_length=16, blank=True)
    recommended_dose_level = models.CharField(_("recommended dose level"), max_length=40, blank=True)
    rationale = models.TextField(_("rationale"), blank=True)
    proposed_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("proposed by"))
    proposed_at = models.DateTimeField(_("proposed at"))
    quorum = models.PositiveSmallIntegerField(_("quorum"))
    status = models.CharField(_("status"), max_length=16, choices=STATUSES, default=PROPOSED)
    effective_at = models.DateTimeField(_("in effect from"), null=True, blank=True)

    site_path: ClassVar[str | None] = TRIAL_WIDE
    signature_meanings: ClassVar[tuple[str, ...]] = ("approved",)

    class Meta(AuditedModel.Meta):
        verbose_name = _("SRC decision")
        verbose_name_plural = _("SRC decisions")
        ordering = ["-proposed_at", "-id"]

    def __str__(self) -> str:
        return f"SRC decision {self.pk}: {self.choice}"

    def signature_content(self) -> dict[str, Any]:
        """What each member signs: the packet (by its hash) and the decision's words, not its status."""
        return {"packet": self.packet_id, "packet_hash": self.packet.snapshot_hash, "choice": self.choice,
                "dose_level": self.dose_level, "next_capacity": self.next_capacity,
                "recommended": self.recommended, "recommended_dose_level": self.recommended_dose_level,
                "rationale": self.rationale, "quorum": self.quorum}
