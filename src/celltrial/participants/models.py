"""The participants room's records: pre-screening, the identity vault, screening attempts, screening
data, eligibility decisions, consent documents and records, dissent, withdrawal and the visit calendar.

Clinical records carry the screening number or the pseudonymous subject ID, never a name: the
identity is in :class:`Identity`, encrypted, and every field of it is declared personal, so an audit
entry says that a field changed and never what it holds. No ``__str__`` here shows personal data
(audit entries and signatures keep ``str(record)``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from celltrial.core.models import SiteScopedModel
from celltrial.core.personal import personal
from celltrial.participants.vault import EncryptedTextField


class ReferralSource(models.TextChoices):
    OUTPATIENT = "outpatient", _("Hospital outpatient clinic")
    INPATIENT = "inpatient", _("Hospital inpatient ward")
    OTHER_HOSPITAL = "other_hospital", _("Referral from another hospital")
    REHABILITATION = "rehabilitation", _("Rehabilitation or special-education centre")
    ADVERTISEMENT = "advertisement", _("Study advertisement")
    FAMILY = "family", _("Family contacted the site")
    OTHER = "other", _("Other")


class AgeBand(models.TextChoices):
    UNDER_6 = "under_6", _("Under 6 years")
    AGE_6_11 = "6_11", _("6 to 11 years")
    AGE_12_17 = "12_17", _("12 to 17 years")
    ADULT = "18_plus", _("18 years or older")


class PrescreenOutcome(models.TextChoices):
    INVITED = "invited", _("Invited to screening")
    NOT_ELIGIBLE = "not_eligible", _("Not eligible at pre-screening")
    DECLINED = "declined", _("Family declined")
    NOT_REACHED = "not_reached", _("Could not be reached")
    PENDING = "pending", _("Decision pending")


class PreScreening(SiteScopedModel):
    """One line of the pre-screening log. It holds no personal data: a date, where the child was
    referred from, an age band, the outcome and its reason."""

    number = models.PositiveIntegerField()
    logged_on = models.DateField()
    referral_source = models.CharField(max_length=32, choices=ReferralSource.choices)
    age_band = models.CharField(max_length=16, choices=AgeBand.choices)
    outcome = models.CharField(max_length=16, choices=PrescreenOutcome.choices)
    # Not "reason": that is the audit reason for a change, an argument of every operation.
    outcome_reason = models.CharField(max_length=500, blank=True)

    class Meta(SiteScopedModel.Meta):
        ordering = ["-logged_on", "-number"]
        constraints = [models.UniqueConstraint(fields=["site", "number"], name="prescreening_number_per_site")]

    def __str__(self) -> str:
        return f"pre-screening {self.site_id}-{self.number}"

    def audit_stream(self) -> str:
        return f"participants.prescreening:{self.pk}"


class IdType(models.TextChoices):
    RESIDENT = "cn_resident", _("Resident identity card (China)")
    PASSPORT = "passport", _("Passport")
    OTHER = "other", _("Other document")


class Identity(SiteScopedModel):
    """The identity vault: who the child is. Every personal field is encrypted and declared personal."""

    full_name = personal(EncryptedTextField())
    date_of_birth = personal(EncryptedTextField())  # ISO YYYY-MM-DD
    sex = personal(EncryptedTextField())  # the data dictionary's codes: 1 male, 2 female
    id_type = models.CharField(max_length=16, choices=IdType.choices, default=IdType.RESIDENT)
    id_number = personal(EncryptedTextField(blank=True))
    # HMAC-SHA256 of the ID number under the vault's index key: finds a child screened before.
    id_number_index = personal(models.CharField(max_length=64, blank=True, db_index=True))
    address = personal(EncryptedTextField(blank=True))
    guardian1_name = personal(EncryptedTextField())
    guardian1_relationship = personal(EncryptedTextField())
    guardian1_phone = personal(EncryptedTextField())
    guardian2_name = personal(EncryptedTextField(blank=True))
    guardian2_relationship = personal(EncryptedTextField(blank=True))
    guardian2_phone = personal(EncryptedTextField(blank=True))
    # The vault key that encrypted this row at its last save (rotation re-saves rows under the new key).
    key_id = models.CharField(max_length=16)

    class Meta(SiteScopedModel.Meta):
        ordering = ["id"]
        verbose_name_plural = "identities"

    def __str__(self) -> str:
        return f"identity {self.pk}"

    def dob(self) -> dt.date | None:
        try:
            return dt.date.fromisoformat(self.date_of_birth) if self.date_of_birth else None
        except ValueError:
            return None

    def guardian(self, slot: int) -> dict[str, str]:
        return {"name": getattr(self, f"guardian{slot}_name"),
                "relationship": getattr(self, f"guardian{slot}_relationship"),
                "phone": getattr(self, f"guardian{slot}_phone")}


IDENTITY_FIELDS = ("full_name", "date_of_birth", "sex", "id_type", "id_number", "address",
                   "guardian1_name", "guardian1_relationship", "guardian1_phone",
                   "guardian2_name", "guardian2_relationship", "guardian2_phone")


class Status(models.TextChoices):
    SCREENING = "screening", _("In screening")
    SCREEN_FAILED = "screen_failed", _("Screen failure")
    ENROLLED = "enrolled", _("Enrolled")
    WITHDRAWN = "withdrawn", _("Withdrawn")


class Language(models.TextChoices):
    ZH = "zh-hans", _("Chinese")
    EN = "en", _("English")


class Participant(SiteScopedModel):
    """A screening attempt of a child; enrolment makes it a subject. A re-screening is a new
    attempt with its own screening number, linked to the earlier one, with the same identity."""

    identity = models.ForeignKey(Identity, on_delete=models.PROTECT, related_name="attempts")
    screening_number = models.CharField(max_length=20, unique=True)
    screening_sequence = models.PositiveIntegerField()
    rescreen_of = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="rescreened_as")
    prescreening = models.OneToOneField(PreScreening, null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="participant")
    screened_on = models.DateField()
    consent_language = models.CharField(max_length=8, choices=Language.choices, default=Language.ZH)
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.SCREENING)
    paused = models.BooleanField(default=False)
    subject_id = models.CharField(max_length=20, unique=True, null=True, blank=True)
    subject_sequence = models.PositiveIntegerField(null=True, blank=True)
    cohort = models.PositiveSmallIntegerField(null=True, blank=True)
    dose_level = models.CharField(max_length=40, blank=True)
    enrolled_at = models.DateTimeField(null=True, blank=True)
    day0 = models.DateField(null=True, blank=True)
    dosed_on = models.DateField(null=True, blank=True)

    class Meta(SiteScopedModel.Meta):
        ordering = ["screening_number"]
        constraints = [
            models.UniqueConstraint(fields=["site", "screening_sequence"], name="screening_sequence_per_site"),
            models.UniqueConstraint(fields=["site", "subject_sequence"], name="subject_sequence_per_site"),
        ]
        indexes = [models.Index(fields=["site", "status"])]

    def __str__(self) -> str:
        return self.subject_id or self.screening_number

    def audit_stream(self) -> str:
        return f"participants.participant:{self.pk}"

    @property
    def label(self) -> str:
        return self.subject_id or self.screening_number


class EligibilityOutcome(models.TextChoices):
    ELIGIBLE = "eligible", _("Eligible")
    NOT_ELIGIBLE = "not_eligible", _("Not eligible (screen failure)")


class EligibilityDecision(SiteScopedModel):
    """The investigator's eligibility decision, signed (meaning "approved") on a frozen snapshot of
    every criterion and the values it read; ``snapshot_hash`` is the SHA-256 of that snapshot.

    A later change to a value the decision used marks it stale (``stale_at``, ``stale_changes``);
    the signature stays as the evidence of what was known then, and what it covers is the decision
    itself (see :meth:`signature_content`), not the staleness marker.
    """

    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="eligibility_decisions")
    outcome = models.CharField(max_length=16, choices=EligibilityOutcome.choices)
    snapshot = models.JSONField()
    snapshot_hash = models.CharField(max_length=64)
    failing_criteria = models.JSONField(default=list, blank=True)
    evaluated_at = models.DateTimeField()
    stale_at = models.DateTimeField(null=True, blank=True)
    stale_changes = models.JSONField(default=dict, blank=True)

    signature_meanings: ClassVar[tuple[str, ...]] = ("approved",)
    SIGNED_FIELDS: ClassVar[tuple[str, ...]] = ("participant_id", "outcome", "snapshot", "snapshot_hash",
                                                "failing_criteria", "evaluated_at")

    class Meta(SiteScopedModel.Meta):
        ordering = ["-evaluated_at", "-id"]

    def __str__(self) -> str:
        return f"eligibility decision {self.pk}"

    def signature_content(self) -> dict[str, Any]:
        values = self.audited_values()
        return {k: values[k] for k in self.SIGNED_FIELDS}


class DocumentKind(models.TextChoices):
    GUARDIAN = "guardian", _("Guardian informed consent form")
    ASSENT = "assent", _("Child assent form")


class ConsentDocument(SiteScopedModel):
    """A version of a consent or assent form for one site and language, approved by the ethics
    committee: the file is kept with its SHA-256."""

    kind = models.CharField(max_length=16, choices=DocumentKind.choices)
    language = models.CharField(max_length=8, choices=Language.choices)
    # Not "version": that is the record's own edit counter (AuditedModel.version).
    form_version = models.CharField(max_length=32)
    ec_approved_on = models.DateField()
    valid_from = models.DateField()
    valid_until = models.DateField(null=True, blank=True)
    file_name = models.CharField(max_length=200)
    file_sha256 = models.CharField(max_length=64)
    file_size = models.PositiveIntegerField()

    class Meta(SiteScopedModel.Meta):
        ordering = ["kind", "language", "-valid_from", "-id"]
        constraints = [models.UniqueConstraint(fields=["site", "kind", "language", "form_version"],
                                               name="consent_document_version_unique")]

    def __str__(self) -> str:
        return f"{self.kind} form {self.language} v{self.form_version}"


class ConsentKind(models.TextChoices):
    GUARDIAN = "guardian", _("Guardian consent")
    ASSENT = "assent", _("Child assent")


class ConsentOutcome(models.TextChoices):
    GIVEN = "given", _("Given")
    DECLINED = "declined", _("Declined")
    NOT_OBTAINABLE = "not_obtainable", _("Could not be obtained (reason documented)")


class ConsentMethod(models.TextChoices):
    WRITTEN = "written", _("Written")
    VERBAL = "verbal", _("Verbal")
    PICTORIAL = "pictorial", _("Pictorial")


class ConsentRecord(SiteScopedModel):
    """A guardian's consent or the child's assent, on one document version.

    The signer is a guardian of the identity vault (by slot) or the child; the evidence is the
    e-signature (meaning "authored") of the person who obtained it, or a scan of the signed paper
    form, stored encrypted like the vault.
    """

    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="consent_records")
    kind = models.CharField(max_length=16, choices=ConsentKind.choices)
    guardian_slot = models.PositiveSmallIntegerField(null=True, blank=True)
    document = models.ForeignKey(ConsentDocument, on_delete=models.PROTECT, related_name="records")
    obtained_at = models.DateTimeField()
    method = models.CharField(max_length=16, choices=ConsentMethod.choices, default=ConsentMethod.WRITTEN)
    outcome = models.CharField(max_length=16, choices=ConsentOutcome.choices, default=ConsentOutcome.GIVEN)
    not_obtainable_reason = models.CharField(max_length=1000, blank=True)
    guardian_can_read = models.BooleanField(default=True)
    witness_name = personal(EncryptedTextField(blank=True))
    obtained_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+")
    scan_file = models.CharField(max_length=100, blank=True)
    scan_sha256 = models.CharField(max_length=64, blank=True)
    scan_size = models.PositiveIntegerField(null=True, blank=True)
    key_id = models.CharField(max_length=16, blank=True)

    signature_meanings: ClassVar[tuple[str, ...]] = ("authored",)

    class Meta(SiteScopedModel.Meta):
        ordering = ["obtained_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind} record {self.pk}"


class Dissent(SiteScopedModel):
    """The child's dissent: procedures pause until an investigator resolves it."""

    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="dissents")
    occurred_at = models.DateTimeField()
    context = models.CharField(max_length=200)
    description = models.CharField(max_length=1000, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    resolution = models.CharField(max_length=16, blank=True,
                                  choices=[("resume", _("Procedures resumed")), ("withdraw", _("Withdrawn"))])
    resolution_note = models.CharField(max_length=1000, blank=True)

    class Meta(SiteScopedModel.Meta):
        ordering = ["-occurred_at"]

    def __str__(self) -> str:
        return f"dissent {self.pk}"


class WithdrawalScope(models.TextChoices):
    PRODUCT = "product", _("Stop the study product; visits and data collection continue")
    VISITS = "visits", _("Stop the product and study visits; no visit data collected")
    ALL = "all", _("Stop all data collection")


class Withdrawal(SiteScopedModel):
    participant = models.OneToOneField(Participant, on_delete=models.PROTECT, related_name="withdrawal")
    withdrawn_on = models.DateField()
    requested_by = models.CharField(max_length=16, choices=[
        ("guardian", _("Guardian")), ("child", _("Child")), ("investigator", _("Investigator")),
        ("sponsor", _("Sponsor"))])
    scope = models.CharField(max_length=16, choices=WithdrawalScope.choices)
    data_use_allowed = models.BooleanField(help_text=_("Data collected so far may be used"))
    withdrawal_reason = models.CharField(max_length=1000)

    class Meta(SiteScopedModel.Meta):
        ordering = ["-withdrawn_on"]

    def __str__(self) -> str:
        return f"withdrawal {self.pk}"


class VisitStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    DONE = "done", _("Done")
    MISSED = "missed", _("Missed")
    CANCELLED = "cancelled", _("Cancelled")


class Visit(SiteScopedModel):
    """A participant's visit of the schedule of activities, with its target date and window."""

    participant = models.ForeignKey(Participant, on_delete=models.PROTECT, related_name="visits")
    code = models.CharField(max_length=40)
    order = models.PositiveSmallIntegerField()
    day = models.IntegerField()
    target_date = models.DateField(null=True, blank=True)
    earliest = models.DateField(null=True, blank=True)
    latest = models.DateField(null=True, blank=True)
    actual_date = models.DateField(null=True, blank=True)
    status = models.CharField(max_length=16, choices=VisitStatus.choices, default=VisitStatus.SCHEDULED)

    class Meta(SiteScopedModel.Meta):
        ordering = ["participant_id", "order"]
        constraints = [models.UniqueConstraint(fields=["participant", "code"], name="one_visit_per_code")]
        indexes = [models.Index(fields=["site", "status", "latest"])]

    def __str__(self) -> str:
        return f"visit {self.code} of participant {self.participant_id}"

