"""The product room's services on the database (SQLite and PostgreSQL): donor to administration, the
refusals the issue names, the voided release, conditional release and recall."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from celltrial.accounts.signatures import is_current, signatures_for
from celltrial.core.errors import AccessDenied, ValidationFailed
from celltrial.identifiers.formats import format_subject_id
from celltrial.product import services
from celltrial.product.demo import NO_HISTORY, PASSING_RESULTS, eligible_donor, logger_csv, manufactured_lot
from celltrial.product.models import CustodyEvent, Investigation, Lot, LotRelease, Notification, Recall, Unit
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db

# A well-formed wristband of a child who was never allocated this unit.
OTHER_SUBJECT = format_subject_id("ASD", 1, 8)


@pytest.fixture
def subject(child):
    """The subject ID of an enrolled child (DL1) weighing 25.0 kg at Baseline (Day -1)."""
    return child.subject_id


@pytest.fixture
def worker_runs_now():
    """The worker (huey) runs tasks as they are enqueued, so a recall's notices are sent in the test."""
    from huey.contrib.djhuey import HUEY

    before = HUEY.immediate
    HUEY.immediate = True
    yield
    HUEY.immediate = before


def _prepared(unit, actors, subject):
    services.allocate_unit(actors["pharmacist"], unit, subject_id=subject)
    services.record_custody(actors["pharmacist"], unit, event="thawed", occurred_at=timezone.now())
    services.record_custody(actors["pharmacist"], unit, event="prepared", occurred_at=timezone.now())
    unit.refresh_from_db()
    return unit


def _new_lot(actors, **kwargs):
    donor = eligible_donor(actors["qa"], assessed=dt.date.today() - dt.timedelta(days=60))
    return manufactured_lot(actors["qa"], donor, start=dt.date.today() - dt.timedelta(days=50), **kwargs)


# ---------------------------------------------------------------- donors and manufacturing


def test_an_ineligible_donors_material_cannot_go_further(actors):
    donor = services.register_donor(actors["qa"], age_years=29, assessment_date=dt.date.today(), history=NO_HISTORY)
    assert donor.donor_id.startswith(f"D-{dt.date.today().year}-") and donor.eligibility == "incomplete"
    services.record_donor_marker(actors["qa"], donor, code="hbsag", method="CLIA", result="reactive",
                                 tested_on=dt.date.today())
    donor.refresh_from_db()
    assert donor.eligibility == "ineligible" and "HBsAg reactive" in donor.evaluation["summary"]
    with pytest.raises(ValidationFailed, match="cannot go further"):
        services.record_collection(actors["qa"], donor, collected_on=dt.date.today(), volume_ml=50,
                                   nucleated_cells=1e9)


def test_an_incomplete_donor_cannot_give_material_either(actors):
    donor = services.register_donor(actors["qa"], age_years=24, assessment_date=dt.date.today(), history=NO_HISTORY)
    with pytest.raises(ValidationFailed, match="incomplete"):
        services.record_collection(actors["qa"], donor, collected_on=dt.date.today(), volume_ml=50,
                                   nucleated_cells=1e9)


def test_donor_ids_are_checked_and_unknown_markers_named(actors):
    with pytest.raises(ValidationFailed) as bad:
        services.register_donor(actors["qa"], donor_id="D-2025-0012-X", age_years=24,
                                assessment_date=dt.date.today(), history=NO_HISTORY)
    assert "check character" in bad.value.errors["donor_id"][0]
    donor = services.register_donor(actors["qa"], donor_id="D-2025-0012-B", age_years=24,
                                    assessment_date=dt.date.today(), history=NO_HISTORY)
    with pytest.raises(ValidationFailed) as unknown:
        services.record_donor_marker(actors["qa"], donor, code="hiv", method="x", result="negative",
                                     tested_on=dt.date.today())
    assert "hiv_ab" in unknown.value.errors["code"][0]


