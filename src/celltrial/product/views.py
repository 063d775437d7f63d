"""Product pages: donors, batches, lots (QC, release, certificate), units (custody, label, allocation), bedside,
chain of identity, recalls. Writes go through product.services; a refused form keeps what was typed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from celltrial.accounts import permissions
from celltrial.accounts.decorators import requires
from celltrial.accounts.signatures import SignatureRefused, signatures_for
from celltrial.core.errors import AccessDenied, ConflictError, ValidationFailed
from celltrial.core.forms import attempt, show_errors
from celltrial.participants import interface as participants
from celltrial.product import documents, forms, services
from celltrial.product.models import (
    Allocation,
    Batch,
    BedsideCheck,
    Donor,
    Lot,
    Notification,
    QcResult,
    Recall,
    Shipment,
    Specification,
    Unit,
)
from celltrial.product.permissions import (
    ALLOCATE,
    BEDSIDE,
    CUSTODY_MANUFACTURER,
    CUSTODY_SITE,
    DONOR_MANAGE,
    LABEL_PRINT,
    LOT_RELEASE,
    MANUFACTURE_RECORD,
    NOTIFICATIONS_VIEW,
    PRODUCT_VIEW,
    QC_RECORD,
    RECALL_START,
    SHIPMENT_DISPOSITION,
    UNIT_FILL,
)
from celltrial.product.rules.custody import state_of
from celltrial.study import interface as study

DONOR_UNITS = "collections__batches__lot__units__site__code"
BATCH_UNITS = "lot__units__site__code"
LOT_UNITS = "units__site__code"


def _zone() -> str:
    return str(getattr(settings, "CELLTRIAL_DEFAULT_SITE_TZ", "Asia/Shanghai"))


def _unit_zone(unit: Unit) -> str:
    return unit.site.timezone if unit.site is not None else _zone()


def _lots(request: HttpRequest) -> Any:
    return services.visible(Lot.objects.select_related("batch__collection__donor"), request.user, PRODUCT_VIEW,
                            LOT_UNITS)


def _units(request: HttpRequest) -> Any:
    return permissions.scope(Unit.objects.select_related("lot", "site"), request.user, PRODUCT_VIEW)


def _has(request: HttpRequest, permission: str, site_code: str | None = "") -> bool:
    return permissions.has_perm(request.user, permission, site_code)


def _guard(request: HttpRequest, permission: str, site_code: str = "") -> None:
    """Refuse before reading the form: manufacturing writes need a trial-wide grant, site writes one at the site."""
    if not _has(request, permission, site_code):
        raise PermissionDenied(permission)


# ---------------------------------------------------------------- index


@requires(PRODUCT_VIEW)
def index(request: HttpRequest) -> HttpResponse:
    lots = list(_lots(request).order_by("-lot_id")[:200])
    units = list(_units(request).order_by("unit_id")[:500])
    return render(request, "product/index.html", {
        "lots": lots, "units": units, "zone": _zone(),
        "shipments": permissions.scope(Shipment.objects.select_related("destination"), request.user,
                                       PRODUCT_VIEW)[:50],
        "can_manage": _has(request, MANUFACTURE_RECORD, None),
    })


# ---------------------------------------------------------------- specifications


@requires(PRODUCT_VIEW)
def specifications(request: HttpRequest) -> HttpResponse:
    form = forms.SpecificationForm(request.POST or None, request.FILES or None)
    status = 200
    if request.method == "POST":
        _guard(request, QC_RECORD)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            data = upload.read(services.SPEC_MAX_BYTES + 1)
            ok, spec = attempt(form, lambda: services.load_release_specification(
                permissions.actor_for(request.user, QC_RECORD, ""), data, file_name=upload.name, reason=form.cleaned_data["reason"]))
            if ok:
                messages.success(request, _("Specification %(version)s loaded: in force for new lots.") % {
                    "version": spec.version_id})
                return redirect("product_specifications")
        status = 400
    listed = Specification.objects.filter(kind=Specification.RELEASE).order_by("-id")
    current = listed.first()
    return render(request, "product/specifications.html", {
        "form": form, "specifications": listed, "current": current, "can_load": _has(request, QC_RECORD, None)},
        status=status)


# ---------------------------------------------------------------- donors


def _history_questions() -> list[tuple[str, str]]:
    rules = services.in_force(Specification.DONOR).donor_rules()
    return [(q.code, q.question) for q in rules.history]


def _marker_choices() -> list[tuple[str, str]]:
    rules = services.in_force(Specification.DONOR).donor_rules()
    return [(m.code, m.name) for m in rules.markers]


@requires(DONOR_MANAGE)
def donors(request: HttpRequest) -> HttpResponse:
    form = forms.DonorForm(request.POST or None, history=_history_questions())
    status = 200
    if request.method == "POST":
        _guard(request, DONOR_MANAGE)
        if form.is_valid():
            data = form.cleaned_data
            ok, donor = attempt(form, lambda: services.register_donor(
                permissions.actor_for(request.user, DONOR_MANAGE, ""), donor_id=data["donor_id"].strip(), age_years=data["age_years"],
                assessment_date=data["assessment_date"], history=form.history()))
            if ok:
                messages.success(request, _("Donor %(id)s registered.") % {"id": donor.donor_id})
                return redirect("product_donor", donor_id=donor.donor_id)
        status = 400
    listed = services.visible(Donor.objects.all(), request.user, PRODUCT_VIEW, DONOR_UNITS)
    return render(request, "product/donors.html", {"donors": listed, "form": form}, status=status)


def _donor_page(request: HttpRequest, donor: Donor, *, status: int = 200, **extra: Any) -> HttpResponse:
    return render(request, "product/donor.html", {
        "donor": donor, "markers": donor.markers.order_by("code"),
        "collections": donor.collections.prefetch_related("batches"),
        "can_manage": _has(request, DONOR_MANAGE, None), "can_record": _has(request, MANUFACTURE_RECORD, None),
        "marker_form": extra.pop("marker_form", None) or forms.MarkerForm(markers=_marker_choices()),
        "collection_form": extra.pop("collection_form", None) or forms.CollectionForm(),
        "batch_form": extra.pop("batch_form", None) or forms.BatchForm(),
        **extra,
    }, status=status)


def _visible_donor(request: HttpRequest, donor_id: str) -> Donor:
    return get_object_or_404(services.visible(Donor.objects.all(), request.user, PRODUCT_VIEW, DONOR_UNITS),
                             donor_id=donor_id)


@requires(PRODUCT_VIEW)
def donor_detail(request: HttpRequest, donor_id: str) -> HttpResponse:
    return _donor_page(request, _visible_donor(request, donor_id))


@require_POST
@requires(DONOR_MANAGE)
def donor_marker(request: HttpRequest, donor_id: str) -> HttpResponse:
    donor = _visible_donor(request, donor_id)
    _guard(request, DONOR_MANAGE)
    form = forms.MarkerForm(request.POST, markers=_marker_choices())
    if form.is_valid():
        ok, _m = attempt(form, lambda: services.record_donor_marker(permissions.actor_for(request.user, DONOR_MANAGE, ""), donor,
                                                                      **form.cleaned_data))
        if ok:
            messages.success(request, _("Marker recorded; eligibility judged again."))
            return redirect("product_donor", donor_id=donor.donor_id)
    return _donor_page(request, donor, marker_form=form, status=400)


@require_POST
@requires(MANUFACTURE_RECORD)
def collection_new(request: HttpRequest, donor_id: str) -> HttpResponse:
    donor = _visible_donor(request, donor_id)
    _guard(request, MANUFACTURE_RECORD)
    form = forms.CollectionForm(request.POST)
    if form.is_valid():
        ok, _c = attempt(form, lambda: services.record_collection(permissions.actor_for(request.user, MANUFACTURE_RECORD, ""), donor,
                                                                    **form.cleaned_data))
        if ok:
            messages.success(request, _("Collection recorded."))
            return redirect("product_donor", donor_id=donor.donor_id)
    return _donor_page(request, donor, collection_form=form, status=400)


@require_POST
@requires(MANUFACTURE_RECORD)
def batch_new(request: HttpRequest, donor_id: str, collection: str) -> HttpResponse:
    donor = _visible_donor(request, donor_id)
    _guard(request, MANUFACTURE_RECORD)
    source = get_object_or_404(donor.collections.all(), code=collection)
    form = forms.BatchForm(request.POST)
    if form.is_valid():
        ok, batch = attempt(form, lambda: services.start_batch(permissions.actor_for(request.user, MANUFACTURE_RECORD, ""), source,
                                                                 **form.cleaned_data))
        if ok:
            return redirect("product_batch", code=batch.code)
    return _donor_page(request, donor, batch_form=form, status=400)


# ---------------------------------------------------------------- batches


def _visible_batch(request: HttpRequest, code: str) -> Batch:
    return get_object_or_404(services.visible(Batch.objects.select_related("collection__donor"), request.user,
                                              PRODUCT_VIEW, BATCH_UNITS), code=code)


def _batch_page(request: HttpRequest, batch: Batch, *, status: int = 200, **extra: Any) -> HttpResponse:
    return render(request, "product/batch.html", {
        "batch": batch, "steps": batch.steps.order_by("number"), "materials": batch.materials.all(),
        "deviations": batch.deviations.all(), "lot": getattr(batch, "lot", None), "zone": _zone(),
        "can_record": _has(request, MANUFACTURE_RECORD, None),
        "step_form": extra.pop("step_form", None) or forms.StepForm(zone=_zone()),
        "material_form": extra.pop("material_form", None) or forms.MaterialForm(),
        "deviation_form": extra.pop("deviation_form", None) or forms.DeviationForm(),
        "lot_form": extra.pop("lot_form", None) or forms.LotForm(zone=_zone()),
        "capa_form": extra.pop("capa_form", None),
        **extra,
    }, status=status)


@requires(PRODUCT_VIEW)
def batch_detail(request: HttpRequest, code: str) -> HttpResponse:
    return _batch_page(request, _visible_batch(request, code))


@require_POST
@requires(MANUFACTURE_RECORD)
def batch_record(request: HttpRequest, code: str, what: str) -> HttpResponse:
    batch = _visible_batch(request, code)
    _guard(request, MANUFACTURE_RECORD)
    builders: dict[str, tuple[Callable[..., Any], Callable[..., Any], str]] = {
        "step": (lambda: forms.StepForm(request.POST, zone=_zone()), services.record_culture_step, "step_form"),
        "material": (lambda: forms.MaterialForm(request.POST), services.record_material, "material_form"),
        "deviation": (lambda: forms.DeviationForm(request.POST), services.record_deviation, "deviation_form"),
        "lot": (lambda: forms.LotForm(request.POST, zone=_zone()), services.create_lot, "lot_form"),
        "capa": (lambda: forms.CapaForm(request.POST), services.set_capa, "capa_form"),
    }
    if what not in builders:
        return _batch_page(request, batch, status=404)
    make, service, name = builders[what]
    form = make()
    if form.is_valid():
        ok, made = attempt(form, lambda: service(permissions.actor_for(request.user, MANUFACTURE_RECORD, ""), batch, **form.cleaned_data))
        if ok:
            messages.success(request, _("Saved."))
            if what == "lot":
                return redirect("product_lot", lot_id=made.lot_id)
            return redirect("product_batch", code=batch.code)
    return _batch_page(request, batch, status=400, **{name: form})


# ---------------------------------------------------------------- lots, QC, release


def _visible_lot(request: HttpRequest, lot_id: str) -> Lot:
    return get_object_or_404(_lots(request), lot_id=lot_id)


def _analyte_choices() -> list[tuple[str, str]]:
    spec = services.in_force(Specification.RELEASE).release_rules()
    found: dict[str, str] = {}
    for test in spec.tests:
        for analyte in test.analytes:
            found.setdefault(analyte, f"{analyte} — {test.name}")
    return list(found.items())


def _lot_page(request: HttpRequest, lot: Lot, *, status: int = 200, **extra: Any) -> HttpResponse:
    from celltrial.accounts.signatures import signatures_for

    spec = services.in_force(Specification.RELEASE)
    evaluation = services.evaluate(lot, spec)
    releases = [{"release": r, "signatures": signatures_for(r), "current": services.release_is_current(r)}
                for r in lot.releases.select_related("released_by")]
    units = list(lot.units.select_related("site").order_by("number"))
    visible_units = {u.pk for u in _units(request)}
    site_choices = [(s.code, f"{s.code} {s.name}") for s in study.sites()]
    return render(request, "product/lot.html", {
        "lot": lot, "spec": spec, "evaluation": evaluation, "results": {r.analyte: r for r in lot.results.all()},
        "releases": releases, "valid_release": services.valid_release(lot),
        "units": [u for u in units if u.pk in visible_units], "zone": _zone(),
        "investigations": lot.investigations.all(),
        "can_qc": _has(request, QC_RECORD, None), "can_release": _has(request, LOT_RELEASE, None),
        "can_fill": _has(request, UNIT_FILL, None), "can_ship": _has(request, CUSTODY_MANUFACTURER, None),
        "qc_form": extra.pop("qc_form", None) or forms.QcResultForm(analytes=_analyte_choices()),
        "release_form": extra.pop("release_form", None) or forms.ReleaseForm(),
        "fill_form": extra.pop("fill_form", None) or forms.FillForm(initial={"volume_ml": lot.unit_volume_ml}),
        "ship_form": extra.pop("ship_form", None) or forms.ShipForm(
            zone=_zone(), units=[(u.unit_id, u.unit_id) for u in units if u.state == "stored" and u.site is None],
            sites=site_choices, initial={"max_c": -150}),
        **extra,
    }, status=status)


@requires(PRODUCT_VIEW)
def lot_detail(request: HttpRequest, lot_id: str) -> HttpResponse:
    return _lot_page(request, _visible_lot(request, lot_id))


@require_POST
@requires(QC_RECORD)
def qc_result(request: HttpRequest, lot_id: str) -> HttpResponse:
    lot = _visible_lot(request, lot_id)
    _guard(request, QC_RECORD)
    form = forms.QcResultForm(request.POST, analytes=_analyte_choices())
    if form.is_valid():
        ok, _r = attempt(form, lambda: services.record_qc_result(permissions.actor_for(request.user, QC_RECORD, ""), lot, **form.cleaned_data))
        if ok:
            messages.success(request, _("Result recorded."))
            return redirect("product_lot", lot_id=lot.lot_id)
    return _lot_page(request, lot, qc_form=form, status=400)


@requires(QC_RECORD)
def qc_correct(request: HttpRequest, lot_id: str, analyte: str) -> HttpResponse:
    lot = _visible_lot(request, lot_id)
    result = get_object_or_404(QcResult, lot=lot, analyte=analyte)
    initial = {"value": result.value, "unit": result.unit, "method": result.method, "analyst": result.analyst,
               "tested_on": result.tested_on, "version": result.version}
    form = forms.CorrectResultForm(request.POST or None, initial=initial)
    context: dict[str, Any] = {"lot": lot, "result": result, "form": form,
                               "release": services.valid_release(lot)}
    if request.method != "POST":
        return render(request, "product/qc_correct.html", context)
    _guard(request, QC_RECORD)
    if form.is_valid():
        data = dict(form.cleaned_data)
        reason, version = data.pop("reason"), data.pop("version")
        try:
            _saved, voided = services.correct_qc_result(permissions.actor_for(request.user, QC_RECORD, ""), result, data,
                                                        expected_version=version, reason=reason)
        except ConflictError as exc:
            context.update(conflict=str(exc), conflict_rows=[
                (k, exc.current_values.get(k), exc.attempted_values.get(k)) for k in data])
            return render(request, "product/qc_correct.html", context, status=409)
        except ValidationFailed as exc:
            show_errors(form, exc)
        except AccessDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        else:
            messages.success(request, _("Result corrected."))
            for _release in voided:
                messages.warning(request, _("The release of lot %(lot)s is now VOID: a result it was made on changed.")
                                 % {"lot": lot.lot_id})
            return redirect("product_lot", lot_id=lot.lot_id)
    return render(request, "product/qc_correct.html", context, status=400)


@require_POST
@requires(QC_RECORD)
def close_investigation(request: HttpRequest, lot_id: str, pk: int) -> HttpResponse:
    lot = _visible_lot(request, lot_id)
    _guard(request, QC_RECORD)
    investigation = get_object_or_404(lot.investigations.all(), pk=pk)
    form = forms.CloseInvestigationForm(request.POST)
    if form.is_valid():
        try:
            services.close_investigation(permissions.actor_for(request.user, QC_RECORD, ""), investigation, **form.cleaned_data)
        except ConflictError as exc:
            messages.error(request, str(exc))
        except ValidationFailed as exc:
            messages.error(request, " ".join(m for msgs in exc.errors.values() for m in msgs))
        except AccessDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        else:
            messages.success(request, _("Investigation closed."))
            return redirect("product_lot", lot_id=lot.lot_id)
    for errors in form.errors.values():
        messages.error(request, " ".join(str(e) for e in errors))
    return _lot_page(request, lot, status=400)


@require_POST
@requires(LOT_RELEASE)
def release(request: HttpRequest, lot_id: str) -> HttpResponse:
    lot = _visible_lot(request, lot_id)
    _guard(request, LOT_RELEASE)
    form = forms.ReleaseForm(request.POST)
    if form.is_valid():
        try:
            services.release_lot(permissions.actor_for(request.user, LOT_RELEASE, ""), lot, password=form.cleaned_data["password"],
                                 comment=form.cleaned_data["comment"])
        except (SignatureRefused, ValidationFailed) as exc:
            show_errors(form, exc)
        except AccessDenied as exc:
            raise PermissionDenied(str(exc)) from exc
        else:
            messages.success(request, _("Lot %(lot)s released and signed.") % {"lot": lot.lot_id})
            return redirect("product_lot", lot_id=lot.lot_id)
    return _lot_page(request, lot, release_form=form, status=400)


@requires(PRODUCT_VIEW)
def coa(request: HttpRequest, lot_id: str) -> HttpResponse:
    lot = _visible_lot(request, lot_id)
    release = services.valid_release(lot) or lot.releases.first()
    if release is None:
        messages.error(request, _("A certificate of analysis is issued at release; lot %(lot)s is not released.")
                       % {"lot": lot.lot_id})
        return redirect("product_lot", lot_id=lot.lot_id)
    pdf = documents.certificate_of_analysis(lot, release, zone=_zone())
    return _pdf(pdf, f"CoA-{lot.lot_id}.pdf")


def _pdf(data: bytes, name: str) -> HttpResponse:
    response = HttpResponse(data, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{name}"'
    return response


@require_POST
@requires(UNIT_FILL)
def fill(request: HttpRequest, lot_id: str) -> HttpResponse:
    lot = _visible_lot(request, lot_id)
    _guard(request, UNIT_FILL)
    form = forms.FillForm(request.POST)
    if form.is_valid():
        ok, units = attempt(form, lambda: services.fill_units(
            permissions.actor_for(request.user, UNIT_FILL, ""), lot, count=form.cleaned_data["count"], volume_ml=form.cleaned_data["volume_ml"]))
        if ok:
            messages.success(request, _("%(n)s units filled and stored.") % {"n": len(units)})
            return redirect("product_lot", lot_id=lot.lot_id)
    return _lot_page(request, lot, fill_form=form, status=400)


@require_POST
@requires(CUSTODY_MANUFACTURER)
def ship(request: HttpRequest, lot_id: str) -> HttpResponse:
    lot = _visible_lot(request, lot_id)
    _guard(request, CUSTODY_MANUFACTURER)
    units = list(lot.units.all())
    form = forms.ShipForm(request.POST, zone=_zone(), units=[(u.unit_id, u.unit_id) for u in units],
                          sites=[(s.code, s.code) for s in study.sites()])
    if form.is_valid():
        data = form.cleaned_data
        chosen = [u for u in units if u.unit_id in set(data["units"])]
        ok, shipment = attempt(form, lambda: services.ship_units(
            permissions.actor_for(request.user, CUSTODY_MANUFACTURER, ""), chosen, destination_code=data["destination"],
            shipped_at=data["shipped_at"], logger_id=data["logger_id"], max_c=data["max_c"]))
        if ok:
            messages.success(request, _("Shipment %(code)s recorded.") % {"code": shipment.code})
            return redirect("product_shipment", code=shipment.code)
    return _lot_page(request, lot, ship_form=form, status=400)


# ---------------------------------------------------------------- shipments


def _visible_shipment(request: HttpRequest, code: str) -> Shipment:
    return get_object_or_404(permissions.scope(Shipment.objects.select_related("destination"), request.user,
                                               PRODUCT_VIEW), code=code)


def _shipment_page(request: HttpRequest, shipment: Shipment, *, status: int = 200, **extra: Any) -> HttpResponse:
    site = shipment.destination.code
    units = Unit.objects.filter(custody__shipment=shipment).distinct().order_by("unit_id")
    return render(request, "product/shipment.html", {
        "shipment": shipment, "units": units, "zone": shipment.destination.timezone,
        "readings": shipment.readings[:2000],
        "can_import": _has(request, CUSTODY_SITE, site) or _has(request, CUSTODY_MANUFACTURER, ""),
        "log_form": extra.pop("log_form", None) or forms.TemperatureLogForm(),
        "can_decide": shipment.disposition == Shipment.QUARANTINE and _has(request, SHIPMENT_DISPOSITION, ""),
        "decision_form": extra.pop("decision_form", None) or forms.ShipmentDecisionForm(),
        "decision_signatures": signatures_for(shipment), **extra,
    }, status=status)


@require_POST
@requires(SHIPMENT_DISPOSITION)
def shipment_decision(request: HttpRequest, code: str) -> HttpResponse:
    shipment = _visible_shipment(request, code)
    _guard(request, SHIPMENT_DISPOSITION)
    form = forms.ShipmentDecisionForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        ok, _s = attempt(form, lambda: services.decide_shipment(
            permissions.actor_for(request.user, SHIPMENT_DISPOSITION, ""), shipment, decision=data["decision"],
            reason=data["reason"], password=data["password"]))
        if ok:
            messages.success(request, _("QA decision signed."))
            return redirect("product_shipment", code=shipment.code)
    return _shipment_page(request, shipment, decision_form=form, status=400)


@requires(PRODUCT_VIEW)
def shipment_detail(request: HttpRequest, code: str) -> HttpResponse:
    return _shipment_page(request, _visible_shipment(request, code))


@require_POST
@requires(PRODUCT_VIEW)
def temperature_log(request: HttpRequest, code: str) -> HttpResponse:
    shipment = _visible_shipment(request, code)
    site = shipment.destination.code
    permission, where = (CUSTODY_SITE, site) if _has(request, CUSTODY_SITE, site) else (CUSTODY_MANUFACTURER, "")
    _guard(request, permission, where)
    form = forms.TemperatureLogForm(request.POST, request.FILES)
    if form.is_valid():
        upload = form.cleaned_data["log"]
        if upload.size > 5 * 1024 * 1024:
            form.add_error("log", _("The file is larger than 5 MB."))
        else:
            data = upload.read()
            ok, _s = attempt(form, lambda: services.import_temperature_log(
                permissions.actor_for(request.user, permission, where), shipment, data, file_name=upload.name))
            if ok:
                shipment.refresh_from_db()
                if shipment.has_excursion:
                    messages.warning(request, _("Temperature excursion: see the excursions below."))
                else:
                    messages.success(request, _("Temperature log imported: no excursion."))
                return redirect("product_shipment", code=shipment.code)
    return _shipment_page(request, shipment, log_form=form, status=400)


# ---------------------------------------------------------------- units


def _visible_unit(request: HttpRequest, unit_id: str) -> Unit:
    return get_object_or_404(_units(request), unit_id=unit_id)


def _unit_page(request: HttpRequest, unit: Unit, *, status: int = 200, **extra: Any) -> HttpResponse:
    state = state_of(services.ledger(unit))
    site = unit.site.code if unit.site else ""
    protocol = study.protocol_in_force()
    basis = ""
    if protocol is not None:
        basis = _("The dose level and the weight come from the participant's record: the weight on the protocol's "
                  "weight-basis day (%(basis)s, vitals at %(visits)s), capped at %(cap)s kg.") % {
            "basis": protocol.dosing.weight_basis, "visits": ", ".join(participants.weight_basis_visits(protocol)),
            "cap": protocol.dosing.weight_cap_kg or "—"}
    allocation = services.live_allocation(unit)
    zone = _unit_zone(unit)
    may_custody = _has(request, CUSTODY_SITE, site) if site else _has(request, CUSTODY_MANUFACTURER, "")
    allowed = [e for e in state.allowed if e.value not in ("administered", "shipped")]
    return render(request, "product/unit.html", {
        "unit": unit, "lot": unit.lot, "events": unit.custody.select_related("site", "shipment").order_by("seq"),
        "state": state, "allocation": allocation, "zone": zone, "quarantine": services.quarantine_of(unit),
        "can_cancel": allocation is not None and allocation.status == Allocation.ALLOCATED and bool(site)
        and _has(request, ALLOCATE, site),
        "cancel_form": extra.pop("cancel_form", None) or forms.CancelAllocationForm(),
        "thawed": state.thawed_at is not None,
        "release": services.valid_release(unit.lot), "expired": unit.lot.expires_at <= timezone.now(),
        "can_custody": may_custody and bool(allowed), "can_allocate": bool(site) and _has(request, ALLOCATE, site),
        "can_label": _has(request, LABEL_PRINT, site),
        "custody_form": extra.pop("custody_form", None) or forms.CustodyForm(
            zone=zone, allowed=allowed, initial={"occurred_at": timezone.localtime(timezone.now(), _tz(zone))
                                                 .strftime("%Y-%m-%dT%H:%M:%S")}),
        "allocation_form": extra.pop("allocation_form", None) or forms.AllocationForm(basis=basis),
        **extra,
    }, status=status)


def _tz(name: str) -> Any:
    import zoneinfo

    return zoneinfo.ZoneInfo(name)


@requires(PRODUCT_VIEW)
def unit_detail(request: HttpRequest, unit_id: str) -> HttpResponse:
    return _unit_page(request, _visible_unit(request, unit_id))


@require_POST
@requires(PRODUCT_VIEW)
def custody(request: HttpRequest, unit_id: str) -> HttpResponse:
    unit = _visible_unit(request, unit_id)
    site = unit.site.code if unit.site else ""
    permission = CUSTODY_SITE if site else CUSTODY_MANUFACTURER
    _guard(request, permission, site)
    state = state_of(services.ledger(unit))
    form = forms.CustodyForm(request.POST, zone=_unit_zone(unit), allowed=list(state.allowed))
    if form.is_valid():
        ok, _e = attempt(form, lambda: services.record_custody(permissions.actor_for(request.user, permission, site), unit,
                                                                 **form.cleaned_data))
        if ok:
            messages.success(request, _("Custody event recorded."))
            return redirect("product_unit", unit_id=unit.unit_id)
    return _unit_page(request, unit, custody_form=form, status=400)


@require_POST
@requires(ALLOCATE)
def allocate(request: HttpRequest, unit_id: str) -> HttpResponse:
    unit = _visible_unit(request, unit_id)
    _guard(request, ALLOCATE, unit.site.code if unit.site else "")
    form = forms.AllocationForm(request.POST)
    if form.is_valid():
        site = unit.site.code if unit.site else ""
        ok, allocation = attempt(form, lambda: services.allocate_unit(permissions.actor_for(request.user, ALLOCATE, site), unit,
                                                                        **form.cleaned_data))
        if ok:
            messages.success(request, _("Unit allocated to %(subject)s: draw %(ml).2f mL.") % {
                "subject": allocation.subject_id, "ml": allocation.volume_to_draw_ml})
            return redirect("product_unit", unit_id=unit.unit_id)
    return _unit_page(request, unit, allocation_form=form, status=400)


@require_POST
@requires(ALLOCATE)
def cancel_allocation(request: HttpRequest, unit_id: str) -> HttpResponse:
    unit = _visible_unit(request, unit_id)
    site = unit.site.code if unit.site else ""
    _guard(request, ALLOCATE, site)
    allocation = services.live_allocation(unit)
    form = forms.CancelAllocationForm(request.POST)
    if allocation is None:
        form.is_valid()
        form.add_error(None, _("The unit is not allocated."))
    elif form.is_valid():
        ok, _a = attempt(form, lambda: services.cancel_allocation(permissions.actor_for(request.user, ALLOCATE, site), allocation,
                                                                    reason=form.cleaned_data["reason"]))
        if ok:
            messages.success(request, _("Allocation cancelled; print the label again (without the recipient)."))
            return redirect("product_unit", unit_id=unit.unit_id)
    return _unit_page(request, unit, cancel_form=form, status=400)


@requires(LABEL_PRINT)
def label(request: HttpRequest, unit_id: str) -> HttpResponse:
    unit = _visible_unit(request, unit_id)
    return _pdf(documents.unit_label(unit, zone=_unit_zone(unit)), f"label-{unit.unit_id}.pdf")


@requires(PRODUCT_VIEW)
def chain(request: HttpRequest, unit_id: str) -> HttpResponse:
    unit = _visible_unit(request, unit_id)
    return render(request, "product/chain.html", {"unit": unit, "chain": services.chain_of_identity(unit),
                                                  "zone": _unit_zone(unit)})


@requires(PRODUCT_VIEW)
def chain_pdf(request: HttpRequest, unit_id: str) -> HttpResponse:
    unit = _visible_unit(request, unit_id)
    return _pdf(documents.chain_of_identity(services.chain_of_identity(unit), zone=_unit_zone(unit)),
                f"chain-{unit.unit_id}.pdf")


# ---------------------------------------------------------------- bedside


def _bedside_sites(request: HttpRequest) -> list[tuple[str, str]]:
    codes = permissions.site_codes_with(request.user, BEDSIDE)
    return [(s.code, f"{s.code} {s.name}") for s in study.sites()
            if permissions.ALL_SITES in codes or s.code in codes]


@requires(BEDSIDE)
def bedside(request: HttpRequest) -> HttpResponse:
    sites = _bedside_sites(request)
    form = forms.BedsideForm(request.POST or None, sites=sites, initial={"site": sites[0][0] if sites else ""})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        _guard(request, BEDSIDE, data["site"])
        ok, check = attempt(form, lambda: services.bedside_check(
            permissions.actor_for(request.user, BEDSIDE, data["site"]), site_code=data["site"], scanned_unit=data["scanned_unit"],
            scanned_subject=data["scanned_subject"]))
        if ok:
            return redirect("product_bedside_check", pk=check.pk)
    status = 400 if request.method == "POST" else 200
    recent = permissions.scope(BedsideCheck.objects.select_related("site"), request.user, BEDSIDE)[:10]
    return render(request, "product/bedside.html", {"form": form, "recent": recent}, status=status)


def _check_page(request: HttpRequest, check: BedsideCheck, *, status: int = 200, **extra: Any) -> HttpResponse:
    zone = check.site.timezone
    now = timezone.localtime(timezone.now(), _tz(zone)).strftime("%Y-%m-%dT%H:%M:%S")
    allocation = check.allocation
    done = getattr(allocation, "administration", None) if allocation is not None else None
    initial: dict[str, Any] = {"started_at": now, "stopped_at": now}
    if allocation is not None:
        initial["volume_ml"] = round(allocation.volume_to_draw_ml, 2)
    return render(request, "product/bedside_check.html", {
        "check": check, "allocation": allocation, "administration": done, "zone": zone,
        "form": extra.pop("form", None) or forms.AdministrationForm(zone=zone, initial=initial), **extra,
    }, status=status)


def _visible_check(request: HttpRequest, pk: int) -> BedsideCheck:
    return get_object_or_404(permissions.scope(BedsideCheck.objects.select_related("site", "allocation__unit"),
                                               request.user, BEDSIDE), pk=pk)


@requires(BEDSIDE)
def bedside_check(request: HttpRequest, pk: int) -> HttpResponse:
    check = _visible_check(request, pk)
    if request.method != "POST":
        return _check_page(request, check)
    _guard(request, BEDSIDE, check.site.code)
    form = forms.AdministrationForm(request.POST, zone=check.site.timezone)
    if form.is_valid():
        ok, _a = attempt(form, lambda: services.record_administration(
            permissions.actor_for(request.user, BEDSIDE, check.site.code), check, **form.cleaned_data))
        if ok:
            messages.success(request, _("Administration recorded."))
            return redirect("product_chain", unit_id=check.allocation.unit.unit_id if check.allocation else "")
    return _check_page(request, check, form=form, status=400)


# ---------------------------------------------------------------- recalls and notifications


@requires(RECALL_START)
def recalls(request: HttpRequest) -> HttpResponse:
    form = forms.RecallForm(request.POST or None)
    status = 200
    if request.method == "POST":
        _guard(request, RECALL_START)
        if form.is_valid():
            ok, recall = attempt(form, lambda: services.start_recall(permissions.actor_for(request.user, RECALL_START, ""), **form.cleaned_data))
            if ok:
                messages.warning(request, _("Recall %(code)s started; the investigators are being notified.") % {
                    "code": recall.code})
                return redirect("product_recalls")
        status = 400
    listed = permissions.scope(Recall.objects.all(), request.user, RECALL_START)
    return render(request, "product/recalls.html", {"form": form, "recalls": listed}, status=status)


@requires(NOTIFICATIONS_VIEW)
def notifications(request: HttpRequest) -> HttpResponse:
    mine = Notification.objects.filter(recipient_id=request.user.pk).select_related("recall", "site")[:100]
    return render(request, "product/notifications.html", {"notifications": mine})
