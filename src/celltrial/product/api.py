"""Product reads and the site writes (custody events, allocation and its cancellation, bedside checks) for the
REST API."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from ninja import Path, Router, Schema

from celltrial.accounts import permissions
from celltrial.accounts.api_auth import Requires
from celltrial.core.api_answers import refused
from celltrial.core.errors import ValidationFailed
from celltrial.core.fields import AwareDatetime, NoControlCharacters, bounded, responses
from celltrial.product import services
from celltrial.product.models import Allocation, BedsideCheck, Lot, Unit
from celltrial.product.permissions import ALLOCATE, BEDSIDE, CUSTODY_MANUFACTURER, CUSTODY_SITE, PRODUCT_VIEW
from celltrial.product.rules.custody import CustodyEvent

router = Router(tags=["product"])


Code = Annotated[str, bounded(30, description="A lot or unit ID with its check character"), NoControlCharacters]


class LotOut(Schema):
    lot_id: str
    status: str
    batch: str
    donor: str
    specification: str
    expires_at: dt.datetime
    concentration_cells_per_ml: float
    unit_volume_ml: float


class LotDetailOut(LotOut):
    evaluation: dict[str, Any]
    release: dict[str, Any] | None


class UnitOut(Schema):
    unit_id: str
    lot: str
    number: int
    volume_ml: float
    site: str
    state: str


class EventOut(Schema):
    seq: int
    event: str
    occurred_at: dt.datetime
    person: str
    role: str
    place: str
    site: str
    shipment: str
    notes: str


class EventIn(Schema):
    event: CustodyEvent
    occurred_at: AwareDatetime
    place: Annotated[str, bounded(200), NoControlCharacters] = ""
    notes: Annotated[str, bounded(2000)] = ""


class CheckIn(Schema):
    scanned_unit: Annotated[str, bounded(60), NoControlCharacters]
    scanned_subject: Annotated[str, bounded(60), NoControlCharacters]


class CheckOut(Schema):
    id: int
    site: str
    scanned_unit: str
    scanned_subject: str
    outcome: str
    reasons: list[dict[str, str]]
    checked_at: dt.datetime


def _lot_out(lot: Lot) -> dict[str, Any]:
    return {"lot_id": lot.lot_id, "status": lot.status, "batch": lot.batch.code,
            "donor": lot.batch.collection.donor.donor_id, "specification": lot.specification.version_id,
            "expires_at": lot.expires_at, "concentration_cells_per_ml": lot.concentration_cells_per_ml,
            "unit_volume_ml": lot.unit_volume_ml}


def _unit_out(unit: Unit) -> dict[str, Any]:
    return {"unit_id": unit.unit_id, "lot": unit.lot.lot_id, "number": unit.number, "volume_ml": unit.volume_ml,
            "site": unit.site.code if unit.site else "", "state": unit.state}


def _lots(request: HttpRequest) -> Any:
    return services.visible(Lot.objects.select_related("batch__collection__donor", "specification"), request.user,
                            PRODUCT_VIEW, "units__site__code")


def _unit(request: HttpRequest, unit_id: str) -> Unit:
    permissions.require(request.user, PRODUCT_VIEW)
    return get_object_or_404(permissions.scope(Unit.objects.select_related("lot", "site"), request.user,
                                               PRODUCT_VIEW), unit_id=unit_id)


@router.get("/lots", response=responses(list[LotOut]), summary="Lots visible to the caller")
def lots(request: HttpRequest) -> Any:
    permissions.require(request.user, PRODUCT_VIEW)
    return [_lot_out(lot) for lot in _lots(request)]


@router.get("/lots/{lot_id}", response=responses(LotDetailOut, lookup=True),
            summary="One lot: its evaluation under the specification in force and its release")
def lot(request: HttpRequest, lot_id: Path[Code]) -> Any:
    permissions.require(request.user, PRODUCT_VIEW)
    found = get_object_or_404(_lots(request), lot_id=lot_id)
    release = services.valid_release(found) or found.releases.first()
    return {**_lot_out(found), "evaluation": services.evaluate(found).to_dict(),
            "release": None if release is None else {
                "status": release.status, "specification": release.specification,
                "disposition": release.disposition, "snapshot_hash": release.snapshot_hash,
                "released_at": release.released_at.isoformat(), "current": services.release_is_current(release)}}


@router.get("/units", response=responses(list[UnitOut]), summary="Units visible to the caller")
def units(request: HttpRequest) -> Any:
    permissions.require(request.user, PRODUCT_VIEW)
    return [_unit_out(u) for u in permissions.scope(Unit.objects.select_related("lot", "site"), request.user,
                                                    PRODUCT_VIEW)]


@router.get("/units/{unit_id}", response=responses(UnitOut, lookup=True), summary="One unit")
def unit(request: HttpRequest, unit_id: Path[Code]) -> Any:
    return _unit_out(_unit(request, unit_id))


@router.get("/units/{unit_id}/chain", response=responses(dict[str, Any], lookup=True),
            summary="The chain of identity: donor → collection → batch → lot → QC → release → unit → custody → "
                    "participant → administration")
def chain(request: HttpRequest, unit_id: Path[Code]) -> Any:
    return services.chain_of_identity(_unit(request, unit_id))


def _events(unit: Unit) -> list[dict[str, Any]]:
    return [{"seq": e.seq, "event": e.event, "occurred_at": e.occurred_at, "person": e.person_name, "role": e.role,
             "place": e.place, "site": e.site.code if e.site else "", "shipment": e.shipment.code if e.shipment else "",
             "notes": e.notes} for e in unit.custody.select_related("site", "shipment").order_by("seq")]


@router.get("/units/{unit_id}/custody", response=responses(list[EventOut], lookup=True),
            summary="The unit's custody ledger, oldest first")
def custody(request: HttpRequest, unit_id: Path[Code]) -> Any:
    return _events(_unit(request, unit_id))


@router.post("/units/{unit_id}/custody", response=responses(list[EventOut], lookup=True),
             summary="Append a custody event (refused out of order, repeated, past expiry or thaw hold time)")
def append_custody(request: HttpRequest, unit_id: Path[Code], body: EventIn) -> Any:
    found = _unit(request, unit_id)
    site = found.site.code if found.site else ""
    permission = CUSTODY_SITE if site else CUSTODY_MANUFACTURER
    permissions.require(request.user, permission, site)
    try:
        services.record_custody(permissions.actor_for(request.user, permission, site), found,
                                event=body.event.value, occurred_at=body.occurred_at, place=body.place,
                                notes=body.notes)
    except ValidationFailed as exc:
        return refused(exc)
    return _events(found)


def _check_out(check: BedsideCheck) -> dict[str, Any]:
    return {"id": check.pk, "site": check.site.code, "scanned_unit": check.scanned_unit,
            "scanned_subject": check.scanned_subject, "outcome": check.outcome, "reasons": check.reasons,
            "checked_at": check.checked_at}


@router.get("/units/{unit_id}/bedside-checks", response=responses(list[CheckOut], lookup=True),
            summary="The two-identifier checks made with this unit")
def checks(request: HttpRequest, unit_id: Path[Code]) -> Any:
    found = _unit(request, unit_id)
    permissions.require(request.user, BEDSIDE)
    return [_check_out(c) for c in found.bedside_checks.select_related("site")]


@router.post("/units/{unit_id}/bedside-checks", response=responses(CheckOut, lookup=True),
             summary="Check the scanned unit against the scanned wristband (recorded; refused with reasons)")
def check(request: HttpRequest, unit_id: Path[Code], body: CheckIn) -> Any:
    found = _unit(request, unit_id)
    site = found.site.code if found.site else ""
    permissions.require(request.user, BEDSIDE, site)
    try:
        made = services.bedside_check(permissions.actor_for(request.user, BEDSIDE, site), site_code=site,
                                      scanned_unit=body.scanned_unit, scanned_subject=body.scanned_subject)
    except ValidationFailed as exc:
        return refused(exc)
    return _check_out(made)


class AllocationIn(Schema):
    subject_id: Annotated[str, bounded(20, description="The participant's subject ID (check character verified)"),
                          NoControlCharacters]


class CancelIn(Schema):
    reason: Annotated[str, bounded(1000), NoControlCharacters]


class AllocationOut(Schema):
    unit: str
    subject_id: str
    status: str
    dose_level: str
    dose_cells_per_kg: float
    weight_kg: float
    weight_date: dt.date
    dosing_weight_kg: float
    intended_cells: float
    volume_to_draw_ml: float
    cancel_reason: str


def _allocation_out(allocation: Allocation) -> dict[str, Any]:
    return {"unit": allocation.unit.unit_id, "subject_id": allocation.subject_id, "status": allocation.status,
            "dose_level": allocation.dose_level, "dose_cells_per_kg": allocation.dose_cells_per_kg,
            "weight_kg": allocation.weight_kg, "weight_date": allocation.weight_date,
            "dosing_weight_kg": allocation.dosing_weight_kg, "intended_cells": allocation.intended_cells,
            "volume_to_draw_ml": allocation.volume_to_draw_ml, "cancel_reason": allocation.cancel_reason}


@router.post("/units/{unit_id}/allocation", response=responses(AllocationOut, lookup=True), auth=Requires(ALLOCATE),
             summary="Allocate the unit to a participant's dose (dose level and basis-day weight from the record)")
def allocate(request: HttpRequest, unit_id: Path[Code], body: AllocationIn) -> Any:
    found = _unit(request, unit_id)
    site = found.site.code if found.site else ""
    permissions.require(request.user, ALLOCATE, site)
    try:
        made = services.allocate_unit(permissions.actor_for(request.user, ALLOCATE, site), found,
                                      subject_id=body.subject_id)
    except ValidationFailed as exc:
        return refused(exc)
    return _allocation_out(made)


@router.post("/units/{unit_id}/allocation/cancel", response=responses(AllocationOut, lookup=True),
             auth=Requires(ALLOCATE),
             summary="Cancel the unit's allocation, with a reason (the unit returns to stock if not thawed)")
def cancel_allocation(request: HttpRequest, unit_id: Path[Code], body: CancelIn) -> Any:
    found = _unit(request, unit_id)
    site = found.site.code if found.site else ""
    permissions.require(request.user, ALLOCATE, site)
    allocation = services.live_allocation(found)
    if allocation is None:
        return refused(ValidationFailed({"unit": ["The unit is not allocated."]}))
    try:
        cancelled = services.cancel_allocation(permissions.actor_for(request.user, ALLOCATE, site), allocation,
                                               reason=body.reason)
    except ValidationFailed as exc:
        return refused(exc)
    return _allocation_out(cancelled)
