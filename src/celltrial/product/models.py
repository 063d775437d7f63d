"""The product room's records: donor → collection → culture batch → lot → QC → release → units → custody
→ allocation → bedside check → administration, and recalls.

Sites. Manufacturing records (rule sets, donors, collections, batches, steps, materials, deviations, lots,
QC results, investigations, releases, recalls) are trial-wide: they belong to the sponsor, not to a site.
A unit is trial-wide while it is at the manufacturer and becomes site-scoped when it is shipped: its
``site`` is the destination of its last shipment, so a site's pharmacist sees the units sent to that site
and not another site's. Custody events, shipments, allocations, bedside checks and administrations carry
the site they happened at (a manufacturer event has none, so it is trial-wide). A site user reaches the
trial-wide records of the product at their site through its units (``services.visible``).
"""

from __future__ import annotations

from typing import Any, ClassVar

from django.db import models
from django.utils.translation import gettext_lazy as _

from celltrial.core.canonical import content_hash, jsonable
from celltrial.core.models import TRIAL_WIDE, AuditedModel


class Specification(AuditedModel):
    """One version of a release specification or a donor rule set, stored as the data it was loaded from."""

    RELEASE = "release"
    DONOR = "donor"
    KINDS = [(RELEASE, _("release specification")), (DONOR, _("donor eligibility rules"))]

    kind = models.CharField(_("kind"), max_length=16, choices=KINDS)
    version_id = models.CharField(_("version"), max_length=100, unique=True)
    title = models.CharField(_("title"), max_length=200, blank=True)
    content = models.JSONField(_("content"))
    content_hash = models.CharField(_("content hash"), max_length=64)
    source_name = models.CharField(_("source file"), max_length=255, blank=True)

    site_path: ClassVar[str | None] = TRIAL_WIDE

    class Meta(AuditedModel.Meta):
        verbose_name = _("specification")
        verbose_name_plural = _("specifications")
        ordering = ["kind", "-id"]

    def __str__(self) -> str:
        return self.version_id

    def release_rules(self) -> Any:
        from celltrial.product.rules import specification_from_mapping

        return specification_from_mapping(self.content)

    def donor_rules(self) -> Any:
        from celltrial.product.rules import donor_rules_from_mapping

        return donor_rules_from_mapping(self.content)


class Donor(AuditedModel):
    """A pseudonymous bone-marrow donor. Names and dates of birth stay with the collection centre:
    only the age at assessment is kept here."""

    ELIGIBLE, INELIGIBLE, INCOMPLETE = "eligible", "ineligible", "incomplete"
    DECISIONS = [(ELIGIBLE, _("eligible")), (INELIGIBLE, _("ineligible")), (INCOMPLETE, _("incomplete"))]

    donor_id = models.CharField(_("donor ID"), max_length=20, unique=True)
    age_years = models.PositiveSmallIntegerField(_("age (years)"))
    assessment_date = models.DateField(_("assessment date"))
    history = models.JSONField(_("history answers"), default=dict, blank=True)
    eligibility = models.CharField(_("eligibility"), max_length=16, choices=DECISIONS, default=INCOMPLETE)
    rule_set = models.CharField(_("rule set"), max_length=100, blank=True)
    evaluation = models.JSONField(_("evaluation"), default=dict, blank=True)

    site_path: ClassVar[str | None] = TRIAL_WIDE

    class Meta(AuditedModel.Meta):
        verbose_name = _("donor")
        verbose_name_plural = _("donors")
        ordering = ["donor_id"]

    def __str__(self) -> str:
        return self.donor_id


class DonorMarker(AuditedModel):
    """One infectious-disease marker result of a donor: test method and result."""

    donor = models.ForeignKey(Donor, on_delete=models.PROTECT, related_name="markers", verbose_name=_("donor"))
    code = models.CharField(_("marker"), max_length=32)
    method = models.CharField(_("method"), max_length=100)
    result = models.CharField(_("result"), max_length=32)
    tested_on = models.DateField(_("tested on"))

    site_path: ClassVar[str | None] = TRIAL_WIDE

    class Meta(AuditedModel.Meta):
        verbose_name = _("donor marker")
        verbose_name_plural = _("donor markers")
        constraints = [models.UniqueConstraint(fields=["donor", "code"], name="one_result_per_marker")]

    def __str__(self) -> str:
        return f"{self.donor.donor_id} {self.code}"


