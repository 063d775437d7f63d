"""The safety room's records: adverse events (with their versions), the reference safety information, the
MedDRA release loaded by the sponsor, reporting obligations with their submissions and notices, other
safety information, and the DLT adjudication of each dosed participant.

Sites. An adverse event, its versions, its obligations and notices, and a participant's DLT adjudication
belong to the participant's site. The RSI, the MedDRA release and "other potential serious safety risk
information" are trial-wide (the sponsor's), as are their obligations.
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from celltrial.core.models import TRIAL_WIDE, AuditedModel

SERIOUSNESS = [
    ("death", _("results in death")),
    ("life-threatening", _("is life-threatening")),
    ("hospitalisation", _("requires or prolongs hospitalisation")),
    ("disability", _("results in persistent or significant disability/incapacity")),
    ("congenital-anomaly", _("is a congenital anomaly/birth defect")),
    ("important-medical-event", _("is another important medical event")),
]
CAUSALITY = [
    ("not_related", _("not related")),
    ("unlikely", _("unlikely related")),
    ("possibly", _("possibly related")),
    ("probably", _("probably related")),
    ("definitely", _("definitely related")),
]
RELATED = frozenset({"possibly", "probably", "definitely"})
ACTIONS = [
    ("none", _("none (infusion completed)")),
    ("interrupted", _("infusion interrupted")),
    ("stopped", _("infusion stopped")),
    ("not_applicable", _("not applicable (after the infusion)")),
]
OUTCOMES = [
    ("recovering", _("recovering/resolving")),
    ("recovered", _("recovered/resolved")),
    ("recovered_sequelae", _("recovered/resolved with sequelae")),
    ("not_recovered", _("not recovered/not resolved")),
    ("fatal", _("fatal")),
    ("unknown", _("unknown")),
]
AESI = [
    ("infusion_reaction", _("infusion reaction")),
    ("thromboembolism", _("thromboembolism")),
    ("infection", _("infection")),
    ("ectopic_tissue", _("ectopic tissue formation")),
    ("tumour", _("tumour formation")),
]


class MeddraRelease(AuditedModel):
    """A MedDRA release the sponsor loaded (the dictionary itself stays in the data directory, never the repo)."""

    meddra_version = models.CharField(_("MedDRA version"), max_length=20, unique=True)
    path = models.CharField(_("stored file"), max_length=500)
    content_hash = models.CharField(_("content hash"), max_length=64)
    counts = models.JSONField(_("terms"), default=dict, blank=True)
    source = models.CharField(_("loaded from"), max_length=500, blank=True)

    site_path: ClassVar[str | None] = TRIAL_WIDE

    class Meta(AuditedModel.Meta):
        verbose_name = _("MedDRA release")
        verbose_name_plural = _("MedDRA releases")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"MedDRA {self.meddra_version}"


class RsiVersion(AuditedModel):
    """A version of the reference safety information (the IB section of expected reactions)."""

    rsi_version = models.CharField(_("RSI version"), max_length=40, unique=True)
    effective_from = models.DateField(_("in force from"))
    document = models.CharField(_("document"), max_length=200)
    expected = models.JSONField(_("expected terms (term: highest expected grade)"), default=dict, blank=True)

    site_path: ClassVar[str | None] = TRIAL_WIDE

    class Meta(AuditedModel.Meta):
        verbose_name = _("reference safety information")
        verbose_name_plural = _("reference safety information versions")
        ordering = ["-effective_from"]

    def __str__(self) -> str:
        return f"RSI {self.rsi_version}"


class AdverseEvent(AuditedModel):
    """The current version of one adverse event of one participant (earlier versions: :class:`AeVersion`)."""

    participant = models.ForeignKey("participants.Participant", on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("participant"))
    site = models.ForeignKey("study.Site", on_delete=models.PROTECT, related_name="+", verbose_name=_("site"))
    number = models.PositiveIntegerField(_("AE number"))
    info_version = models.PositiveIntegerField(_("information version"), default=1)
    verbatim = models.CharField(_("verbatim term"), max_length=200)
    meddra_version = models.CharField(_("MedDRA version"), max_length=20, blank=True)
    meddra_llt_code = models.CharField(_("MedDRA LLT code"), max_length=12, blank=True)
    meddra_llt = models.CharField(_("MedDRA LLT"), max_length=200, blank=True)
    meddra_pt_code = models.CharField(_("MedDRA PT code"), max_length=12, blank=True)
    meddra_pt = models.CharField(_("MedDRA PT"), max_length=200, blank=True)
    meddra_soc = models.CharField(_("MedDRA SOC"), max_length=200, blank=True)
    onset = models.CharField(_("onset date"), max_length=10)
    resolved = models.CharField(_("resolution date"), max_length=10, blank=True)
    ctcae_term = models.CharField(_("CTCAE term"), max_length=40, blank=True)
    findings = models.JSONField(_("findings"), default=list, blank=True)
    grade_suggested = models.PositiveSmallIntegerField(_("suggested grade"), null=True, blank=True)
    grade_basis = models.TextField(_("basis of the suggestion"), blank=True)
    grade = models.PositiveSmallIntegerField(_("CTCAE grade"), null=True, blank=True)
    grade_confirmed = models.BooleanField(_("grade confirmed by the investigator"), default=False)
    ctcae_version = models.CharField(_("CTCAE version"), max_length=8, default="5.0")
    seriousness = models.JSONField(_("seriousness criteria"), default=list, blank=True)
    causality_investigator = models.CharField(_("causality (investigator)"), max_length=16, choices=CAUSALITY,
                                              blank=True)
    causality_sponsor = models.CharField(_("causality (sponsor)"), max_length=16, choices=CAUSALITY, blank=True)
    expected = models.BooleanField(_("expected"), null=True, blank=True)
    rsi_version = models.CharField(_("RSI version"), max_length=40, blank=True)
    expectedness_basis = models.TextField(_("expectedness basis"), blank=True)
    site_aware_at = models.DateTimeField(_("site aware at"), null=True, blank=True)
    sponsor_aware_on = models.DateField(_("sponsor first aware on"), null=True, blank=True)
    upgraded_on = models.DateField(_("sponsor learned fatal/life-threatening on"), null=True, blank=True)
    action_taken = models.CharField(_("action taken with the product"), max_length=16, choices=ACTIONS,
                                    default="not_applicable")
    outcome = models.CharField(_("outcome"), max_length=20, choices=OUTCOMES, default="recovering")
    aesi = models.JSONField(_("adverse events of special interest"), default=list, blank=True)
    lot = models.CharField(_("product lot (as entered)"), max_length=40, blank=True)
    narrative = models.TextField(_("narrative"), blank=True)

    site_path: ClassVar[str | None] = "site__code"

    class Meta(AuditedModel.Meta):
        verbose_name = _("adverse event")
        verbose_name_plural = _("adverse events")
        ordering = ["participant_id", "number"]
        constraints = [models.UniqueConstraint(fields=["participant", "number"], name="ae_number_per_participant")]

    def __str__(self) -> str:
        return f"AE {self.number} {self.verbatim}"

    @property
    def serious(self) -> bool:
        return bool(self.seriousness)

    @property
    def seriousness_labels(self) -> list[Any]:
        labels = dict(SERIOUSNESS)
        return [labels.get(c, c) for c in self.seriousness]

    @property
    def aesi_labels(self) -> list[Any]:
        labels = dict(AESI)
        return [labels.get(c, c) for c in self.aesi]

    @property
    def related_investigator(self) -> bool:
        return self.causality_investigator in RELATED

    @property
    def related_sponsor(self) -> bool:
        return self.causality_sponsor in RELATED

    @property
    def related(self) -> bool:
        return self.related_investigator or self.related_sponsor

    @property
    def fatal_or_life_threatening(self) -> bool:
        return bool({"death", "life-threatening"} & set(self.seriousness)) or self.outcome == "fatal"

    @property
    def susar(self) -> bool:
        return self.serious and self.expected is not True and self.related


class AeVersion(AuditedModel):
    """One version of an AE's information: the initial report or a follow-up, as it stood then."""

    ae = models.ForeignKey(AdverseEvent, on_delete=models.PROTECT, related_name="versions",
                           verbose_name=_("adverse event"))
    number = models.PositiveIntegerField(_("version"))
    kind = models.CharField(_("kind"), max_length=12, choices=[("initial", _("initial")),
                                                               ("follow_up", _("follow-up"))])
    received_on = models.DateField(_("information received on"))
    snapshot = models.JSONField(_("the AE as of this version"))
    changes = models.JSONField(_("changed fields"), default=dict, blank=True)
    note = models.TextField(_("note"), blank=True)

    site_path: ClassVar[str | None] = "ae__site__code"

    class Meta(AuditedModel.Meta):
        verbose_name = _("AE version")
        verbose_name_plural = _("AE versions")
        ordering = ["ae_id", "number"]
        constraints = [models.UniqueConstraint(fields=["ae", "number"], name="ae_version_number")]

    def __str__(self) -> str:
        return f"{self.ae} v{self.number}"