def test_population_doublings_worked_example_and_the_o2_deviation(qc_lot, actors):
    """PD = log2(N_harvested / N_seeded) (Freshney, Culture of Animal Cells; equivalently
    3.32 × log10(N_H / N_S)): each step of the demo culture expands 8-fold, 3.0 doublings, so four steps
    reach a cumulative PD of 12.0 from a starting level of 0."""
    steps = list(qc_lot.batch.steps.order_by("number"))
    assert [s.population_doublings for s in steps] == pytest.approx([3.0] * 4)
    assert [s.cumulative_pd for s in steps] == pytest.approx([3.0, 6.0, 9.0, 12.0])
    assert not any(s.o2_alarm for s in steps) and not qc_lot.batch.deviations.exists()

    donor = eligible_donor(actors["qa"], assessed=dt.date.today() - dt.timedelta(days=10))
    collection = services.record_collection(actors["qa"], donor, collected_on=dt.date.today(), volume_ml=60,
                                            nucleated_cells=1e9)
    batch = services.start_batch(actors["qa"], collection, started_on=dt.date.today(), starting_pd=1.5)
    at = timezone.now() - dt.timedelta(days=3)
    # 2.0e5 → 3.2e6 is 16-fold: 4.0 doublings (3.32 × log10(16) = 3.998); on a starting level of 1.5 → 5.5
    step = services.record_culture_step(actors["qa"], batch, kind="seeding", passage_number=0, performed_at=at,
                                        seeded_cells=2.0e5, harvested_cells=3.2e6, o2_setpoint_pct=5.0,
                                        o2_readings=[5.0, 6.2])
    assert step.population_doublings == pytest.approx(4.0) and step.cumulative_pd == pytest.approx(5.5)
    assert step.o2_alarm
    deviation = batch.deviations.get()
    assert deviation.automatic and "O2 6.2 % is above band (1–5 % O2)" in deviation.description
    with pytest.raises(ValidationFailed, match="seeded once"):
        services.record_culture_step(actors["qa"], batch, kind="seeding", passage_number=0, performed_at=at,
                                     seeded_cells=1e5, harvested_cells=None, o2_setpoint_pct=5)


# ---------------------------------------------------------------- release


def test_release_by_qa_freezes_a_hashed_snapshot_and_signs_it(released_lot, product_people):
    release = released_lot.releases.get()
    assert released_lot.status == Lot.RELEASED and release.status == LotRelease.RELEASED
    assert release.snapshot["specification"] == "hbmmsc-release/v2"
    assert set(release.snapshot["results"]) == set(PASSING_RESULTS)
    assert release.snapshot_hash == services.snapshot_digest(release.snapshot)
    [signature] = signatures_for(release)
    assert signature.meaning == "released" and signature.signer == product_people["qa"]
    assert is_current(signature, release) and services.release_is_current(release)


def test_release_without_a_passing_result_is_refused(actors):
    lot = _new_lot(actors, skip=["mycoplasma"])
    with pytest.raises(ValidationFailed) as refused:
        services.release_lot(actors["qa"], lot, password=PASSWORD)
    assert any("MYCOPLASMA" in m and "missing result cannot release" in m for m in refused.value.errors["__all__"])
    assert not lot.releases.exists()


def test_a_failing_result_opens_an_investigation_and_blocks_release(actors):
    lot = _new_lot(actors, results={**PASSING_RESULTS, "viability_pct": ("64", "%", "trypan blue")})
    investigation = lot.investigations.get()
    assert investigation.test_code == "VIABILITY" and investigation.status == Investigation.OPEN
    with pytest.raises(ValidationFailed, match="VIABILITY"):
        services.release_lot(actors["qa"], lot, password=PASSWORD)


def test_release_by_a_non_qa_user_is_refused(qc_lot, actors, product_people):
    from celltrial.accounts import permissions
    from celltrial.core.actor import Actor
    from celltrial.product.permissions import LOT_RELEASE

    with pytest.raises(AccessDenied):
        services.release_lot(actors["pharmacist"], qc_lot, password=PASSWORD)
    pretending = Actor(user=product_people["pharmacist"], role="qa", site_code="")
    with pytest.raises(AccessDenied):
        services.release_lot(pretending, qc_lot, password=PASSWORD)
    # QA held at one site only cannot release a trial-wide lot either.
    site_qa = permissions.actor_for(product_people["site_qa"], LOT_RELEASE, None)
    with pytest.raises(AccessDenied):
        services.release_lot(site_qa, qc_lot, password=PASSWORD)
    assert not qc_lot.releases.exists()


