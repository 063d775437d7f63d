"""Demo product records for `make run`, written through the product services (idempotent).

Two donors (one ineligible: HBsAg reactive), one lot manufactured from the eligible donor under 5 % O2 and
released by QA with its certificate of analysis, units in the manufacturer's stock and at the site, and a
temperature excursion on the second shipment (its units quarantined until QA decides). The manufacturing
record is dated in the past; the release and everything after it happen as the demo loads (a release is
signed now, and no custody event may precede it or be in the future).

Allocation goes through the participants room (``participants.interface.allocation_subject``): the dose level
and the weight come from the child's record. The children the participants demo doses in the past were dosed
before any unit could be released, so they are refused (already dosed); the demo allocates a unit to each
enrolled child awaiting dosing instead and administers the first now, which records that child's dosing
(Day 0 today) through the participants room, unless the escalation room's sentinel/stagger rule refuses it
(the unit then stays allocated, prepared on the day).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from django.utils import timezone

from celltrial.core.actor import Actor

# Passing results for every lot test of the shipped specification (hbmmsc-release v1/v2).
PASSING_RESULTS: dict[str, tuple[str, str, str]] = {
    "cd105_pct": ("99.1", "%", "flow cytometry"), "cd73_pct": ("99.4", "%", "flow cytometry"),
    "cd90_pct": ("98.7", "%", "flow cytometry"), "cd45_pct": ("0.4", "%", "flow cytometry"),
    "cd34_pct": ("0.3", "%", "flow cytometry"), "cd14_pct": ("0.6", "%", "flow cytometry"),
    "cd79a_pct": ("0.2", "%", "flow cytometry"), "hla_dr_pct": ("0.5", "%", "flow cytometry"),
    "viability_pct": ("92.5", "%", "trypan blue"), "sterility": ("no growth", "", "ChP 1101 direct inoculation 14 d"),
    "gram_stain": ("no organisms seen", "", "Gram stain"), "mycoplasma": ("not detected", "", "ChP 3301 NAT"),
    "endotoxin_eu_per_ml": ("<0.1", "EU/mL", "ChP 1143 kinetic turbidimetric"),
    "karyotype": ("46,XY", "", "G-banding, 20 metaphases"), "passage": ("3", "", "batch record"),
    "potency_t_cell_suppression_pct": ("46", "%", "CFSE T-cell proliferation"),
}
NEGATIVE_MARKERS: dict[str, tuple[str, str]] = {
    "hiv_ab": ("CLIA", "non-reactive"), "hiv_nat": ("NAT (PCR)", "not detected"), "hbsag": ("CLIA", "non-reactive"),
    "anti_hbc": ("CLIA", "non-reactive"), "hbv_dna": ("NAT (PCR)", "not detected"),
    "anti_hcv": ("CLIA", "non-reactive"), "hcv_rna": ("NAT (PCR)", "not detected"),
    "syphilis": ("TPPA", "non-reactive"), "htlv_ab": ("CLIA", "non-reactive"), "cmv_igm": ("CLIA", "negative"),
    "ebv_vca_igm": ("CLIA", "negative"), "cmv_igg": ("CLIA", "positive"), "ebv_vca_igg": ("CLIA", "positive"),
}
NO_HISTORY = {"malignancy": False, "autoimmune_disease": False, "tse_risk": False}


def logger_csv(start: dt.datetime, minutes: int, *, warm_from: int | None = None, warm_to: int | None = None) -> bytes:
    """A data-logger CSV, one reading a minute at −185 °C, warmer (−120 °C) between ``warm_from`` and ``warm_to``."""
    lines = ["Time,Temperature (°C)"]
    for i in range(minutes + 1):
        celsius = -120.0 if warm_from is not None and warm_to is not None and warm_from <= i <= warm_to else -185.0
        lines.append(f"{(start + dt.timedelta(minutes=i)).isoformat()},{celsius}")
    return ("\n".join(lines) + "\n").encode()


def eligible_donor(actor: Actor, *, assessed: dt.date, age: int = 26) -> Any:
    from celltrial.product import services

    donor = services.register_donor(actor, age_years=age, assessment_date=assessed, history=NO_HISTORY)
    for code, (method, result) in NEGATIVE_MARKERS.items():
        services.record_donor_marker(actor, donor, code=code, method=method, result=result, tested_on=assessed)
    donor.refresh_from_db()
    return donor


def manufactured_lot(actor: Actor, donor: Any, *, start: dt.date, results: dict[str, tuple[str, str, str]] | None = None,
                     skip: Sequence[str] = (), concentration: float = 5.0e6, unit_volume: float = 10.0) -> Any:
    """Collection, a 5 % O2 culture (seeding, two passages, harvest), the lot and its QC results."""
    from celltrial.product import services

    collection = services.record_collection(actor, donor, collected_on=start, volume_ml=60, nucleated_cells=1.2e9)
    batch = services.start_batch(actor, collection, started_on=start, o2_low_pct=1.0, o2_high_pct=5.0)
    at = dt.datetime.combine(start, dt.time(9, 0), tzinfo=dt.UTC)
    steps = [("seeding", 0, 2.0e6, 1.6e7, [5.0, 4.9]), ("passage", 1, 4.0e6, 3.2e7, [5.0, 4.9]),
             ("passage", 2, 8.0e6, 6.4e7, [4.9, 5.0]), ("harvest", 3, 1.6e7, 1.28e8, [5.0, 4.8])]
    for i, (kind, passage, seeded, harvested, readings) in enumerate(steps):
        services.record_culture_step(actor, batch, kind=kind, passage_number=passage,
                                     performed_at=at + dt.timedelta(days=5 * i), seeded_cells=seeded,
                                     harvested_cells=harvested, o2_setpoint_pct=5.0, o2_readings=readings)
    services.record_material(actor, batch, kind="medium", material="α-MEM", lot_number="MEM-24-0611", supplier="Gibco")
    services.record_material(actor, batch, kind="supplement", material="Human platelet lysate",
                             lot_number="HPL-2409-17", supplier="Stemulate")
    services.record_material(actor, batch, kind="reagent", material="TrypLE Select", lot_number="TL-2408-03")
    made = start + dt.timedelta(days=21)
    lot = services.create_lot(actor, batch, manufactured_on=made,
                              expires_at=dt.datetime.combine(made + dt.timedelta(days=365), dt.time(0), tzinfo=dt.UTC),
                              concentration_cells_per_ml=concentration, unit_volume_ml=unit_volume)
    for analyte, (value, unit, method) in (results or PASSING_RESULTS).items():
        if analyte not in skip:
            services.record_qc_result(actor, lot, analyte=analyte, value=value, unit=unit, method=method,
                                      analyst="Li Na", tested_on=made)
    lot.refresh_from_db()
    return lot


def load_product_demo(out: Callable[[str], None] = print, *, password: str, dosed: Sequence[Any] = ()) -> None:
    """Idempotent: does nothing once the demo lot exists. ``dosed`` is accepted for the platform demo's call
    and not used: the participants come from the participants room's interface."""
    from celltrial.accounts import permissions
    from celltrial.accounts.models import User
    from celltrial.product import services
    from celltrial.product.models import Lot
    from celltrial.product.permissions import ALLOCATE, BEDSIDE, CUSTODY_SITE, LOT_RELEASE
    from celltrial.study import interface as study

    if Lot.objects.exists():
        return
    system = Actor.system("celltrial demo")
    site = study.sites()[0]
    services.load_shipped_specifications(system)
    today = timezone.localdate()
    donor = eligible_donor(system, assessed=today - dt.timedelta(days=60))
    ineligible = services.register_donor(system, age_years=29, assessment_date=today - dt.timedelta(days=58),
                                         history=NO_HISTORY)
    services.record_donor_marker(system, ineligible, code="hbsag", method="CLIA", result="reactive",
                                 tested_on=today - dt.timedelta(days=58))
    lot = manufactured_lot(system, donor, start=today - dt.timedelta(days=50))
    services.fill_units(system, lot, count=6, filled_at=timezone.now() - dt.timedelta(days=28))
    qa = User.objects.get(username="qa")
    services.release_lot(permissions.actor_for(qa, LOT_RELEASE, ""), lot, password=password,
                         comment="All release tests met; CoA issued.")
    units = list(lot.units.order_by("number"))
    now = timezone.now
    first = services.ship_units(system, units[:2], destination_code=site.code, shipped_at=now(), logger_id="LOG-7731")
    second = services.ship_units(system, units[2:4], destination_code=site.code, shipped_at=now(), logger_id="LOG-7732")
    services.import_temperature_log(system, first, logger_csv(now() - dt.timedelta(minutes=180), 180),
                                    file_name="LOG-7731.csv")
    services.import_temperature_log(system, second, logger_csv(now() - dt.timedelta(minutes=180), 180, warm_from=95,
                                                               warm_to=112), file_name="LOG-7732.csv")
    pharmacist = User.objects.get(username="pharmacist")
    investigator = User.objects.get(username="investigator")
    ph = permissions.actor_for(pharmacist, CUSTODY_SITE, site.code)
    for unit in units[:4]:
        services.record_custody(ph, unit, event="received", occurred_at=now(), place="Pharmacy, cell-therapy room")
        services.record_custody(ph, unit, event="stored", occurred_at=now(), place="Pharmacy LN2 dewar 2")
    from celltrial.core.errors import ValidationFailed
    from celltrial.participants import interface as participants

    allocated = administered = 0
    for child, unit in zip(participants.awaiting_dosing(site.code), units[:2], strict=False):
        subject = participants.allocation_subject(child.subject_id, site.code)
        if not subject.allowed:
            out(f"product demo: {child.subject_id} not allocated: {subject.refusal}")
            continue
        try:
            allocation = services.allocate_unit(permissions.actor_for(pharmacist, ALLOCATE, site.code), unit,
                                                subject_id=child.subject_id)
        except ValidationFailed as exc:
            out(f"product demo: {child.subject_id} not allocated: {exc}")
            continue
        allocated += 1
        if administered:
            continue  # the next child's unit waits in stock, allocated, for their Day 0
        services.record_custody(ph, unit, event="thawed", occurred_at=now(), place="Pharmacy, 37 °C water bath")
        services.record_custody(ph, unit, event="prepared", occurred_at=now(), place="Pharmacy biosafety cabinet")
        nurse = permissions.actor_for(investigator, BEDSIDE, site.code)
        check = services.bedside_check(nurse, site_code=site.code, scanned_unit=unit.unit_id,
                                       scanned_subject=allocation.subject_id)
        started = now()
        try:
            services.record_administration(nurse, check, started_at=started,
                                           stopped_at=started + dt.timedelta(minutes=3), rate_ml_per_min=1.0,
                                           volume_ml=round(allocation.volume_to_draw_ml, 2))
            administered += 1
        except ValidationFailed as exc:
            out(f"product demo: {child.subject_id} not dosed today: {exc}")
    out(f"product demo: donors {donor.donor_id} (eligible), {ineligible.donor_id} (ineligible); lot {lot.lot_id} "
        f"released; shipments {first.code}, {second.code} (temperature excursion); "
        f"{allocated} unit(s) allocated, {administered} administered")