class SafetyInformation(AuditedModel):
    """"Other potential serious safety risk information" (CDE 2018): e.g. a non-clinical finding."""

    title = models.CharField(_("title"), max_length=200)
    description = models.TextField(_("description"))
    sponsor_aware_on = models.DateField(_("sponsor first aware on"))

    site_path: ClassVar[str | None] = TRIAL_WIDE

    class Meta(AuditedModel.Meta):
        verbose_name = _("other safety risk information")
        verbose_name_plural = _("other safety risk information")
        ordering = ["-sponsor_aware_on"]

    def __str__(self) -> str:
        return self.title


class Obligation(AuditedModel):
    """One reporting obligation on its own clock, met by a recorded submission."""

    KINDS = [
        ("site_notice", _("SAE notification site → sponsor (24 h)")),
        ("susar_15", _("SUSAR report (15-day)")),
        ("susar_7", _("SUSAR first report (7-day)")),
        ("susar_7_upgrade", _("SUSAR report after upgrade (7-day)")),
        ("susar_complete", _("SUSAR complete report (+8 days)")),
        ("other_risk", _("Other potential serious safety risk information (15-day)")),
    ]
    OPEN, MET, WITHDRAWN = "open", "met", "withdrawn"

    ae = models.ForeignKey(AdverseEvent, null=True, blank=True, on_delete=models.PROTECT,
                           related_name="obligations", verbose_name=_("adverse event"))
    information = models.ForeignKey(SafetyInformation, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="obligations", verbose_name=_("safety information"))
    site = models.ForeignKey("study.Site", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("site"))
    kind = models.CharField(_("obligation"), max_length=20, choices=KINDS)
    recipient = models.CharField(_("to"), max_length=200)
    starts_at = models.DateTimeField(_("clock starts"))
    due_at = models.DateTimeField(_("due"))
    time_zone = models.CharField(_("time zone"), max_length=64)
    rule = models.TextField(_("rule"))
    citation = models.TextField(_("source"))
    status = models.CharField(_("status"), max_length=12, default=OPEN,
                              choices=[(OPEN, _("open")), (MET, _("met")), (WITHDRAWN, _("withdrawn"))])

    site_path: ClassVar[str | None] = "site__code"

    class Meta(AuditedModel.Meta):
        verbose_name = _("reporting obligation")
        verbose_name_plural = _("reporting obligations")
        ordering = ["due_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} ({self.ae or self.information})"


class Submission(AuditedModel):
    """What met an obligation: when it was sent, to whom, under which reference."""

    obligation = models.ForeignKey(Obligation, on_delete=models.PROTECT, related_name="submissions",
                                   verbose_name=_("obligation"))
    submitted_at = models.DateTimeField(_("submitted at"))
    recipient = models.CharField(_("recipient"), max_length=200)
    reference = models.CharField(_("reference"), max_length=100)

    site_path: ClassVar[str | None] = "obligation__site__code"

    class Meta(AuditedModel.Meta):
        verbose_name = _("submission")
        verbose_name_plural = _("submissions")
        ordering = ["-submitted_at"]

    def __str__(self) -> str:
        return f"{self.reference} → {self.recipient}"


class SafetyNotice(AuditedModel):
    """An in-app notice (also emailed) about an obligation: at awareness, at half time, when overdue."""

    MOMENTS = [("awareness", _("clock started")), ("half", _("half the time gone")), ("overdue", _("overdue"))]

    recipient = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("recipient"))
    obligation = models.ForeignKey(Obligation, on_delete=models.PROTECT, related_name="notices",
                                   verbose_name=_("obligation"))
    site = models.ForeignKey("study.Site", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("site"))
    moment = models.CharField(_("moment"), max_length=12, choices=MOMENTS)
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"))
    emailed = models.BooleanField(_("emailed"), default=False)

    site_path: ClassVar[str | None] = "site__code"

    class Meta(AuditedModel.Meta):
        verbose_name = _("safety notice")
        verbose_name_plural = _("safety notices")
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["obligation", "recipient", "moment"],
                                               name="one_notice_per_moment")]

    def __str__(self) -> str:
        return self.subject