class Collection(AuditedModel):
    """A bone-marrow collection from an eligible donor."""

    donor = models.ForeignKey(Donor, on_delete=models.PROTECT, related_name="collections", verbose_name=_("donor"))
    code = models.CharField(_("collection"), max_length=40, unique=True)
    collected_on = models.DateField(_("collected on"))
    volume_ml = models.FloatField(_("volume (mL)"))
    nucleated_cells = models.FloatField(_("total nucleated cells"))

    site_path: ClassVar[str | None] = TRIAL_WIDE

    class Meta(AuditedModel.Meta):
        verbose_name = _("bone-marrow collection")
        verbose_name_plural = _("bone-marrow collections")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class Batch(AuditedModel):
    """A culture batch grown from one collection under low oxygen."""

    collection = models.ForeignKey(Collection, on_delete=models.PROTECT, related_name="batches",
                                   verbose_name=_("collection"))
    code = models.CharField(_("batch"), max_length=40, unique=True)
    started_on = models.DateField(_("started on"))
    o2_low_pct = models.FloatField(_("O2 band low (%)"))
    o2_high_pct = models.FloatField(_("O2 band high (%)"))
    starting_pd = models.FloatField(_("starting population doubling level"), default=0.0)

    site_path: ClassVar[str | None] = TRIAL_WIDE

    class Meta(AuditedModel.Meta):
        verbose_name = _("culture batch")
        verbose_name_plural = _("culture batches")
        ordering = ["code"]

    def __str__(self) -> str:
        return self.code


class CultureStep(AuditedModel):
    """Seeding, a passage or the harvest: counts, passage number, O2 set-point and readings."""

    SEEDING, PASSAGE, HARVEST = "seeding", "passage", "harvest"
    KINDS = [(SEEDING, _("seeding")), (PASSAGE, _("passage")), (HARVEST, _("harvest"))]

    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="steps", verbose_name=_("culture batch"))
    number = models.PositiveSmallIntegerField(_("step"))
    kind = models.CharField(_("kind"), max_length=16, choices=KINDS)
    passage_number = models.PositiveSmallIntegerField(_("passage number"))
    performed_at = models.DateTimeField(_("performed at"))
    seeded_cells = models.FloatField(_("cells seeded"))
    harvested_cells = models.FloatField(_("cells harvested"), null=True, blank=True)
    o2_setpoint_pct = models.FloatField(_("O2 set-point (%)"))
    o2_readings = models.JSONField(_("O2 readings (%)"), default=list, blank=True)
    o2_alarm = models.BooleanField(_("O2 out of band"), default=False)
    population_doublings = models.FloatField(_("population doublings"), null=True, blank=True)
    cumulative_pd = models.FloatField(_("cumulative population doublings"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True)

    site_path: ClassVar[str | None] = TRIAL_WIDE

    class Meta(AuditedModel.Meta):
        verbose_name = _("culture step")
        verbose_name_plural = _("culture steps")
        ordering = ["batch", "number"]
        constraints = [models.UniqueConstraint(fields=["batch", "number"], name="one_step_number_per_batch")]

    def __str__(self) -> str:
        return f"{self.batch.code} step {self.number}"


class MaterialUse(AuditedModel):
    """A medium, reagent or supplement lot used in a batch (a recall may start from it)."""

    KINDS = [("medium", _("medium")), ("reagent", _("reagent")), ("supplement", _("supplement")),
             ("consumable", _("consumable"))]

    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="materials",
                              verbose_name=_("culture batch"))
    kind = models.CharField(_("kind"), max_length=16, choices=KINDS)
    material = models.CharField(_("material"), max_length=120)
    lot_number = models.CharField(_("material lot"), max_length=60)
    supplier = models.CharField(_("supplier"), max_length=120, blank=True)

    site_path: ClassVar[str | None] = TRIAL_WIDE

    class Meta(AuditedModel.Meta):
        verbose_name = _("material used")
        verbose_name_plural = _("materials used")
        ordering = ["batch", "id"]

    def __str__(self) -> str:
        return f"{self.material} {self.lot_number}"