def test_a_wrong_password_releases_nothing_and_counts(qc_lot, actors, product_people):
    from celltrial.accounts.signatures import SignatureRefused

    with pytest.raises(SignatureRefused, match="password is not correct"):
        services.release_lot(actors["qa"], qc_lot, password="nope")
    product_people["qa"].refresh_from_db()
    assert product_people["qa"].failed_login_count == 1 and not qc_lot.releases.exists()


def test_a_changed_result_voids_the_release_visibly(released_lot, actors):
    release = released_lot.releases.get()
    result = released_lot.results.get(analyte="cd105_pct")
    _saved, voided = services.correct_qc_result(actors["qa"], result, {"value": "97.9"},
                                                expected_version=result.version, reason="transcription error")
    assert voided == [release]
    release.refresh_from_db()
    released_lot.refresh_from_db()
    assert release.status == LotRelease.VOID and "changed after release" in release.status_reason
    assert released_lot.status == Lot.IN_QC and services.valid_release(released_lot) is None
    [signature] = signatures_for(release)
    assert signature.is_void and not is_current(signature, release)
    assert release.snapshot["results"]["cd105_pct"]["value"] == "99.1"  # what was known then stays frozen


def test_a_stale_correction_is_a_conflict(released_lot, actors):
    from celltrial.core.errors import ConflictError

    result = released_lot.results.get(analyte="viability_pct")
    version = result.version
    services.correct_qc_result(actors["qa"], result, {"value": "91"}, expected_version=version, reason="r")
    with pytest.raises(ConflictError) as conflict:
        services.correct_qc_result(actors["qa"], result, {"value": "90"}, expected_version=version, reason="r")
    assert conflict.value.current_values["value"] == "91" and conflict.value.attempted_values["value"] == "90"


def test_conditional_release_is_closed_by_a_passing_pending_result(actors):
    lot = _new_lot(actors, skip=["sterility"])
    release = services.release_lot(actors["qa"], lot, password=PASSWORD, comment="fresh release").release
    assert release.status == LotRelease.CONDITIONAL and release.snapshot["evaluation"]["pending"] == ["STERILITY"]
    services.record_qc_result(actors["qa"], lot, analyte="sterility", value="no growth", unit="",
                              method="ChP 1101, 14 d", analyst="Li Na", tested_on=dt.date.today())
    release.refresh_from_db()
    lot.refresh_from_db()
    assert release.status == LotRelease.CLOSED and lot.status == Lot.RELEASED
    assert services.release_is_current(release)  # the pending result was not in the signed snapshot


def test_a_failing_pending_result_starts_a_recall_and_notifies_investigators(
        subject, actors, site, product_people, worker_runs_now, django_capture_on_commit_callbacks):
    from celltrial.audit.operations import tracked

    with tracked(actors["qa"], product_people["investigator"]) as u:
        u.email = "inv@example.org"
    lot = _new_lot(actors, skip=["sterility"])
    services.release_lot(actors["qa"], lot, password=PASSWORD)
    unit = services.fill_units(actors["qa"], lot, count=1, filled_at=timezone.now() - dt.timedelta(hours=1))[0]
    services.ship_units(actors["qa"], [unit], destination_code=site.code, shipped_at=timezone.now())
    services.record_custody(actors["pharmacist"], unit, event="received", occurred_at=timezone.now())
    services.allocate_unit(actors["pharmacist"], unit, subject_id=subject)
    with django_capture_on_commit_callbacks(execute=True):
        services.record_qc_result(actors["qa"], lot, analyte="sterility", value="growth", unit="",
                                  method="ChP 1101, 14 d", analyst="Li Na", tested_on=dt.date.today())
    lot.refresh_from_db()
    assert lot.status == Lot.RECALLED and lot.releases.get().status == LotRelease.RECALLED
    recall = Recall.objects.get()
    assert recall.source_kind == "lot" and "STERILITY" in recall.cause
    assert recall.affected["participants"] == [{"subject_id": subject, "site": site.code, "unit": unit.unit_id,
                                                "status": "allocated"}]
    note = Notification.objects.get(recipient=product_people["investigator"])
    assert subject in note.body and unit.unit_id in note.body and note.emailed
    assert mail.outbox and mail.outbox[-1].to == ["inv@example.org"] and recall.code in mail.outbox[-1].subject
    with pytest.raises(ValidationFailed, match="no valid release"):
        services.record_custody(actors["pharmacist"], unit, event="thawed", occurred_at=timezone.now())