class DltAdjudication(AuditedModel):
    """A dosed participant's DLT assessment: the platform's proposals, the investigator's decision, and the
    confirmations (e-signatures) of the investigator and the medical monitor."""

    DECISIONS = [("dlt", _("DLT")), ("no_dlt", _("no DLT")), ("not_evaluable", _("not evaluable"))]

    participant = models.OneToOneField("participants.Participant", on_delete=models.PROTECT, related_name="+",
                                       verbose_name=_("participant"))
    site = models.ForeignKey("study.Site", on_delete=models.PROTECT, related_name="+", verbose_name=_("site"))
    dosed_on = models.DateField(_("dosed on (Day 0)"))
    window_end = models.DateField(_("DLT window ends"))
    proposals = models.JSONField(_("proposed by the platform"), default=list, blank=True)
    decision = models.CharField(_("decision"), max_length=16, choices=DECISIONS, blank=True)
    criteria_met = models.JSONField(_("criteria met"), default=list, blank=True)
    dlt_aes = models.JSONField(_("AEs that are DLTs"), default=list, blank=True)
    comment = models.TextField(_("comment"), blank=True)

    site_path: ClassVar[str | None] = "site__code"
    signature_meanings: ClassVar[tuple[str, ...]] = ("approved", "reviewed")

    class Meta(AuditedModel.Meta):
        verbose_name = _("DLT adjudication")
        verbose_name_plural = _("DLT adjudications")
        ordering = ["dosed_on"]

    def __str__(self) -> str:
        return f"DLT {self.participant_id}"

    def signature_content(self) -> dict[str, Any]:
        """The signatures bind the decision, never the refreshed proposals' wording."""
        values = self.audited_values()
        return {k: values[k] for k in ("participant_id", "dosed_on", "window_end", "decision", "criteria_met",
                                        "dlt_aes", "comment")}