class Deviation(AuditedModel):
    """A manufacturing deviation (an O2 reading out of band is raised automatically) and its CAPA."""

    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="deviations",
                              verbose_name=_("culture batch"))
    step = models.ForeignKey(CultureStep, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("culture step"))
    raised_on = models.DateField(_("raised on"))
    description = models.TextField(_("description"))
    capa_reference = models.CharField(_("CAPA reference"), max_length=60, blank=True)
    automatic = models.BooleanField(_("raised automatically"), default=False)

    site_path: ClassVar[str | None] = TRIAL_WIDE

    class Meta(AuditedModel.Meta):
        verbose_name = _("deviation")
        verbose_name_plural = _("deviations")
        ordering = ["batch", "id"]

    def __str__(self) -> str:
        return f"{self.batch.code} deviation {self.pk}"


class Lot(AuditedModel):
    """The formulated, cryopreserved product of one batch, judged against a release specification."""

    IN_QC, RELEASED, CONDITIONAL, REJECTED, RECALLED = "in_qc", "released", "conditional", "rejected", "recalled"
    STATUSES = [(IN_QC, _("in QC")), (RELEASED, _("released")), (CONDITIONAL, _("conditionally released")),
                (REJECTED, _("rejected")), (RECALLED, _("recalled"))]

    lot_id = models.CharField(_("lot"), max_length=20, unique=True)
    batch = models.OneToOneField(Batch, on_delete=models.PROTECT, related_name="lot", verbose_name=_("culture batch"))
    specification = models.ForeignKey(Specification, on_delete=models.PROTECT, related_name="+",
                                      verbose_name=_("specification"))
    product_en = models.CharField(_("product (English)"), max_length=200)
    product_zh = models.CharField(_("product (Chinese)"), max_length=200)
    manufactured_on = models.DateField(_("manufactured on"))
    expires_at = models.DateTimeField(_("expires at"))
    concentration_cells_per_ml = models.FloatField(_("viable cells per mL"))
    unit_volume_ml = models.FloatField(_("volume per unit (mL)"))
    storage_en = models.CharField(_("storage (English)"), max_length=120)
    storage_zh = models.CharField(_("storage (Chinese)"), max_length=120)
    status = models.CharField(_("status"), max_length=16, choices=STATUSES, default=IN_QC)

    site_path: ClassVar[str | None] = TRIAL_WIDE

    class Meta(AuditedModel.Meta):
        verbose_name = _("lot")
        verbose_name_plural = _("lots")
        ordering = ["-lot_id"]

    def __str__(self) -> str:
        return self.lot_id


class QcResult(AuditedModel):
    """One QC result of a lot: analyte, value, unit, method, analyst and date."""

    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="results", verbose_name=_("lot"))
    analyte = models.CharField(_("analyte"), max_length=60)
    value = models.CharField(_("result"), max_length=60)
    unit = models.CharField(_("unit"), max_length=20, blank=True)
    method = models.CharField(_("method"), max_length=120)
    analyst = models.CharField(_("analyst"), max_length=120)
    tested_on = models.DateField(_("tested on"))

    site_path: ClassVar[str | None] = TRIAL_WIDE

    class Meta(AuditedModel.Meta):
        verbose_name = _("QC result")
        verbose_name_plural = _("QC results")
        ordering = ["lot", "analyte"]
        constraints = [models.UniqueConstraint(fields=["lot", "analyte"], name="one_result_per_analyte")]

    def __str__(self) -> str:
        return f"{self.lot.lot_id} {self.analyte}"


class Investigation(AuditedModel):
    """An out-of-specification investigation, opened by a failing result."""

    OPEN, CLOSED = "open", "closed"

    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="investigations", verbose_name=_("lot"))
    test_code = models.CharField(_("test"), max_length=60)
    opened_on = models.DateField(_("opened on"))
    description = models.TextField(_("description"))
    status = models.CharField(_("status"), max_length=8, default=OPEN,
                              choices=[(OPEN, _("open")), (CLOSED, _("closed"))])
    conclusion = models.TextField(_("conclusion"), blank=True)

    site_path: ClassVar[str | None] = TRIAL_WIDE

    class Meta(AuditedModel.Meta):
        verbose_name = _("OOS investigation")
        verbose_name_plural = _("OOS investigations")
        ordering = ["-id"]

    def __str__(self) -> str:
        return f"OOS {self.lot.lot_id} {self.test_code}"