def test_a_recall_from_a_material_lot_finds_every_unit_and_participant(subject, unit_at_site, actors, worker_runs_now):
    _prepared(unit_at_site, actors, subject)
    recall = services.start_recall(actors["qa"], source_kind="material", source_ref="HPL-2409-17",
                                   reason="supplier notice: platelet lysate lot")
    assert recall.affected["lots"] == [unit_at_site.lot.lot_id]
    assert {u["unit"] for u in recall.affected["units"]} == {unit_at_site.unit_id}
    assert recall.affected["participants"][0]["subject_id"] == subject
    with pytest.raises(ValidationFailed, match="Nothing was made"):
        services.start_recall(actors["qa"], source_kind="material", source_ref="NOPE-1", reason="x")


# ---------------------------------------------------------------- units, custody, bedside


def test_units_are_site_scoped_once_shipped(released_lot, actors, site, product_people):
    from celltrial.accounts import permissions
    from celltrial.product.permissions import PRODUCT_VIEW

    unit = services.fill_units(actors["qa"], released_lot, count=2)[0]
    assert unit.unit_id.startswith(f"{released_lot.lot_id}-U01-") and unit.site is None
    pharmacist = product_people["pharmacist"]
    assert not permissions.scope(Unit.objects.all(), pharmacist, PRODUCT_VIEW).exists()
    services.ship_units(actors["qa"], [unit], destination_code=site.code, shipped_at=timezone.now())
    unit.refresh_from_db()
    assert unit.site == site
    assert list(permissions.scope(Unit.objects.all(), pharmacist, PRODUCT_VIEW)) == [unit]
    assert list(services.visible(Lot.objects.all(), pharmacist, PRODUCT_VIEW, "units__site__code")) == [released_lot]


def test_an_unreleased_lot_cannot_be_shipped(qc_lot, actors, site):
    unit = services.fill_units(actors["qa"], qc_lot, count=1)[0]
    with pytest.raises(ValidationFailed, match="not released"):
        services.ship_units(actors["qa"], [unit], destination_code=site.code, shipped_at=timezone.now())
    services.release_lot(actors["qa"], qc_lot, password=PASSWORD)
    with pytest.raises(ValidationFailed, match="shipped before its lot was released"):
        services.ship_units(actors["qa"], [unit], destination_code=site.code,
                            shipped_at=timezone.now() - dt.timedelta(hours=1))


def test_an_out_of_order_custody_event_is_refused_with_the_allowed_events(unit_at_site, actors):
    with pytest.raises(ValidationFailed) as refused:
        services.record_custody(actors["pharmacist"], unit_at_site, event="received", occurred_at=timezone.now())
    message = refused.value.errors["event"][0]
    assert "'received' was already recorded" in message
    assert "Allowed next: stored, thawed, returned, destroyed" in message
    with pytest.raises(ValidationFailed, match="Allocate the unit"):
        services.record_custody(actors["pharmacist"], unit_at_site, event="prepared", occurred_at=timezone.now())
    with pytest.raises(ValidationFailed, match="recorded at the bedside"):
        services.record_custody(actors["pharmacist"], unit_at_site, event="administered", occurred_at=timezone.now())
    assert [e.event for e in unit_at_site.custody.order_by("seq")] == ["stored", "shipped", "received"]


def test_the_ledger_is_append_only(unit_at_site):
    from celltrial.core.writes import UnauditedWriteError

    event = unit_at_site.custody.first()
    event.place = "elsewhere"
    with pytest.raises(UnauditedWriteError):
        event.save()
    with pytest.raises(UnauditedWriteError):
        CustodyEvent.objects.filter(pk=event.pk).delete()
    operations = [v for v in vars(services).values() if getattr(v, "model", None) is CustodyEvent]
    assert operations and all(type(op).__name__ == "Create" for op in operations)


