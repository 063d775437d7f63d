"""Product services: the named operations from donor to administration, each checking its permission
inside, validating, and writing its audit entry in the same transaction.

Manufacturing (QA): :func:`load_shipped_specifications`, :func:`register_donor`, :func:`record_donor_marker`,
:func:`record_collection`, :func:`start_batch`, :func:`record_culture_step`, :func:`record_material`,
:func:`record_deviation`, :func:`create_lot`, :func:`record_qc_result`, :func:`correct_qc_result`,
:func:`release_lot`, :func:`fill_units`, :func:`ship_units`, :func:`start_recall`.
Site (pharmacist): :func:`import_temperature_log`, :func:`record_custody`, :func:`allocate_unit`.
Bedside (pharmacist or investigator): :func:`bedside_check`, :func:`record_administration`.
Reads: :func:`visible`, :func:`lot_values`, :func:`evaluate`, :func:`ledger`, :func:`chain_of_identity`.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from celltrial.accounts import permissions
from celltrial.accounts import signatures as esign
from celltrial.audit.operations import Create, Update, tracked
from celltrial.core.actor import Actor
from celltrial.core.canonical import jsonable
from celltrial.core.errors import AccessDenied, ValidationFailed
from celltrial.identifiers.formats import (
    IdentifierError,
    IdentifierKind,
    format_donor_id,
    format_lot_id,
    format_unit_id,
    parse_identifier,
)
from celltrial.participants import interface as participants
from celltrial.product import participant_ref
from celltrial.product.messages import render
from celltrial.product.models import (
    Administration,
    Allocation,
    Batch,
    BedsideCheck,
    Collection,
    CultureStep,
    CustodyEvent,
    Deviation,
    Donor,
    DonorMarker,
    Investigation,
    Lot,
    LotRelease,
    MaterialUse,
    Notification,
    QcResult,
    Recall,
    Shipment,
    Specification,
    Unit,
    result_snapshot,
    snapshot_digest,
)
from celltrial.product.permissions import (
    ALLOCATE,
    BEDSIDE,
    CUSTODY_MANUFACTURER,
    CUSTODY_SITE,
    DONOR_MANAGE,
    LOT_RELEASE,
    MANUFACTURE_RECORD,
    QC_RECORD,
    RECALL_START,
    SHIPMENT_DISPOSITION,
    UNIT_FILL,
)
from celltrial.product.rules import (
    DonorRecord,
    OxygenBand,
    RuleInputError,
    check_oxygen,
    evaluate_donor,
    population_doublings,
)
from celltrial.product.rules.custody import (
    DEFAULT_HOURS_AFTER_THAW,
    CustodyRefused,
    LedgerEntry,
    check_next,
    state_of,
)
from celltrial.product.rules.custody import (
    CustodyEvent as E,
)
from celltrial.product.rules.lot_release import Disposition, LotEvaluation, evaluate_lot, plan_allocation
from celltrial.product.rules.specification import default_specification_path
from celltrial.product.rules.temperature import DEFAULT_MAX_C, find_excursions, read_logger_csv
from celltrial.study import interface as study

SHIPPED_SPECS = ("donor-eligibility-v1.yaml", "hbmmsc-release-v1.yaml", "hbmmsc-release-v2.yaml")
MANUFACTURER_PLACE = gettext_noop("Manufacturer cryostore")

# ---------------------------------------------------------------- the named operations (one line each)

_create_spec = Create("load_specification", Specification, permission=QC_RECORD, fields=(
    "kind", "version_id", "title", "content", "content_hash", "source_name"))
_create_donor = Create("register_donor", Donor, permission=DONOR_MANAGE, fields=(
    "donor_id", "age_years", "assessment_date", "history", "eligibility", "rule_set", "evaluation"))
_evaluate_donor = Update("evaluate_donor", Donor, permission=DONOR_MANAGE, fields=(
    "history", "eligibility", "rule_set", "evaluation"))
_create_marker = Create("record_donor_marker", DonorMarker, permission=DONOR_MANAGE, fields=(
    "donor", "code", "method", "result", "tested_on"))
correct_donor_marker = Update("correct_donor_marker", DonorMarker, permission=DONOR_MANAGE, fields=(
    "method", "result", "tested_on"))
_create_collection = Create("record_collection", Collection, permission=MANUFACTURE_RECORD, fields=(
    "donor", "code", "collected_on", "volume_ml", "nucleated_cells"))
_create_batch = Create("start_batch", Batch, permission=MANUFACTURE_RECORD, fields=(
    "collection", "code", "started_on", "o2_low_pct", "o2_high_pct", "starting_pd"))
_create_step = Create("record_culture_step", CultureStep, permission=MANUFACTURE_RECORD, fields=(
    "batch", "number", "kind", "passage_number", "performed_at", "seeded_cells", "harvested_cells",
    "o2_setpoint_pct", "o2_readings", "o2_alarm", "population_doublings", "cumulative_pd", "notes"))
_create_material = Create("record_material", MaterialUse, permission=MANUFACTURE_RECORD, fields=(
    "batch", "kind", "material", "lot_number", "supplier"))
_create_deviation = Create("record_deviation", Deviation, permission=MANUFACTURE_RECORD, fields=(
    "batch", "step", "raised_on", "description", "capa_reference", "automatic"))
record_capa = Update("record_capa", Deviation, permission=MANUFACTURE_RECORD, fields=("capa_reference",))
_create_lot = Create("create_lot", Lot, permission=MANUFACTURE_RECORD, fields=(
    "lot_id", "batch", "specification", "product_en", "product_zh", "manufactured_on", "expires_at",
    "concentration_cells_per_ml", "unit_volume_ml", "storage_en", "storage_zh"))
_create_result = Create("record_qc_result", QcResult, permission=QC_RECORD, fields=(
    "lot", "analyte", "value", "unit", "method", "analyst", "tested_on"))
_correct_result = Update("correct_qc_result", QcResult, permission=QC_RECORD, fields=(
    "value", "unit", "method", "analyst", "tested_on"))
_open_investigation = Create("open_oos_investigation", Investigation, permission=QC_RECORD, fields=(
    "lot", "test_code", "opened_on", "description"))
_close_investigation = Update("close_oos_investigation", Investigation, permission=QC_RECORD,
                              fields=("status", "conclusion"))
_create_release = Create("release_lot", LotRelease, permission=LOT_RELEASE, fields=(
    "lot", "specification", "disposition", "snapshot", "snapshot_hash", "status", "status_reason",
    "released_by", "released_at"))
_create_unit = Create("fill_unit", Unit, permission=UNIT_FILL, fields=("unit_id", "lot", "number", "volume_ml"))
_create_shipment = Create("ship_units", Shipment, permission=CUSTODY_MANUFACTURER, fields=(
    "code", "destination", "shipped_at", "logger_id", "max_c", "min_c"))
_EVENT_FIELDS = ("unit", "seq", "event", "occurred_at", "person", "person_name", "role", "place", "site",
                 "shipment", "notes")
# The ledger is append-only: custody events have Create operations and nothing else.
_append_manufacturer_event = Create("record_custody_event", CustodyEvent, permission=CUSTODY_MANUFACTURER,
                                    fields=_EVENT_FIELDS)
_append_site_event = Create("record_custody_event", CustodyEvent, permission=CUSTODY_SITE, fields=_EVENT_FIELDS)
_append_bedside_event = Create("record_administration", CustodyEvent, permission=BEDSIDE, fields=_EVENT_FIELDS)
_create_allocation = Create("allocate_unit", Allocation, permission=ALLOCATE, fields=(
    "unit", "site", "subject_id", "dose_level", "dose_cells_per_kg", "weight_kg", "weight_date", "weight_basis",
    "dosing_weight_kg", "intended_cells", "volume_to_draw_ml", "delivered_cells", "plan"))
_cancel_allocation = Update("cancel_allocation", Allocation, permission=ALLOCATE, fields=("status", "cancel_reason"))
_decide_shipment = Update("decide_shipment", Shipment, permission=SHIPMENT_DISPOSITION, fields=(
    "disposition", "disposition_reason", "disposition_by", "disposition_at"))
_create_check = Create("bedside_check", BedsideCheck, permission=BEDSIDE, fields=(
    "site", "scanned_unit", "scanned_subject", "unit", "allocation", "outcome", "reasons", "checked_at"))
_create_administration = Create("record_administration", Administration, permission=BEDSIDE, fields=(
    "allocation", "bedside_check", "site", "started_at", "stopped_at", "rate_ml_per_min", "volume_ml",
    "interruptions", "notes"))
_create_recall = Create("start_recall", Recall, permission=RECALL_START, fields=(
    "code", "source_kind", "source_ref", "cause", "started_at", "affected"))
_create_notification = Create("notify", Notification, permission=RECALL_START, fields=(
    "recipient", "site", "recall", "subject", "body", "emailed"))


# ---------------------------------------------------------------- helpers


def _require(actor: Actor, permission: str, site_code: str) -> None:
    if actor.is_system:
        return
    if not permissions.actor_may(actor, permission, site_code):
        raise AccessDenied(permission, site_code or None)


def _refuse(field: str, message: str) -> ValidationFailed:
    return ValidationFailed({field: [message]})


def _now() -> dt.datetime:
    return timezone.now()


def _aware(value: dt.datetime, field: str) -> dt.datetime:
    if timezone.is_naive(value):
        raise _refuse(field, _("Give the time with its time zone."))
    return value


def visible(queryset: QuerySet[Any], user: Any, permission: str, unit_path: str | None = None) -> QuerySet[Any]:
    """Rows ``user`` may see: a trial-wide grant sees all; a site grant sees its sites' rows, and trial-wide
    manufacturing records only through units at its sites (``unit_path``: lookup to those units' site code)."""
    sites = permissions.site_codes_with(user, permission)
    if not sites:
        return queryset.none()
    if permissions.ALL_SITES in sites:
        return queryset
    if unit_path is None:
        return permissions.scope(queryset, user, permission)
    return queryset.filter(**{f"{unit_path}__in": sites}).distinct()


# ---------------------------------------------------------------- specifications and rule sets


def load_specification_file(actor: Actor, path: Any, *, kind: str) -> Specification:
    """Store a release specification or donor rule set file (validated) unless that version is loaded."""
    from celltrial.product.rules._loading import read_rule_file
    from celltrial.product.rules.donor import donor_rules_from_mapping
    from celltrial.product.rules.specification import specification_from_mapping

    data, source = read_rule_file(path)
    rules = (specification_from_mapping(data, source=source) if kind == Specification.RELEASE
             else donor_rules_from_mapping(data, source=source))
    existing = Specification.objects.filter(version_id=rules.version_id).first()
    if existing is not None:
        return existing
    content = jsonable(dict(data))
    return _create_spec(actor, kind=kind, version_id=rules.version_id, title=rules.title[:200], content=content,
                        content_hash=snapshot_digest(content), source_name=str(getattr(path, "name", path))[:255],
                        reason=gettext_noop("specification loaded"))


SPEC_MAX_BYTES = 256 * 1024


def load_release_specification(actor: Actor, content: bytes, *, file_name: str, reason: str = "") -> Specification:
    """Load a new release-specification version from a YAML or JSON file (QA): validated against the schema,
    every problem reported as ``file:line: field: message``; stored with its content hash and audited. The
    latest loaded version is the one in force for new lots (lots already made keep theirs)."""
    import tempfile
    from pathlib import Path

    from celltrial.product.rules._loading import read_rule_file
    from celltrial.product.rules.errors import SpecificationError
    from celltrial.product.rules.specification import specification_from_mapping

    _require(actor, QC_RECORD, "")
    name = Path(file_name or "specification.yaml").name[:200]
    if Path(name).suffix.lower() not in (".yaml", ".yml", ".json"):
        raise _refuse("file", _("Give a .yaml or .json specification file."))
    if not content or len(content) > SPEC_MAX_BYTES:
        raise _refuse("file", _("The file is empty or larger than %(kb)s KB.") % {"kb": SPEC_MAX_BYTES // 1024})
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(content)
        try:
            data, source = read_rule_file(path)
            rules = specification_from_mapping(data, source=source)
        except SpecificationError as exc:
            problems = [str(issue).replace(str(path), name) for issue in exc.issues] or [str(exc)]
            raise ValidationFailed({"file": problems}) from None
        except RuleInputError as exc:
            raise _refuse("file", str(exc).replace(str(path), name)) from None
    stored = jsonable(dict(data))
    digest = snapshot_digest(stored)
    existing = Specification.objects.filter(version_id=rules.version_id).first()
    if existing is not None:
        if existing.content_hash == digest:
            raise _refuse("file", _("Specification %(version)s is already loaded.") % {"version": rules.version_id})
        raise _refuse("file", _("Specification %(version)s is already loaded with different content: a changed "
                                "specification needs a new version.") % {"version": rules.version_id})
    return _create_spec(actor, kind=Specification.RELEASE, version_id=rules.version_id, title=rules.title[:200],
                        content=stored, content_hash=digest, source_name=name,
                        reason=reason.strip() or gettext_noop("specification loaded"))


def load_shipped_specifications(actor: Actor) -> list[Specification]:
    """The shipped donor rule set and release specifications (ILLUSTRATIVE), in version order."""
    folder = default_specification_path().parent
    return [load_specification_file(actor, folder / name,
                                    kind=Specification.DONOR if name.startswith("donor") else Specification.RELEASE)
            for name in SHIPPED_SPECS]


def in_force(kind: str) -> Specification:
    """The latest loaded specification of ``kind``; loads the shipped ones into an empty database."""
    spec = Specification.objects.filter(kind=kind).order_by("-id").first()
    if spec is None:
        load_shipped_specifications(Actor.system("product specifications"))
        spec = Specification.objects.filter(kind=kind).order_by("-id").first()
    assert spec is not None
    return spec


# ---------------------------------------------------------------- donors


def _donor_record(donor_id: str, age: int, assessed: dt.date, history: Mapping[str, bool],
                  markers: Mapping[str, str]) -> DonorRecord:
    return DonorRecord(donor_id=donor_id, age_years=age, assessment_date=assessed, markers=dict(markers),
                       history=dict(history))


def _evaluation(donor_id: str, age: int, assessed: dt.date, history: Mapping[str, bool],
                markers: Mapping[str, str]) -> tuple[str, str, dict[str, Any]]:
    spec = in_force(Specification.DONOR)
    try:
        result = evaluate_donor(_donor_record(donor_id, age, assessed, history, markers), spec.donor_rules())
    except RuleInputError as exc:
        raise ValidationFailed(str(exc)) from None
    return result.decision.value, spec.version_id, result.to_dict()


def next_donor_id(year: int) -> str:
    prefix = f"D-{year:04d}-"
    taken = [d.split("-")[2] for d in Donor.objects.filter(donor_id__startswith=prefix).values_list("donor_id", flat=True)]
    return format_donor_id(year, max((int(t) for t in taken), default=0) + 1)


def register_donor(actor: Actor, *, age_years: int, assessment_date: dt.date, history: Mapping[str, bool],
                   donor_id: str = "", reason: str = "") -> Donor:
    """Register a pseudonymous donor (a new ID is issued when none is given) and judge eligibility."""
    _require(actor, DONOR_MANAGE, "")
    if donor_id:
        try:
            donor_id = str(parse_identifier(donor_id, IdentifierKind.DONOR))
        except IdentifierError as exc:
            raise _refuse("donor_id", str(exc)) from None
    else:
        donor_id = next_donor_id(assessment_date.year)
    decision, rule_set, evaluation = _evaluation(donor_id, age_years, assessment_date, history, {})
    try:
        with transaction.atomic():
            return _create_donor(actor, donor_id=donor_id, age_years=age_years, assessment_date=assessment_date,
                                 history=dict(history), eligibility=decision, rule_set=rule_set,
                                 evaluation=evaluation, reason=reason)
    except IntegrityError:
        raise _refuse("donor_id", _("Donor %(id)s is already registered.") % {"id": donor_id}) from None


def _markers(donor: Donor) -> dict[str, str]:
    return dict(donor.markers.values_list("code", "result"))


def reevaluate_donor(actor: Actor, donor: Donor, *, history: Mapping[str, bool] | None = None,
                     reason: str) -> Donor:
    """Judge the donor again (after a marker result or a history answer) under the rule set in force."""
    donor.refresh_from_db()
    new_history = dict(donor.history if history is None else history)
    decision, rule_set, evaluation = _evaluation(donor.donor_id, donor.age_years, donor.assessment_date,
                                                 new_history, _markers(donor))
    saved = _evaluate_donor(actor, donor, {"history": new_history, "eligibility": decision, "rule_set": rule_set,
                                           "evaluation": evaluation}, expected_version=donor.version, reason=reason)
    return saved.instance


def record_donor_marker(actor: Actor, donor: Donor, *, code: str, method: str, result: str,
                        tested_on: dt.date) -> DonorMarker:
    """Record one infectious-disease marker (method and result) and judge the donor again."""
    _require(actor, DONOR_MANAGE, "")
    rules = in_force(Specification.DONOR).donor_rules()
    codes = {m.code for m in rules.markers}
    if code not in codes:
        raise _refuse("code", _("Unknown marker; use one of: %(codes)s.") % {"codes": ", ".join(sorted(codes))})
    words = rules.negative_results | rules.positive_results | rules.indeterminate_results
    if " ".join(result.replace("_", " ").replace("-", " ").split()).casefold() not in words:
        raise _refuse("result", _("Result not understood; use one of: %(words)s.") % {"words": ", ".join(sorted(words))})
    with transaction.atomic():
        if donor.markers.filter(code=code).exists():
            raise _refuse("code", _("This marker already has a result; correct it instead."))
        marker = _create_marker(actor, donor=donor, code=code, method=method, result=result, tested_on=tested_on)
        reevaluate_donor(actor, donor, reason=gettext_noop("marker result recorded"))
    return marker


def _eligible(donor: Donor) -> None:
    if donor.eligibility != Donor.ELIGIBLE:
        raise ValidationFailed(_("Donor %(id)s is %(state)s: the donor's material cannot go further.") % {
            "id": donor.donor_id, "state": donor.get_eligibility_display()})


# ---------------------------------------------------------------- collection, batch, steps


def record_collection(actor: Actor, donor: Donor, *, collected_on: dt.date, volume_ml: float,
                      nucleated_cells: float) -> Collection:
    _require(actor, MANUFACTURE_RECORD, "")
    donor.refresh_from_db()
    _eligible(donor)
    for name, value in (("volume_ml", volume_ml), ("nucleated_cells", nucleated_cells)):
        if not value > 0:
            raise _refuse(name, _("Must be a positive number."))
    n = donor.collections.count() + 1
    return _create_collection(actor, donor=donor, code=f"{donor.donor_id}-BM{n}", collected_on=collected_on,
                              volume_ml=volume_ml, nucleated_cells=nucleated_cells)


def start_batch(actor: Actor, collection: Collection, *, started_on: dt.date, o2_low_pct: float = 1.0,
                o2_high_pct: float = 5.0, starting_pd: float = 0.0) -> Batch:
    """Start a culture batch; the O2 band is the hypoxic alarm band (ILLUSTRATIVE 1–5 %, culture.py)."""
    _require(actor, MANUFACTURE_RECORD, "")
    _eligible(collection.donor)
    try:
        OxygenBand(o2_low_pct, o2_high_pct)
    except RuleInputError as exc:
        raise _refuse("o2_high_pct", str(exc)) from None
    prefix = f"B{started_on.year}-"
    n = Batch.objects.filter(code__startswith=prefix).count() + 1
    return _create_batch(actor, collection=collection, code=f"{prefix}{n:04d}", started_on=started_on,
                         o2_low_pct=o2_low_pct, o2_high_pct=o2_high_pct, starting_pd=starting_pd)


def record_culture_step(actor: Actor, batch: Batch, *, kind: str, passage_number: int, performed_at: dt.datetime,
                        seeded_cells: float, harvested_cells: float | None, o2_setpoint_pct: float,
                        o2_readings: Sequence[float] = (), notes: str = "") -> CultureStep:
    """Record seeding, a passage or the harvest. PD = log2(N_harvested / N_seeded) for the step, and the
    cumulative PD level adds it to the batch's starting level and earlier steps (culture.py). An O2
    set-point or reading outside the batch's band raises a deviation automatically."""
    _require(actor, MANUFACTURE_RECORD, "")
    _aware(performed_at, "performed_at")
    steps = list(batch.steps.order_by("number"))
    if kind not in {CultureStep.SEEDING, CultureStep.PASSAGE, CultureStep.HARVEST}:
        raise _refuse("kind", _("Choose seeding, passage or harvest."))
    if steps and steps[-1].kind == CultureStep.HARVEST:
        raise _refuse("kind", _("The batch was harvested; no step can follow the harvest."))
    if not steps and kind != CultureStep.SEEDING:
        raise _refuse("kind", _("The first step of a batch is its seeding."))
    if steps and kind == CultureStep.SEEDING:
        raise _refuse("kind", _("A batch is seeded once."))
    if steps and passage_number < steps[-1].passage_number:
        raise _refuse("passage_number", _("Passage %(n)s is below the previous step's passage %(p)s.") % {
            "n": passage_number, "p": steps[-1].passage_number})
    if steps and performed_at < steps[-1].performed_at:
        raise _refuse("performed_at", _("This step is dated before the previous step."))
    if kind == CultureStep.HARVEST and harvested_cells is None:
        raise _refuse("harvested_cells", _("A harvest needs the number of cells harvested."))
    pd = None
    try:
        if harvested_cells is not None:
            pd = population_doublings(seeded_cells, harvested_cells)
        band = OxygenBand(batch.o2_low_pct, batch.o2_high_pct)
        checks = [check_oxygen(float(o2_setpoint_pct), band), *(check_oxygen(float(r), band) for r in o2_readings)]
    except (RuleInputError, TypeError, ValueError) as exc:
        raise _refuse("o2_readings" if "O2" in str(exc) else "seeded_cells", str(exc)) from None
    previous = sum(s.population_doublings or 0.0 for s in steps)
    cumulative = batch.starting_pd + previous + (pd or 0.0) if pd is not None else None
    alarms = [c for c in checks if c.alarm]
    with transaction.atomic():
        step = _create_step(actor, batch=batch, number=len(steps) + 1, kind=kind, passage_number=passage_number,
                            performed_at=performed_at, seeded_cells=seeded_cells, harvested_cells=harvested_cells,
                            o2_setpoint_pct=o2_setpoint_pct, o2_readings=[float(r) for r in o2_readings],
                            o2_alarm=bool(alarms), population_doublings=pd, cumulative_pd=cumulative, notes=notes)
        if alarms:
            _create_deviation(actor, batch=batch, step=step, raised_on=performed_at.date(), automatic=True,
                              description="; ".join(c.reason for c in alarms), capa_reference="",
                              reason=gettext_noop("O2 out of the hypoxic band"))
    return step


def record_material(actor: Actor, batch: Batch, *, kind: str, material: str, lot_number: str,
                    supplier: str = "") -> MaterialUse:
    return _create_material(actor, batch=batch, kind=kind, material=material, lot_number=lot_number.strip(),
                            supplier=supplier)


def set_capa(actor: Actor, batch: Batch, *, deviation: int, capa_reference: str, version: int, reason: str) -> Deviation:
    """Record the CAPA reference of one of the batch's deviations (an automatic O2 one starts without it)."""
    found = batch.deviations.filter(pk=deviation).first()
    if found is None:
        raise _refuse("deviation", _("No such deviation on this batch."))
    return record_capa(actor, found, {"capa_reference": capa_reference.strip()}, expected_version=version,
                       reason=reason).instance


def record_deviation(actor: Actor, batch: Batch, *, raised_on: dt.date, description: str,
                     capa_reference: str = "") -> Deviation:
    return _create_deviation(actor, batch=batch, step=None, raised_on=raised_on, description=description,
                             capa_reference=capa_reference, automatic=False)


# ---------------------------------------------------------------- lots and QC


def create_lot(actor: Actor, batch: Batch, *, manufactured_on: dt.date, expires_at: dt.datetime,
               concentration_cells_per_ml: float, unit_volume_ml: float,
               product_en: str = "Human bone marrow mesenchymal stem cell injection (hBMMSC)",
               product_zh: str = "人骨髓间充质干细胞注射液",
               storage_en: str = "≤ −150 °C, liquid-nitrogen vapour phase",
               storage_zh: str = "≤ −150 °C 液氮气相保存") -> Lot:
    """Formulate the harvested batch into a lot, judged later against the release specification in force."""
    _require(actor, MANUFACTURE_RECORD, "")
    _eligible(batch.collection.donor)
    _aware(expires_at, "expires_at")
    if not batch.steps.filter(kind=CultureStep.HARVEST).exists():
        raise _refuse("batch", _("The batch has no harvest yet."))
    if hasattr(batch, "lot"):
        raise _refuse("batch", _("This batch already has lot %(lot)s.") % {"lot": batch.lot.lot_id})
    if expires_at.date() <= manufactured_on:
        raise _refuse("expires_at", _("The expiry must be after the date of manufacture."))
    for name, value in (("concentration_cells_per_ml", concentration_cells_per_ml), ("unit_volume_ml", unit_volume_ml)):
        if not value > 0:
            raise _refuse(name, _("Must be a positive number."))
    year = manufactured_on.year
    n = Lot.objects.filter(lot_id__startswith=f"L{year}-").count() + 1
    return _create_lot(actor, lot_id=format_lot_id(year, n), batch=batch, specification=in_force(Specification.RELEASE),
                       product_en=product_en, product_zh=product_zh, manufactured_on=manufactured_on,
                       expires_at=expires_at, concentration_cells_per_ml=concentration_cells_per_ml,
                       unit_volume_ml=unit_volume_ml, storage_en=storage_en, storage_zh=storage_zh)


def lot_values(lot: Lot) -> dict[str, str]:
    return dict(lot.results.values_list("analyte", "value"))


def evaluate(lot: Lot, spec: Specification | None = None) -> LotEvaluation:
    """The lot's disposition under ``spec`` (default: the release specification in force)."""
    rules = (spec or in_force(Specification.RELEASE)).release_rules()
    return evaluate_lot(rules, lot_values(lot))


def _analyte_tests(spec: Specification) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for test in spec.release_rules().tests:
        for analyte in test.analytes:
            found.setdefault(analyte, []).append(test.code)
    return found


def _check_value(spec: Specification, values: Mapping[str, str], field: str = "value") -> LotEvaluation:
    try:
        return evaluate_lot(spec.release_rules(), values)
    except RuleInputError as exc:
        raise _refuse(field, str(exc)) from None


def record_qc_result(actor: Actor, lot: Lot, *, analyte: str, value: str, unit: str, method: str, analyst: str,
                     tested_on: dt.date) -> QcResult:
    """Enter one QC result. A failing result opens an OOS investigation; a result that was pending at a
    conditional release closes that release (pass) or starts a recall of the lot (fail)."""
    _require(actor, QC_RECORD, "")
    spec = in_force(Specification.RELEASE)
    analytes = _analyte_tests(spec)
    if analyte not in analytes:
        raise _refuse("analyte", _("%(a)s is not an analyte of %(spec)s.") % {"a": analyte, "spec": spec.version_id})
    if lot.status in (Lot.REJECTED, Lot.RECALLED):
        raise _refuse("analyte", _("Lot %(lot)s is %(status)s.") % {"lot": lot.lot_id, "status": lot.get_status_display()})
    values = {**lot_values(lot), analyte: value.strip()}
    evaluation = _check_value(spec, values)
    with transaction.atomic():
        if lot.results.filter(analyte=analyte).exists():
            raise _refuse("analyte", _("This analyte already has a result; correct it instead (with a reason)."))
        result = _create_result(actor, lot=lot, analyte=analyte, value=value.strip(), unit=unit, method=method,
                                analyst=analyst, tested_on=tested_on)
        _after_result(actor, lot, analyte, analytes[analyte], evaluation)
    return result


def correct_qc_result(actor: Actor, result: QcResult, changes: Mapping[str, Any], *, expected_version: int,
                      reason: str) -> tuple[QcResult, list[LotRelease]]:
    """Correct a result (with a reason). Every release made on it is voided visibly, in the same transaction."""
    _require(actor, QC_RECORD, "")
    lot = result.lot
    spec = in_force(Specification.RELEASE)
    values = {**lot_values(lot)}
    if "value" in changes:
        values[result.analyte] = str(changes["value"]).strip()
    evaluation = _check_value(spec, values)
    voided: list[LotRelease] = []
    with transaction.atomic():
        saved = _correct_result(actor, result, dict(changes), expected_version=expected_version, reason=reason)
        if not saved.changed:
            return saved.instance, []
        for release in lot.releases.filter(status__in=[LotRelease.RELEASED, LotRelease.CONDITIONAL,
                                                       LotRelease.CLOSED]):
            if result.analyte in release.snapshot.get("results", {}):
                with tracked(actor, release, reason=reason) as r:
                    r.status = LotRelease.VOID
                    r.status_reason = gettext_noop("A QC result it was released on changed after release.")
                voided.append(release)
        if voided:
            with tracked(actor, lot, reason=reason) as current:
                current.status = Lot.IN_QC
        _after_result(actor, lot, result.analyte, _analyte_tests(spec)[result.analyte], evaluation)
    return saved.instance, voided


def _after_result(actor: Actor, lot: Lot, analyte: str, tests: list[str], evaluation: LotEvaluation) -> None:
    failing = [code for code in tests if code in evaluation.out_of_specification]
    for code in failing:
        if not lot.investigations.filter(test_code=code, status=Investigation.OPEN).exists():
            outcome = next(o for o in evaluation.outcomes if o.code == code)
            _open_investigation(actor, lot=lot, test_code=code, opened_on=timezone.localdate(),
                                description=outcome.reason, reason=gettext_noop("out-of-specification result"))
    for release in lot.releases.filter(status=LotRelease.CONDITIONAL):
        pending = set(release.snapshot.get("evaluation", {}).get("pending", []))
        arrived = pending & set(tests)
        if not arrived:
            continue
        if arrived & set(evaluation.out_of_specification):
            start_recall(actor, source_kind="lot", source_ref=lot.lot_id,
                         reason=gettext_noop("A result pending at conditional release failed: ") + ", ".join(sorted(arrived)))
        elif not pending & set(evaluation.pending):
            with tracked(actor, release, reason=gettext_noop("pending results passed")) as r:
                r.status = LotRelease.CLOSED
                r.status_reason = gettext_noop("Every result pending at release has passed.")
            with tracked(actor, lot, reason=gettext_noop("pending results passed")) as current:
                current.status = Lot.RELEASED


def close_investigation(actor: Actor, investigation: Investigation, *, conclusion: str, version: int,
                        reason: str) -> Investigation:
    """Close an OOS investigation with its conclusion (e.g. a confirmed transcription error, corrected with a
    reason; or a confirmed failure, the lot then stays rejected). Refused while the result still fails."""
    if not conclusion.strip():
        raise _refuse("conclusion", _("Give the investigation's conclusion."))
    lot = investigation.lot
    if investigation.test_code in evaluate(lot).out_of_specification:
        raise _refuse("conclusion", _("The result still fails: correct it (with a reason) or reject the lot."))
    return _close_investigation(actor, investigation, {"status": Investigation.CLOSED, "conclusion": conclusion},
                                expected_version=version, reason=reason).instance


def valid_release(lot: Lot) -> LotRelease | None:
    return lot.releases.filter(status__in=[LotRelease.RELEASED, LotRelease.CONDITIONAL, LotRelease.CLOSED]).first()


@dataclass(frozen=True)
class ReleaseOutcome:
    release: LotRelease
    signature: Any


def release_lot(actor: Actor, lot: Lot, *, password: str, comment: str = "") -> ReleaseOutcome:
    """QA releases the lot by e-signature (meaning "released"), only when every required lot test has a
    passing result under the specification in force, or is pending where the specification allows it.

    The release stores a frozen snapshot of the results and their evaluation and its SHA-256; the
    signature binds to it. A wrong password is refused (and counts toward lockout) and nothing is released.
    """
    _require(actor, LOT_RELEASE, "")
    if actor.user is None:
        raise esign.SignatureRefused(_("Only a person can sign."))
    lot.refresh_from_db()
    spec = in_force(Specification.RELEASE)
    if lot.status in (Lot.REJECTED, Lot.RECALLED):
        raise ValidationFailed(_("Lot %(lot)s is %(status)s and cannot be released.") % {
            "lot": lot.lot_id, "status": lot.get_status_display()})
    if valid_release(lot) is not None:
        raise ValidationFailed(_("Lot %(lot)s is already released.") % {"lot": lot.lot_id})
    donor = lot.batch.collection.donor
    _eligible(donor)
    evaluation = evaluate(lot, spec)
    if evaluation.disposition is Disposition.REJECT:
        raise ValidationFailed({"__all__": [_("The lot cannot be released under %(spec)s:") % {"spec": spec.version_id},
                                            *(render(r) for r in evaluation.reasons)]})
    if lot.investigations.filter(status=Investigation.OPEN).exists():
        raise ValidationFailed(_("An out-of-specification investigation is open on this lot."))
    # The password is checked before anything is written, so a failure is counted (and not rolled back).
    _check_password(actor, password)
    results = {r.analyte: result_snapshot(r) for r in lot.results.all()}
    snapshot = {"lot": lot.lot_id, "specification": spec.version_id, "specification_hash": spec.content_hash,
                "donor": {"donor_id": donor.donor_id, "eligibility": donor.eligibility, "rule_set": donor.rule_set},
                "batch": lot.batch.code, "results": results, "evaluation": evaluation.to_dict()}
    conditional = evaluation.disposition is Disposition.CONDITIONAL
    with transaction.atomic():
        release = _create_release(
            actor, lot=lot, specification=spec.version_id, disposition=evaluation.disposition.value,
            snapshot=snapshot, snapshot_hash=snapshot_digest(snapshot),
            status=LotRelease.CONDITIONAL if conditional else LotRelease.RELEASED,
            status_reason=(gettext_noop("Released with results pending: ") + ", ".join(evaluation.pending))
            if conditional else "", released_by=actor.user, released_at=_now(), reason=comment)
        signature = esign.sign(actor, release, password=password, meaning="released", comment=comment)
        with tracked(actor, lot, reason=comment) as current:
            current.status = Lot.CONDITIONAL if conditional else Lot.RELEASED
    return ReleaseOutcome(release, signature)


def _check_password(actor: Actor, password: str) -> None:
    from celltrial.accounts.services import register_failed_password

    user = actor.user
    if user.is_locked() or not user.is_active:
        raise esign.SignatureRefused({"password": [_("Your account is locked or inactive.")]})
    if not password or not user.check_password(password):
        register_failed_password(user, context="signature")
        raise esign.SignatureRefused({"password": [_("The password is not correct. The record was not signed.")]})


def release_is_current(release: LotRelease) -> bool:
    """The release is in force and its signature still matches the results it was made on."""
    if not release.valid:
        return False
    return any(esign.is_current(s, release) for s in esign.signatures_for(release))


# ---------------------------------------------------------------- units, shipping, custody


def ledger(unit: Unit) -> list[LedgerEntry]:
    return [LedgerEntry(E(e.event), e.occurred_at) for e in unit.custody.order_by("seq")]


def hours_after_thaw() -> float:
    return DEFAULT_HOURS_AFTER_THAW


def _append(actor: Actor, operation: Create[CustodyEvent], unit: Unit, event: E, at: dt.datetime, *, place: str,
            site: Any, shipment: Shipment | None = None, notes: str = "") -> CustodyEvent:
    """Append one event to the unit's ledger under a row lock, refusing it unless it may come next."""
    unit = Unit.objects.select_for_update().get(pk=unit.pk)
    entries = ledger(unit)
    try:
        check_next(entries, event, at, expires_at=unit.lot.expires_at, hours_after_thaw=hours_after_thaw())
    except CustodyRefused as exc:
        raise _refuse("event", render(exc.message)) from None
    except RuleInputError as exc:
        raise _refuse("occurred_at", str(exc)) from None
    user = actor.user
    name = (user.get_full_name() or user.get_username()) if user is not None else actor.username
    record = operation(actor, unit=unit, seq=len(entries) + 1, event=event.value, occurred_at=at, person=user,
                       person_name=name, role=actor.role, place=place or "", site=site, shipment=shipment, notes=notes)
    with tracked(actor, unit) as current:
        current.state = event.value
        if event is E.SHIPPED and shipment is not None:
            current.site = shipment.destination
        if event is E.RETURNED:
            current.site = None
    return record


def fill_units(actor: Actor, lot: Lot, *, count: int, volume_ml: float | None = None,
               filled_at: dt.datetime | None = None, place: str = "") -> list[Unit]:
    """Fill ``count`` units (bags) from the lot, each with its own ID, stored in the manufacturer's cryostore."""
    _require(actor, UNIT_FILL, "")
    if not 1 <= count <= 99:
        raise _refuse("count", _("Fill between 1 and 99 units."))
    if lot.status in (Lot.REJECTED, Lot.RECALLED):
        raise _refuse("count", _("Lot %(lot)s is %(status)s.") % {"lot": lot.lot_id, "status": lot.get_status_display()})
    volume = volume_ml or lot.unit_volume_ml
    if not volume > 0:
        raise _refuse("volume_ml", _("Must be a positive number."))
    at = filled_at or _now()
    start = (lot.units.aggregate(n=Max("number"))["n"] or 0) + 1
    if start + count - 1 > 99:
        raise _refuse("count", _("A lot holds at most 99 units; %(n)s are filled.") % {"n": start - 1})
    units = []
    with transaction.atomic():
        for number in range(start, start + count):
            unit = _create_unit(actor, unit_id=format_unit_id(lot.lot_id, number), lot=lot, number=number,
                                volume_ml=volume)
            _append(actor, _append_manufacturer_event, unit, E.STORED, at, place=place or MANUFACTURER_PLACE, site=None)
            units.append(Unit.objects.get(pk=unit.pk))
    return units


def ship_units(actor: Actor, units: Iterable[Unit], *, destination_code: str, shipped_at: dt.datetime,
               logger_id: str = "", max_c: float | None = DEFAULT_MAX_C, place: str = "") -> Shipment:
    """Ship released units to a site in one shipper. Units become that site's (site-scoped) on shipping."""
    _require(actor, CUSTODY_MANUFACTURER, "")
    _aware(shipped_at, "shipped_at")
    units = list(units)
    if not units:
        raise _refuse("units", _("Choose at least one unit."))
    destination = study.site(destination_code)
    if destination is None:
        raise _refuse("destination", _("Unknown site %(code)s.") % {"code": destination_code})
    for unit in units:
        release = valid_release(unit.lot)
        if release is None:
            raise _refuse("units", _("%(unit)s: lot %(lot)s is not released.") % {"unit": unit.unit_id,
                                                                                 "lot": unit.lot.lot_id})
        if shipped_at < release.released_at - dt.timedelta(minutes=1):
            raise _refuse("shipped_at", _("A unit cannot have been shipped before its lot was released (%(at)s).") % {
                "at": release.released_at.isoformat(timespec="minutes")})
    n = Shipment.objects.filter(code__startswith=f"S{shipped_at.year}-").count() + 1
    with transaction.atomic():
        shipment = _create_shipment(actor, code=f"S{shipped_at.year}-{n:04d}", destination=destination,
                                    shipped_at=shipped_at, logger_id=logger_id, max_c=max_c, min_c=None)
        for unit in units:
            _append(actor, _append_manufacturer_event, unit, E.SHIPPED, shipped_at,
                    place=place or MANUFACTURER_PLACE, site=None, shipment=shipment,
                    notes=_("to %(site)s") % {"site": destination.code})
    return shipment


def import_temperature_log(actor: Actor, shipment: Shipment, data: bytes, *, file_name: str,
                           time_zone: str | None = None) -> Shipment:
    """Import the shipper's logger CSV: readings kept, excursions (outside the limits) flagged."""
    site_code = shipment.destination.code
    if not (actor.is_system or permissions.actor_may(actor, CUSTODY_SITE, site_code)
            or permissions.actor_may(actor, CUSTODY_MANUFACTURER, "")):
        raise AccessDenied(CUSTODY_SITE, site_code)
    if shipment.disposition in (Shipment.ACCEPTED, Shipment.REJECTED):
        raise _refuse("log", _("QA has decided on shipment %(code)s; its temperature log can no longer be replaced.") % {
            "code": shipment.code})
    try:
        readings = read_logger_csv(data, time_zone=time_zone or shipment.destination.timezone)
        log = find_excursions(readings, max_c=shipment.max_c, min_c=shipment.min_c)
    except RuleInputError as exc:
        raise _refuse("log", str(exc)) from None
    with tracked(actor, shipment, reason=gettext_noop("temperature log imported")) as s:
        s.log_file_name = file_name[:200]
        s.log_sha256 = hashlib.sha256(data).hexdigest()
        s.readings = [[r.at.isoformat(), r.celsius] for r in log.readings]
        s.excursions = [{"start": x.start.isoformat(), "end": x.end.isoformat(), "worst_c": x.worst_celsius,
                         "readings": x.readings, "minutes": x.minutes, "description": x.describe()}
                        for x in log.excursions]
        s.has_excursion = log.has_excursion
        if log.has_excursion:
            s.disposition = Shipment.QUARANTINE
    return shipment


DECISIONS = {"accept": Shipment.ACCEPTED, "reject": Shipment.REJECTED}


def decide_shipment(actor: Actor, shipment: Shipment, *, decision: str, reason: str, password: str) -> Shipment:
    """QA's e-signed disposition (meaning "approved") of a shipment quarantined by a temperature excursion:
    "accept" frees its units; "reject" leaves them only the destroyed (or returned) path. A reason is required."""
    _require(actor, SHIPMENT_DISPOSITION, "")  # sponsor QA, trial-wide (like a release)
    if actor.user is None:
        raise esign.SignatureRefused(_("Only a person can sign."))
    if decision not in DECISIONS:
        raise _refuse("decision", _("Decide accept or reject."))
    if not reason.strip():
        raise _refuse("reason", _("Give the reason for the decision."))
    shipment.refresh_from_db()
    if shipment.disposition != Shipment.QUARANTINE:
        raise ValidationFailed(_("Shipment %(code)s is not in quarantine: only a shipment with a temperature "
                                 "excursion awaits QA's decision.") % {"code": shipment.code})
    _check_password(actor, password)
    with transaction.atomic():
        saved = _decide_shipment(actor, shipment, {
            "disposition": DECISIONS[decision], "disposition_reason": reason.strip(), "disposition_by": actor.user,
            "disposition_at": _now()}, expected_version=shipment.version, reason=reason.strip()).instance
        esign.sign(actor, saved, password=password, meaning="approved", comment=reason.strip()[:1000])
    return saved


SITE_EVENTS = (E.RECEIVED, E.STORED, E.THAWED, E.PREPARED, E.RETURNED, E.DESTROYED)


def record_custody(actor: Actor, unit: Unit, *, event: str, occurred_at: dt.datetime, place: str = "",
                   notes: str = "") -> CustodyEvent:
    """Append a custody event done at a site (received, stored, thawed, prepared, returned, destroyed), or at
    the manufacturer (stored, destroyed). Administration is recorded only through the bedside.

    Refused: an event out of order or repeated (with the events allowed next), an event past the lot's
    expiry or past the hold time after thaw, a thaw of a unit whose lot has no valid release, a preparation
    without an allocation.
    """
    try:
        kind = E(event)
    except ValueError:
        raise _refuse("event", _("Unknown custody event.")) from None
    _aware(occurred_at, "occurred_at")
    unit.refresh_from_db()
    if occurred_at > _now() + dt.timedelta(minutes=5):
        raise _refuse("occurred_at", _("The time is in the future."))
    if kind is E.ADMINISTERED:
        raise _refuse("event", _("An administration is recorded at the bedside, after the two-identifier check."))
    if kind is E.SHIPPED:
        raise _refuse("event", _("Units are shipped from the lot page, in a shipment."))
    here = unit.site
    if here is not None and state_of(ledger(unit)).location.value in ("site", "in transit"):
        if kind not in SITE_EVENTS:
            raise _refuse("event", _("This event is not recorded at a site."))
        operation, site, default_place = _append_site_event, here, here.name
    else:
        operation, site, default_place = _append_manufacturer_event, None, _(MANUFACTURER_PLACE)
    if kind is E.THAWED and valid_release(unit.lot) is None:
        raise _refuse("event", _("Lot %(lot)s has no valid release: the unit must not be thawed.") % {"lot": unit.lot.lot_id})
    held = quarantine_of(unit) if kind in (E.THAWED, E.PREPARED) else None
    if held is not None:
        raise _refuse("event", _quarantine_text(held))
    if kind is E.PREPARED and live_allocation(unit) is None:
        raise _refuse("event", _("Allocate the unit to a participant's dose before preparing it."))
    shipment = None
    if kind is E.RECEIVED:
        shipped = unit.custody.filter(event=E.SHIPPED.value).order_by("-seq").first()
        shipment = shipped.shipment if shipped is not None else None
    with transaction.atomic():
        return _append(actor, operation, unit, kind, occurred_at, place=place or default_place, site=site,
                       shipment=shipment, notes=notes)


# ---------------------------------------------------------------- allocation, bedside, administration


def live_allocation(unit: Unit) -> Allocation | None:
    return unit.allocations.exclude(status=Allocation.CANCELLED).first()


def dosing_section() -> Any:
    protocol = study.protocol_in_force()
    if protocol is None:
        raise ValidationFailed(_("No protocol is loaded: the dosing rules come from the protocol."))
    return protocol


def dosing_refusal_text(participant: Any, on: dt.date) -> str | None:
    """The escalation room's sentinel and stagger rule for dosing ``participant`` on ``on``, in words."""
    from celltrial.escalation.interface import dosing_refusal

    refusal = dosing_refusal(participant, on)
    if refusal is None:
        return None
    after = _(" Dosing is allowed from %(day)s.") % {"day": refusal.allowed_from.isoformat()} \
        if refusal.allowed_from else ""
    return _("Dosing on %(day)s is refused: %(reason)s") % {"day": on.isoformat(), "reason": refusal.reason} + after


def quarantine_of(unit: Unit) -> Shipment | None:
    """The shipment that holds ``unit`` in quarantine (excursion awaiting QA) or rejected it; None when free."""
    shipped = unit.custody.filter(event=E.SHIPPED.value).select_related("shipment").order_by("-seq").first()
    shipment = shipped.shipment if shipped is not None else None
    if shipment is not None and shipment.disposition in (Shipment.QUARANTINE, Shipment.REJECTED):
        return shipment
    return None


def _quarantine_text(shipment: Shipment) -> str:
    if shipment.disposition == Shipment.REJECTED:
        return _("QA rejected shipment %(code)s after a temperature excursion: the unit may only be destroyed or "
                 "returned.") % {"code": shipment.code}
    return _("Shipment %(code)s had a temperature excursion: its units are quarantined until QA accepts or rejects "
             "them.") % {"code": shipment.code}


def allocate_unit(actor: Actor, unit: Unit, *, subject_id: str) -> Allocation:
    """Allocate a released unit at a site to a participant's dose.

    The participant is looked up through the participants room (``participant_ref.check_subject``): enrolled
    at this site, not withdrawn, not yet dosed, with a dose level and a dated weight on the protocol's
    weight-basis visit; the pharmacist types neither the dose level nor the weight. The escalation room's
    sentinel and stagger rule is asked for the planned dosing day (today when none is planned or it passed).

    Dose = dose level (viable cells/kg) × that weight, capped at the protocol's weight cap; volume to draw =
    cells ÷ the lot's viable concentration; the unit must be able to give the dose within the protocol's
    release tolerance, and the recipient tests of the specification (endotoxin per kg of the participant's
    weight, USP <85>) must pass.
    """
    unit.refresh_from_db()
    if unit.site is None:
        raise _refuse("unit", _("The unit is not at a site."))
    _require(actor, ALLOCATE, unit.site.code)
    release = valid_release(unit.lot)
    if release is None:
        raise _refuse("unit", _("Lot %(lot)s has no valid release.") % {"lot": unit.lot.lot_id})
    if unit.lot.expires_at <= _now():
        raise _refuse("unit", _("The unit expired at %(at)s.") % {"at": unit.lot.expires_at.isoformat()})
    held = quarantine_of(unit)
    if held is not None:
        raise _refuse("unit", _quarantine_text(held))
    state = state_of(ledger(unit))
    if state.location.value != "site" or state.last not in (E.RECEIVED, E.STORED):
        raise _refuse("unit", _("Only a unit received at the site and not yet thawed can be allocated."))
    if live_allocation(unit) is not None:
        raise _refuse("unit", _("The unit is already allocated."))
    subject = participant_ref.check_subject(subject_id, unit.site.code)
    other = Allocation.objects.filter(subject_id=subject.subject_id).exclude(status=Allocation.CANCELLED).select_related(
        "unit").first()
    if other is not None:
        raise _refuse("subject_id", _("Participant %(subject)s already has unit %(unit)s allocated (%(status)s).") % {
            "subject": subject.subject_id, "unit": other.unit.unit_id, "status": other.status})
    today = study_today(unit.site)
    planned = subject.day0 if subject.day0 is not None and subject.day0 >= today else today
    refused = dosing_refusal_text(subject.participant, planned)
    if refused:
        raise _refuse("subject_id", refused)
    protocol = dosing_section()
    level = protocol.dose_level(subject.dose_level)
    weight_kg, weight_date = float(subject.weight_kg), subject.weight_date
    if weight_date > today:
        raise _refuse("subject_id", _("The weight date is in the future."))
    dosing = protocol.dosing
    spec = Specification.objects.get(version_id=release.specification)
    try:
        plan = plan_allocation(spec.release_rules(), lot_values(unit.lot), dose_cells_per_kg=level.dose_cells_per_kg,
                               weight_kg=weight_kg, weight_cap_kg=dosing.weight_cap_kg,
                               tolerance_fraction=dosing.release_tolerance_pct / 100,
                               viable_concentration_cells_per_ml=unit.lot.concentration_cells_per_ml,
                               unit_volume_ml=unit.volume_ml)
    except RuleInputError as exc:
        raise _refuse("subject_id", str(exc)) from None
    if not plan.acceptable:
        raise ValidationFailed({"__all__": [_("This unit cannot give the dose:"), *(render(r) for r in plan.reasons)]})
    detail = {
        "dose_level": level.code, "dose_cells_per_kg": level.dose_cells_per_kg, "weight_kg": weight_kg,
        "weight_basis": dosing.weight_basis, "weight_visit": subject.weight_visit,
        "weight_date": weight_date.isoformat(), "weight_cap_kg": dosing.weight_cap_kg,
        "dosing_weight_kg": plan.plan.dosing_weight_kg, "weight_capped": plan.plan.weight_capped,
        "intended_cells": plan.plan.viable_cells, "concentration_cells_per_ml": unit.lot.concentration_cells_per_ml,
        "volume_to_draw_ml": plan.volume_to_draw_ml, "unit_volume_ml": unit.volume_ml,
        "delivered_cells": plan.delivered_cells, "tolerance_pct": dosing.release_tolerance_pct,
        "deviation_pct": plan.tolerance.deviation_fraction * 100,
        "recipient_tests": [{"code": o.code, "status": o.status.value, "reason": o.reason}
                            for o in plan.recipient_outcomes],
        "specification": spec.version_id, "planned_dosing_day": planned.isoformat(),
    }
    with transaction.atomic():
        Unit.objects.select_for_update().get(pk=unit.pk)
        if live_allocation(unit) is not None:
            raise _refuse("unit", _("The unit is already allocated."))
        return _create_allocation(actor, unit=unit, site=unit.site, subject_id=subject.subject_id,
                                  dose_level=level.code, dose_cells_per_kg=level.dose_cells_per_kg,
                                  weight_kg=weight_kg, weight_date=weight_date, weight_basis=dosing.weight_basis,
                                  dosing_weight_kg=plan.plan.dosing_weight_kg, intended_cells=plan.plan.viable_cells,
                                  volume_to_draw_ml=plan.volume_to_draw_ml, delivered_cells=plan.delivered_cells,
                                  plan=detail)


def cancel_allocation(actor: Actor, allocation: Allocation, *, reason: str, expected_version: int | None = None
                      ) -> Allocation:
    """Cancel an allocation not yet administered, with its reason (audited). A unit not yet thawed is back in
    the site's stock for another participant, and its label prints again without the recipient; a thawed
    unit cannot return to stock (the page says to record its destruction)."""
    _require(actor, ALLOCATE, allocation.site.code)
    if not reason.strip():
        raise _refuse("reason", _("Give the reason for cancelling the allocation."))
    with transaction.atomic():
        current = Allocation.objects.select_for_update().get(pk=allocation.pk)
        if current.status != Allocation.ALLOCATED:
            raise ValidationFailed(_("This allocation was already administered or cancelled."))
        return _cancel_allocation(actor, current, {"status": Allocation.CANCELLED, "cancel_reason": reason.strip()},
                                  expected_version=current.version if expected_version is None else expected_version,
                                  reason=reason.strip()).instance


def study_today(site: Any) -> dt.date:
    """Today at ``site`` (its time zone)."""
    import zoneinfo

    return timezone.now().astimezone(zoneinfo.ZoneInfo(site.timezone or "Asia/Shanghai")).date()


def bedside_check(actor: Actor, *, site_code: str, scanned_unit: str, scanned_subject: str,
                  at: dt.datetime | None = None) -> BedsideCheck:
    """Scan the unit and the participant's wristband: a match only when the unit is this site's, its lot is
    validly released, it has not expired, it is prepared for administration and is allocated to exactly this
    participant. Every check is recorded, a refused one with its reasons."""
    _require(actor, BEDSIDE, site_code)
    site = study.site(site_code)
    if site is None:
        raise _refuse("site", _("Unknown site."))
    at = at or _now()
    reasons: list[dict[str, str]] = []
    unit = allocation = None
    unit_text, subject_text = scanned_unit.strip().upper()[:60], scanned_subject.strip().upper()[:60]
    try:
        unit_id = str(parse_identifier(unit_text, IdentifierKind.UNIT))
    except IdentifierError as exc:
        reasons.append({"reason": gettext_noop("The unit barcode is not a valid unit ID."), "detail": str(exc)})
        unit_id = None
    try:
        subject = participant_ref.normalise_subject_id(subject_text)
    except ValidationFailed as exc:
        reasons.append({"reason": gettext_noop("The wristband is not a valid subject ID."),
                        "detail": " ".join(exc.errors["subject_id"])})
        subject = None
    if unit_id is not None:
        unit = Unit.objects.filter(unit_id=unit_id, site=site).select_related("lot").first()
        if unit is None:
            reasons.append({"reason": gettext_noop("No unit with this ID is at this site."), "detail": unit_id})
    if unit is not None:
        if valid_release(unit.lot) is None:
            reasons.append({"reason": gettext_noop("The unit's lot is not released (or its release is void or recalled)."),
                            "detail": unit.lot.lot_id})
        if unit.lot.expires_at <= at:
            reasons.append({"reason": gettext_noop("The unit has expired."), "detail": unit.lot.expires_at.isoformat()})
        held = quarantine_of(unit)
        if held is not None:
            reasons.append({"reason": gettext_noop("The unit's shipment is quarantined or rejected after a temperature "
                                                   "excursion."), "detail": held.code})
        if unit.state != E.PREPARED.value:
            reasons.append({"reason": gettext_noop("The unit is not prepared for administration."), "detail": unit.state or "—"})
        allocation = live_allocation(unit)
        if allocation is None or allocation.status != Allocation.ALLOCATED:
            reasons.append({"reason": gettext_noop("The unit is not allocated to anyone."), "detail": ""})
        elif subject is not None and allocation.subject_id != subject:
            reasons.append({"reason": gettext_noop("The unit is allocated to another participant, not to this wristband."),
                            "detail": subject})
    outcome = BedsideCheck.REFUSED if reasons else BedsideCheck.MATCH
    return _create_check(actor, site=site, scanned_unit=unit_text, scanned_subject=subject_text, unit=unit,
                         allocation=allocation if outcome == BedsideCheck.MATCH else None, outcome=outcome,
                         reasons=reasons, checked_at=at)


def record_administration(actor: Actor, check: BedsideCheck, *, started_at: dt.datetime, stopped_at: dt.datetime,
                          rate_ml_per_min: float, volume_ml: float, interruptions: str = "",
                          notes: str = "") -> Administration:
    """Record the administration after a matching bedside check; the ledger gets its 'administered' event."""
    _require(actor, BEDSIDE, check.site.code)
    _aware(started_at, "started_at")
    _aware(stopped_at, "stopped_at")
    if check.outcome != BedsideCheck.MATCH or check.allocation is None:
        raise ValidationFailed(_("The bedside check did not match: nothing may be administered."))
    allocation = Allocation.objects.select_related("unit__lot").get(pk=check.allocation.pk)
    if allocation.status != Allocation.ALLOCATED:
        raise ValidationFailed(_("This allocation was already administered or cancelled."))
    if stopped_at < started_at:
        raise _refuse("stopped_at", _("The stop time is before the start time."))
    if started_at < check.checked_at - dt.timedelta(minutes=1):
        raise _refuse("started_at", _("The administration cannot start before the bedside check."))
    if stopped_at > _now() + dt.timedelta(minutes=5):
        raise _refuse("stopped_at", _("The time is in the future."))
    if not 0 < volume_ml <= allocation.unit.volume_ml:
        raise _refuse("volume_ml", _("The volume given must be more than 0 and at most the unit's %(v)s mL.") % {
            "v": f"{allocation.unit.volume_ml:g}"})
    subject = participants.allocation_subject(allocation.subject_id, check.site.code)
    if subject.participant is None or subject.refusal_code in ("withdrawn", "not_enrolled", "dosed"):
        raise ValidationFailed(subject.refusal)
    dosed_on = started_at.astimezone(_tz(check.site.timezone)).date()
    refused = dosing_refusal_text(subject.participant, dosed_on)
    if refused:
        raise _refuse("started_at", refused)
    max_rate = dosing_section().dosing.infusion_rate_ml_per_min
    if not rate_ml_per_min > 0 or (max_rate is not None and rate_ml_per_min > max_rate):
        raise _refuse("rate_ml_per_min", _("The rate must be more than 0 and at most the protocol's %(r)s mL/min.") % {
            "r": f"{max_rate:g}" if max_rate is not None else "—"})
    with transaction.atomic():
        record = _create_administration(actor, allocation=allocation, bedside_check=check, site=check.site,
                                        started_at=started_at, stopped_at=stopped_at,
                                        rate_ml_per_min=rate_ml_per_min, volume_ml=volume_ml,
                                        interruptions=interruptions, notes=notes)
        _append(actor, _append_bedside_event, allocation.unit, E.ADMINISTERED, started_at,
                place=check.site.name, site=check.site,
                notes=_("to %(subject)s, %(v)s mL") % {"subject": allocation.subject_id, "v": f"{volume_ml:g}"})
        with tracked(actor, allocation) as a:
            a.status = Allocation.ADMINISTERED
        # The participant's Day 0 and visit schedule follow the real infusion (participants room, same transaction).
        participants.record_dosing(actor, subject.participant, dosed_on=dosed_on)
    return record


def _tz(name: str) -> Any:
    import zoneinfo

    return zoneinfo.ZoneInfo(name or "Asia/Shanghai")


# ---------------------------------------------------------------- recall and notifications


def affected_by(source_kind: str, source_ref: str) -> QuerySet[Lot]:
    ref = source_ref.strip()
    lookups = {
        "donor": Q(batch__collection__donor__donor_id=ref.upper()),
        "batch": Q(batch__code=ref.upper()),
        "lot": Q(lot_id=ref.upper()),
        "material": Q(batch__materials__lot_number=ref),
    }
    if source_kind not in lookups:
        raise _refuse("source_kind", _("Start a recall from a donor, a batch, a lot or a material lot."))
    return Lot.objects.filter(lookups[source_kind]).distinct()


def start_recall(actor: Actor, *, source_kind: str, source_ref: str, reason: str) -> Recall:
    """Find every lot, unit and participant reached from the source, mark the lots recalled and notify the
    investigators of the affected sites through the worker."""
    _require(actor, RECALL_START, "")
    if not reason.strip():
        raise _refuse("reason", _("Give the reason for the recall."))
    lots = list(affected_by(source_kind, source_ref))
    if not lots:
        raise _refuse("source_ref", _("Nothing was made from %(ref)s.") % {"ref": source_ref})
    units = Unit.objects.filter(lot__in=lots).select_related("site").order_by("unit_id")
    participants = []
    for allocation in Allocation.objects.filter(unit__in=units).exclude(status=Allocation.CANCELLED).select_related(
            "unit", "site"):
        participants.append({"subject_id": allocation.subject_id, "site": allocation.site.code,
                             "unit": allocation.unit.unit_id, "status": allocation.status})
    affected = {
        "lots": [lot.lot_id for lot in lots],
        "units": [{"unit": u.unit_id, "site": u.site.code if u.site else "", "state": u.state} for u in units],
        "participants": participants,
    }
    now = _now()
    n = Recall.objects.filter(code__startswith=f"R{now.year}-").count() + 1
    with transaction.atomic():
        recall = _create_recall(actor, code=f"R{now.year}-{n:04d}", source_kind=source_kind,
                                source_ref=source_ref.strip(), cause=reason, started_at=now, affected=affected,
                                reason=reason)
        for lot in lots:
            for release in lot.releases.filter(status__in=[LotRelease.RELEASED, LotRelease.CONDITIONAL,
                                                           LotRelease.CLOSED]):
                with tracked(actor, release, reason=reason) as r:
                    r.status = LotRelease.RECALLED
                    r.status_reason = gettext_noop("Recalled: ") + recall.code
            with tracked(actor, lot, reason=reason) as current:
                current.status = Lot.RECALLED
        recall_id = recall.pk
        transaction.on_commit(lambda: schedule_recall_notifications(recall_id))
    return recall


def schedule_recall_notifications(recall_id: int) -> None:
    """Hand the notifications to the worker (huey), or send them now when no worker is configured."""
    from celltrial.product.tasks import notify_recall_task

    notify_recall_task(recall_id)


def notify_recall(recall_id: int) -> list[Notification]:
    """An in-app notice and an email to every investigator of each site with affected units or participants."""
    from django.conf import settings
    from django.core.mail import send_mail

    from celltrial.accounts.models import Membership
    from celltrial.accounts.roles import Role

    recall = Recall.objects.get(pk=recall_id)
    if recall.notifications.exists():
        return []  # sent already (a retried task sends nothing twice)
    system = Actor.system("recall notification")
    sites = sorted({u["site"] for u in recall.affected.get("units", []) if u["site"]}
                   | {p["site"] for p in recall.affected.get("participants", [])})
    sent = []
    for code in sites:
        site = study.site(code)
        members = Membership.objects.filter(role=Role.INVESTIGATOR.value, active=True).filter(
            Q(site__code=code) | Q(site__isnull=True)).select_related("user")
        subjects = sorted({p["subject_id"] for p in recall.affected.get("participants", []) if p["site"] == code})
        units = sorted(u["unit"] for u in recall.affected.get("units", []) if u["site"] == code)
        subject = f"Product recall {recall.code} / 产品召回 {recall.code}"
        body = (f"Recall {recall.code} from {recall.source_kind} {recall.source_ref}: {recall.cause}\n"
                f"Lots: {', '.join(recall.affected.get('lots', []))}\n"
                f"Units at {code}: {', '.join(units) or '—'}\n"
                f"Participants at {code}: {', '.join(subjects) or '—'}\n"
                f"召回 {recall.code}：请立即隔离上述单位并评估受影响的受试者。")
        for member in {m.user_id: m for m in members}.values():
            with transaction.atomic():
                note = _create_notification(system, recipient=member.user, site=site, recall=recall,
                                            subject=subject, body=body, emailed=bool(member.user.email))
            if member.user.email:
                send_mail(subject, body, getattr(settings, "DEFAULT_FROM_EMAIL", "celltrial@localhost"),
                          [member.user.email], fail_silently=True)
            sent.append(note)
    return sent


# ---------------------------------------------------------------- chain of identity


def _dosed_on(allocation: Allocation) -> dt.date | None:
    """The participant's Day 0 as the participants room records it (None until dosed)."""
    found = participants.allocation_subject(allocation.subject_id, allocation.site.code)
    dosing = participants.dosing(found.participant) if found.participant is not None else None
    return dosing.dosed_on if dosing is not None else None


def chain_of_identity(unit: Unit) -> dict[str, Any]:
    """donor → collection → batch → lot → QC → release → unit → custody → participant → administration."""
    lot = unit.lot
    batch = lot.batch
    collection = batch.collection
    donor = collection.donor
    releases = []
    for release in lot.releases.select_related("released_by"):
        sigs = esign.signatures_for(release)
        releases.append({
            "status": release.status, "status_reason": release.status_reason, "specification": release.specification,
            "disposition": release.disposition, "released_at": release.released_at,
            "released_by": release.released_by.get_full_name() or release.released_by.get_username(),
            "snapshot_hash": release.snapshot_hash,
            "signatures": [{"signer": s.signer_name, "meaning": s.meaning, "signed_at": s.signed_at,
                            "content_hash": s.content_hash, "current": esign.is_current(s, release),
                            "void_reason": s.void_reason} for s in sigs],
        })
    evaluation = evaluate(lot, lot.specification) if lot.results.exists() else None
    shipments = {e.shipment_id: e.shipment for e in unit.custody.select_related("shipment")
                 if e.shipment is not None}
    allocation = live_allocation(unit)
    administration = getattr(allocation, "administration", None) if allocation is not None else None
    return jsonable({
        "unit": {"unit_id": unit.unit_id, "number": unit.number, "volume_ml": unit.volume_ml,
                 "viable_cells": unit.viable_cells, "site": unit.site.code if unit.site else "", "state": unit.state},
        "donor": {"donor_id": donor.donor_id, "eligibility": donor.eligibility, "rule_set": donor.rule_set,
                  "age_years": donor.age_years},
        "collection": {"code": collection.code, "collected_on": collection.collected_on,
                       "volume_ml": collection.volume_ml, "nucleated_cells": collection.nucleated_cells},
        "batch": {"code": batch.code, "started_on": batch.started_on,
                  "o2_band_pct": [batch.o2_low_pct, batch.o2_high_pct],
                  "steps": [{"number": s.number, "kind": s.kind, "passage": s.passage_number,
                             "performed_at": s.performed_at, "seeded_cells": s.seeded_cells,
                             "harvested_cells": s.harvested_cells, "population_doublings": s.population_doublings,
                             "cumulative_pd": s.cumulative_pd, "o2_setpoint_pct": s.o2_setpoint_pct,
                             "o2_alarm": s.o2_alarm} for s in batch.steps.order_by("number")],
                  "materials": [{"kind": m.kind, "material": m.material, "lot_number": m.lot_number}
                                for m in batch.materials.all()],
                  "deviations": [{"raised_on": d.raised_on, "description": d.description,
                                  "capa_reference": d.capa_reference} for d in batch.deviations.all()]},
        "lot": {"lot_id": lot.lot_id, "status": lot.status, "specification": lot.specification.version_id,
                "expires_at": lot.expires_at, "concentration_cells_per_ml": lot.concentration_cells_per_ml},
        "qc": {"results": [{"analyte": r.analyte, "value": r.value, "unit": r.unit, "method": r.method,
                            "analyst": r.analyst, "tested_on": r.tested_on} for r in lot.results.all()],
               "evaluation": evaluation.to_dict() if evaluation else None},
        "releases": releases,
        "custody": [{"seq": e.seq, "event": e.event, "occurred_at": e.occurred_at, "person": e.person_name,
                     "role": e.role, "place": e.place, "site": e.site.code if e.site else "",
                     "shipment": e.shipment.code if e.shipment else "", "notes": e.notes}
                    for e in unit.custody.select_related("site", "shipment").order_by("seq")],
        "shipments": [{"code": s.code, "destination": s.destination.code, "shipped_at": s.shipped_at,
                       "logger_id": s.logger_id, "max_c": s.max_c, "has_excursion": s.has_excursion,
                       "excursions": s.excursions, "readings": len(s.readings)} for s in shipments.values()],
        "participant": ({"subject_id": allocation.subject_id, "site": allocation.site.code,
                         "status": allocation.status, "dose": allocation.plan,
                         "dosed_on": _dosed_on(allocation)} if allocation else None),
        "bedside_checks": [{"checked_at": c.checked_at, "outcome": c.outcome, "scanned_unit": c.scanned_unit,
                            "scanned_subject": c.scanned_subject, "reasons": c.reasons}
                           for c in unit.bedside_checks.order_by("checked_at")],
        "administration": ({"started_at": administration.started_at, "stopped_at": administration.stopped_at,
                            "rate_ml_per_min": administration.rate_ml_per_min,
                            "volume_ml": administration.volume_ml,
                            "interruptions": administration.interruptions} if administration else None),
    })