class LotRelease(AuditedModel):
    """QA's e-signed release of a lot, on a frozen, hashed snapshot of its results and their evaluation.

    The signature binds to the snapshot *and* to the lot's current values of the results it was made on
    (:meth:`signature_content`): a later change to one of those results makes the signature stale, and
    the result-changing service voids the release in the same transaction. A result that was pending at
    a conditional release is not in the snapshot: its arrival closes the release or starts a recall.
    """

    RELEASED, CONDITIONAL, CLOSED, VOID, RECALLED = "released", "conditional", "closed", "void", "recalled"
    STATUSES = [(RELEASED, _("released")), (CONDITIONAL, _("conditional: results pending")),
                (CLOSED, _("released: pending results passed")), (VOID, _("void")), (RECALLED, _("recalled"))]

    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="releases", verbose_name=_("lot"))
    specification = models.CharField(_("specification"), max_length=100)
    disposition = models.CharField(_("disposition"), max_length=16)
    snapshot = models.JSONField(_("results released on"))
    snapshot_hash = models.CharField(_("snapshot hash"), max_length=64)
    status = models.CharField(_("status"), max_length=16, choices=STATUSES)
    status_reason = models.TextField(_("reason for status"), blank=True)
    released_by = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("released by"))
    released_at = models.DateTimeField(_("released at"))

    site_path: ClassVar[str | None] = TRIAL_WIDE
    signature_meanings: ClassVar[tuple[str, ...]] = ("released",)

    class Meta(AuditedModel.Meta):
        verbose_name = _("lot release")
        verbose_name_plural = _("lot releases")
        ordering = ["-released_at", "-id"]

    def __str__(self) -> str:
        return f"release of {self.lot.lot_id}"

    @property
    def valid(self) -> bool:
        return self.status in (self.RELEASED, self.CONDITIONAL, self.CLOSED)

    def signature_content(self) -> dict[str, Any]:
        covered = self.snapshot.get("results", {})
        current = {r.analyte: result_snapshot(r) for r in self.lot.results.filter(analyte__in=list(covered))}
        return {"lot": self.lot.lot_id, "specification": self.specification, "disposition": self.disposition,
                "snapshot_hash": self.snapshot_hash, "results": current}


def result_snapshot(result: QcResult) -> dict[str, Any]:
    """What a release freezes of one result."""
    return jsonable({"value": result.value, "unit": result.unit, "method": result.method,
                     "analyst": result.analyst, "tested_on": result.tested_on})


def snapshot_digest(snapshot: dict[str, Any]) -> str:
    return content_hash(snapshot)


class Unit(AuditedModel):
    """A bag or vial filled from a lot, with its own identifier. Site-scoped once shipped to a site."""

    unit_id = models.CharField(_("unit"), max_length=30, unique=True)
    lot = models.ForeignKey(Lot, on_delete=models.PROTECT, related_name="units", verbose_name=_("lot"))
    number = models.PositiveSmallIntegerField(_("unit number"))
    volume_ml = models.FloatField(_("volume (mL)"))
    site = models.ForeignKey("study.Site", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("site"))
    state = models.CharField(_("custody state"), max_length=16, blank=True)

    site_path: ClassVar[str | None] = "site__code"

    class Meta(AuditedModel.Meta):
        verbose_name = _("unit")
        verbose_name_plural = _("units")
        ordering = ["unit_id"]
        constraints = [models.UniqueConstraint(fields=["lot", "number"], name="one_unit_number_per_lot")]

    def __str__(self) -> str:
        return self.unit_id

    @property
    def viable_cells(self) -> float:
        return self.volume_ml * self.lot.concentration_cells_per_ml