def test_a_pharmacist_cannot_act_at_another_site(unit_at_site, other_site, make_user):
    from celltrial.accounts import permissions
    from celltrial.product.permissions import CUSTODY_SITE

    elsewhere = make_user("pharm2", "pharmacist", at=other_site)
    actor = permissions.actor_for(elsewhere, CUSTODY_SITE, other_site.code)
    with pytest.raises(AccessDenied):
        services.record_custody(actor, unit_at_site, event="stored", occurred_at=timezone.now())


def test_the_bedside_check_matches_the_right_pair_and_records_the_administration(subject, unit_at_site, actors, site):
    unit = _prepared(unit_at_site, actors, subject)
    check = services.bedside_check(actors["investigator"], site_code=site.code, scanned_unit=unit.unit_id.lower(),
                                   scanned_subject=subject)
    assert check.outcome == "match" and check.reasons == []
    started = timezone.now()
    services.record_administration(actors["investigator"], check, started_at=started,
                                   stopped_at=started + dt.timedelta(minutes=2), rate_ml_per_min=1.25, volume_ml=2.5,
                                   interruptions="none")
    unit.refresh_from_db()
    assert unit.state == "administered"
    chain = services.chain_of_identity(unit)
    assert [e["event"] for e in chain["custody"]] == ["stored", "shipped", "received", "thawed", "prepared",
                                                     "administered"]
    assert chain["participant"]["subject_id"] == subject and chain["administration"]["volume_ml"] == 2.5
    with pytest.raises(ValidationFailed, match="already administered"):
        services.record_administration(actors["investigator"], check, started_at=started, stopped_at=started,
                                       rate_ml_per_min=1, volume_ml=1)


def test_the_administration_rate_is_capped_by_the_protocol(subject, unit_at_site, actors, site):
    unit = _prepared(unit_at_site, actors, subject)
    check = services.bedside_check(actors["investigator"], site_code=site.code, scanned_unit=unit.unit_id,
                                   scanned_subject=subject)
    with pytest.raises(ValidationFailed) as fast:  # protocol.yaml: infusion_rate_ml_per_min 2 (maximum)
        services.record_administration(actors["investigator"], check, started_at=timezone.now(),
                                       stopped_at=timezone.now(), rate_ml_per_min=3, volume_ml=2.5)
    assert "at most the protocol's 2 mL/min" in fast.value.errors["rate_ml_per_min"][0]


def test_the_bedside_refuses_the_wrong_participant(subject, unit_at_site, actors, site):
    unit = _prepared(unit_at_site, actors, subject)
    check = services.bedside_check(actors["investigator"], site_code=site.code, scanned_unit=unit.unit_id,
                                   scanned_subject=OTHER_SUBJECT)
    assert check.outcome == "refused"
    assert [r["reason"] for r in check.reasons] == [
        "The unit is allocated to another participant, not to this wristband."]
    with pytest.raises(ValidationFailed, match="did not match"):
        services.record_administration(actors["investigator"], check, started_at=timezone.now(),
                                       stopped_at=timezone.now(), rate_ml_per_min=1, volume_ml=1)


def test_the_bedside_refuses_an_unreleased_unit(subject, unit_at_site, actors, site):
    unit = _prepared(unit_at_site, actors, subject)
    result = unit.lot.results.get(analyte="cd73_pct")
    services.correct_qc_result(actors["qa"], result, {"value": "99.0"}, expected_version=result.version,
                               reason="re-read")
    check = services.bedside_check(actors["investigator"], site_code=site.code, scanned_unit=unit.unit_id,
                                   scanned_subject=subject)
    assert check.outcome == "refused"
    assert "The unit's lot is not released (or its release is void or recalled)." in [r["reason"] for r in check.reasons]