class Shipment(AuditedModel):
    """Units travelling together to a site in one shipper, with the logger's temperature log."""

    code = models.CharField(_("shipment"), max_length=40, unique=True)
    destination = models.ForeignKey("study.Site", on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("destination site"))
    shipped_at = models.DateTimeField(_("shipped at"))
    logger_id = models.CharField(_("data logger"), max_length=60, blank=True)
    max_c = models.FloatField(_("upper limit (°C)"), null=True, blank=True)
    min_c = models.FloatField(_("lower limit (°C)"), null=True, blank=True)
    log_file_name = models.CharField(_("log file"), max_length=200, blank=True)
    log_sha256 = models.CharField(_("log SHA-256"), max_length=64, blank=True)
    readings = models.JSONField(_("readings"), default=list, blank=True)
    excursions = models.JSONField(_("excursions"), default=list, blank=True)
    has_excursion = models.BooleanField(_("temperature excursion"), default=False)
    # QA's disposition after an excursion: the shipment's units are quarantined until QA signs
    # (meaning "approved") "accepted" or "rejected" with a reason; rejected units may only be destroyed or returned.
    NONE, QUARANTINE, ACCEPTED, REJECTED = "", "quarantine", "accepted", "rejected"
    DISPOSITIONS = [(NONE, _("no disposition needed")), (QUARANTINE, _("quarantined: awaiting QA")),
                    (ACCEPTED, _("accepted by QA")), (REJECTED, _("rejected by QA"))]
    disposition = models.CharField(_("QA disposition"), max_length=16, choices=DISPOSITIONS, blank=True, default=NONE)
    disposition_reason = models.TextField(_("reason for the disposition"), blank=True)
    disposition_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT,
                                       related_name="+", verbose_name=_("disposition by"))
    disposition_at = models.DateTimeField(_("disposition at"), null=True, blank=True)

    site_path: ClassVar[str | None] = "destination__code"
    signature_meanings: ClassVar[tuple[str, ...]] = ("approved",)

    class Meta(AuditedModel.Meta):
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        ordering = ["-shipped_at"]

    def __str__(self) -> str:
        return self.code

    def signature_content(self) -> dict[str, Any]:
        return jsonable({"shipment": self.code, "destination": self.destination.code, "disposition": self.disposition,
                         "reason": self.disposition_reason, "log_sha256": self.log_sha256,
                         "excursions": self.excursions,
                         "units": sorted(self.events.filter(event="shipped").values_list("unit__unit_id", flat=True))})


class CustodyEvent(AuditedModel):
    """One entry of a unit's append-only custody ledger: what happened, by whom, where, when.

    Created only (``services.record_custody``), never updated or deleted; the order is ``seq``.
    """

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="custody", verbose_name=_("unit"))
    seq = models.PositiveIntegerField(_("sequence"))
    event = models.CharField(_("event"), max_length=16)
    occurred_at = models.DateTimeField(_("occurred at"))
    person = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("user"))
    person_name = models.CharField(_("person"), max_length=200)
    role = models.CharField(_("role"), max_length=32, blank=True)
    place = models.CharField(_("place"), max_length=200)
    site = models.ForeignKey("study.Site", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("site"))
    shipment = models.ForeignKey(Shipment, null=True, blank=True, on_delete=models.PROTECT, related_name="events",
                                 verbose_name=_("shipment"))
    notes = models.TextField(_("notes"), blank=True)

    site_path: ClassVar[str | None] = "site__code"

    class Meta(AuditedModel.Meta):
        verbose_name = _("custody event")
        verbose_name_plural = _("custody events")
        ordering = ["unit", "seq"]
        constraints = [models.UniqueConstraint(fields=["unit", "seq"], name="one_event_per_ledger_position")]

    def __str__(self) -> str:
        return f"{self.unit.unit_id} #{self.seq} {self.event}"


class Allocation(AuditedModel):
    """A released unit set aside for one participant's dose, with the dose inputs and the computed draw.

    The participant is named by subject ID at a site, found through ``participants.interface.allocation_subject``
    (``participant_ref``), which also gives the dose level and the weight on the weight-basis day.
    """

    ALLOCATED, ADMINISTERED, CANCELLED = "allocated", "administered", "cancelled"

    unit = models.ForeignKey(Unit, on_delete=models.PROTECT, related_name="allocations", verbose_name=_("unit"))
    site = models.ForeignKey("study.Site", on_delete=models.PROTECT, related_name="+", verbose_name=_("site"))
    subject_id = models.CharField(_("subject ID"), max_length=20)
    dose_level = models.CharField(_("dose level"), max_length=32)
    dose_cells_per_kg = models.FloatField(_("dose (viable cells/kg)"))
    weight_kg = models.FloatField(_("weight (kg)"))
    weight_date = models.DateField(_("weight measured on"))
    weight_basis = models.CharField(_("weight basis"), max_length=16)
    dosing_weight_kg = models.FloatField(_("dosing weight (kg)"))
    intended_cells = models.FloatField(_("intended viable cells"))
    volume_to_draw_ml = models.FloatField(_("volume to draw (mL)"))
    delivered_cells = models.FloatField(_("viable cells to deliver"))
    plan = models.JSONField(_("dose calculation"))
    status = models.CharField(_("status"), max_length=16, default=ALLOCATED)
    cancel_reason = models.TextField(_("reason for cancelling"), blank=True)

    site_path: ClassVar[str | None] = "site__code"

    class Meta(AuditedModel.Meta):
        verbose_name = _("allocation")
        verbose_name_plural = _("allocations")
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["unit"], condition=~models.Q(status="cancelled"),
                                               name="one_live_allocation_per_unit")]

    def __str__(self) -> str:
        return f"{self.unit.unit_id} → {self.subject_id}"


class BedsideCheck(AuditedModel):
    """The two-identifier check at the bedside: the unit scanned and the wristband scanned, and the outcome."""

    MATCH, REFUSED = "match", "refused"

    site = models.ForeignKey("study.Site", on_delete=models.PROTECT, related_name="+", verbose_name=_("site"))
    scanned_unit = models.CharField(_("unit scanned"), max_length=60)
    scanned_subject = models.CharField(_("wristband scanned"), max_length=60)
    unit = models.ForeignKey(Unit, null=True, blank=True, on_delete=models.PROTECT, related_name="bedside_checks",
                             verbose_name=_("unit"))
    allocation = models.ForeignKey(Allocation, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("allocation"))
    outcome = models.CharField(_("outcome"), max_length=8)
    reasons = models.JSONField(_("reasons"), default=list, blank=True)
    checked_at = models.DateTimeField(_("checked at"))

    site_path: ClassVar[str | None] = "site__code"

    class Meta(AuditedModel.Meta):
        verbose_name = _("bedside check")
        verbose_name_plural = _("bedside checks")
        ordering = ["-checked_at", "-id"]

    def __str__(self) -> str:
        return f"bedside check {self.scanned_unit} / {self.scanned_subject}: {self.outcome}"


class Administration(AuditedModel):
    """The administration record: start, stop, rate, volume, interruptions."""

    allocation = models.OneToOneField(Allocation, on_delete=models.PROTECT, related_name="administration",
                                      verbose_name=_("allocation"))
    bedside_check = models.ForeignKey(BedsideCheck, on_delete=models.PROTECT, related_name="+",
                                      verbose_name=_("bedside check"))
    site = models.ForeignKey("study.Site", on_delete=models.PROTECT, related_name="+", verbose_name=_("site"))
    started_at = models.DateTimeField(_("started at"))
    stopped_at = models.DateTimeField(_("stopped at"))
    rate_ml_per_min = models.FloatField(_("rate (mL/min)"))
    volume_ml = models.FloatField(_("volume given (mL)"))
    interruptions = models.TextField(_("interruptions"), blank=True)
    notes = models.TextField(_("notes"), blank=True)

    site_path: ClassVar[str | None] = "site__code"

    class Meta(AuditedModel.Meta):
        verbose_name = _("administration")
        verbose_name_plural = _("administrations")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return f"administration of {self.allocation.unit.unit_id} to {self.allocation.subject_id}"


class Recall(AuditedModel):
    """A recall started from a donor, a batch, a lot or a material lot, with every unit and participant found."""

    SOURCES = [("donor", _("donor")), ("batch", _("batch")), ("lot", _("lot")), ("material", _("material lot"))]

    code = models.CharField(_("recall"), max_length=40, unique=True)
    source_kind = models.CharField(_("started from"), max_length=16, choices=SOURCES)
    source_ref = models.CharField(_("reference"), max_length=60)
    cause = models.TextField(_("reason for the recall"))
    started_at = models.DateTimeField(_("started at"))
    affected = models.JSONField(_("affected units and participants"), default=dict)

    site_path: ClassVar[str | None] = TRIAL_WIDE

    class Meta(AuditedModel.Meta):
        verbose_name = _("recall")
        verbose_name_plural = _("recalls")
        ordering = ["-started_at"]

    def __str__(self) -> str:
        return self.code


class Notification(AuditedModel):
    """An in-app notice to a person (a recall reaching their site's participants); also sent by email."""

    recipient = models.ForeignKey("accounts.User", on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("recipient"))
    site = models.ForeignKey("study.Site", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("site"))
    recall = models.ForeignKey(Recall, null=True, blank=True, on_delete=models.PROTECT, related_name="notifications",
                               verbose_name=_("recall"))
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("message"))
    emailed = models.BooleanField(_("emailed"), default=False)

    site_path: ClassVar[str | None] = "site__code"

    class Meta(AuditedModel.Meta):
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        ordering = ["-id"]

    def __str__(self) -> str:
        return self.subject