def test_the_bedside_refuses_an_expired_unit(subject, unit_at_site, actors, site):
    unit = _prepared(unit_at_site, actors, subject)
    later = unit.lot.expires_at + dt.timedelta(minutes=1)
    check = services.bedside_check(actors["investigator"], site_code=site.code, scanned_unit=unit.unit_id,
                                   scanned_subject=subject, at=later)
    assert check.outcome == "refused" and "The unit has expired." in [r["reason"] for r in check.reasons]


def test_the_bedside_refuses_an_unallocated_or_unknown_unit(subject, unit_at_site, actors, site):
    check = services.bedside_check(actors["investigator"], site_code=site.code, scanned_unit=unit_at_site.unit_id,
                                   scanned_subject=subject)
    reasons = [r["reason"] for r in check.reasons]
    assert "The unit is not allocated to anyone." in reasons
    assert "The unit is not prepared for administration." in reasons
    unknown = services.bedside_check(actors["investigator"], site_code=site.code, scanned_unit="L2025-0003-O-U07-5",
                                     scanned_subject="garbage")
    reasons = [r["reason"] for r in unknown.reasons]
    assert "No unit with this ID is at this site." in reasons and "The wristband is not a valid subject ID." in reasons


def test_a_temperature_excursion_is_flagged_on_the_shipment(released_lot, actors, site):
    unit = services.fill_units(actors["qa"], released_lot, count=1)[0]
    shipment = services.ship_units(actors["qa"], [unit], destination_code=site.code, shipped_at=timezone.now())
    start = timezone.now() - dt.timedelta(hours=3)
    services.import_temperature_log(actors["pharmacist"], shipment, logger_csv(start, 120, warm_from=40, warm_to=52),
                                    file_name="LOG.csv")
    shipment.refresh_from_db()
    assert shipment.has_excursion and len(shipment.excursions) == 1
    assert shipment.excursions[0]["readings"] == 13 and shipment.excursions[0]["worst_c"] == -120.0
    with pytest.raises(ValidationFailed) as bad:
        services.import_temperature_log(actors["pharmacist"], shipment, b"Time,Temperature\nnow,-190\n",
                                        file_name="bad.csv")
    assert "line 2" in bad.value.errors["log"][0]


def test_an_automatic_o2_deviation_gets_its_capa_reference(actors):
    donor = eligible_donor(actors["qa"], assessed=dt.date.today() - dt.timedelta(days=10))
    collection = services.record_collection(actors["qa"], donor, collected_on=dt.date.today(), volume_ml=60,
                                            nucleated_cells=1e9)
    batch = services.start_batch(actors["qa"], collection, started_on=dt.date.today())
    services.record_culture_step(actors["qa"], batch, kind="seeding", passage_number=0,
                                 performed_at=timezone.now() - dt.timedelta(days=1), seeded_cells=2e5,
                                 harvested_cells=1.6e6, o2_setpoint_pct=5.0, o2_readings=[0.6])
    deviation = batch.deviations.get()
    assert deviation.capa_reference == "" and "below band" in deviation.description
    services.set_capa(actors["qa"], batch, deviation=deviation.pk, capa_reference="CAPA-2025-014",
                      version=deviation.version, reason="incubator gas supply fault investigated")
    deviation.refresh_from_db()
    assert deviation.capa_reference == "CAPA-2025-014"


def test_an_oos_investigation_closes_only_once_the_result_no_longer_fails(actors):
    lot = _new_lot(actors, results={**PASSING_RESULTS, "viability_pct": ("65", "%", "trypan blue")})
    investigation = lot.investigations.get()
    with pytest.raises(ValidationFailed, match="still fails"):
        services.close_investigation(actors["qa"], investigation, conclusion="x", version=investigation.version,
                                     reason="r")
    result = lot.results.get(analyte="viability_pct")
    services.correct_qc_result(actors["qa"], result, {"value": "95"}, expected_version=result.version,
                               reason="transcription error: 95 on the worksheet")
    services.close_investigation(actors["qa"], investigation, conclusion="Transcription error confirmed",
                                 version=investigation.version, reason="phase I investigation")
    investigation.refresh_from_db()
    assert investigation.status == Investigation.CLOSED
    assert services.release_lot(actors["qa"], lot, password=PASSWORD).release.status == LotRelease.RELEASED
