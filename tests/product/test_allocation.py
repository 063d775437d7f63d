"""Allocation joined to the participants room, dosing from the bedside administration, allocation cancel
(issue #9 §7, brief items 1–2, 4).

Declared rules under test (the default protocol, src/celltrial/protocols/asd_hbmmsc_phase1/protocol.yaml):
- dose levels DL1 0.5 × 10⁶, DL3 2.0 × 10⁶ viable cells/kg (NCT07177677's three cohorts);
- ``dosing.weight_basis: day_minus_1`` — the weight on the Day −1 visit: Baseline (BL, day −1), falling back to
  Screening only because this protocol also sets Screening at day −1 (docs/product.md, "The participant");
- ``dosing.weight_cap_kg: 60``; ``release_tolerance_pct: 20``;
- the demo lot holds 5.0 × 10⁶ viable cells/mL in 10 mL units (product/demo.py ``manufactured_lot``).
Dose = cells/kg × min(weight, cap); volume = cells ÷ concentration (issue #9 §7).
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from celltrial.core.errors import AccessDenied, ValidationFailed
from celltrial.escalation.interface import CohortInfo, DosingRefusal
from celltrial.participants import interface as participants
from celltrial.product import services
from celltrial.product.models import Administration, Allocation
from tests.product.conftest import enrol_child

pytestmark = pytest.mark.django_db


def _refuse_dosing(monkeypatch, allowed_from):
    refusal = DosingRefusal("sentinel observation: the first participant of the cohort is observed for 14 days",
                            allowed_from)
    monkeypatch.setattr("celltrial.escalation.interface.dosing_refusal", lambda participant, on: refusal)


def _thaw_prepare(unit, actors):
    services.record_custody(actors["pharmacist"], unit, event="thawed", occurred_at=timezone.now())
    services.record_custody(actors["pharmacist"], unit, event="prepared", occurred_at=timezone.now())
    unit.refresh_from_db()
    return unit


def _second_unit(released_lot, actors, site):
    unit = services.fill_units(actors["qa"], released_lot, count=1, filled_at=timezone.now() - dt.timedelta(hours=1))[0]
    services.ship_units(actors["qa"], [unit], destination_code=site.code, shipped_at=timezone.now())
    services.record_custody(actors["pharmacist"], unit, event="received", occurred_at=timezone.now())
    unit.refresh_from_db()
    return unit


# ---------------------------------------------------------------- the dose comes from the record


def test_the_dose_level_and_the_baseline_weight_come_from_the_participants_record(unit_at_site, actors, child):
    allocation = services.allocate_unit(actors["pharmacist"], unit_at_site, subject_id=child.subject_id.lower())
    # DL1 0.5e6 cells/kg × 25.0 kg (vitals at BL, day −1) = 1.25e7 viable cells; ÷ 5e6 cells/mL = 2.5 mL.
    assert allocation.subject_id == child.subject_id and allocation.dose_level == "DL1"
    assert allocation.weight_kg == 25.0 and allocation.plan["weight_visit"] == "BL"
    assert allocation.weight_date == timezone.localdate() - dt.timedelta(days=1)
    assert allocation.intended_cells == pytest.approx(1.25e7) and allocation.volume_to_draw_ml == pytest.approx(2.5)


def test_without_a_baseline_weight_the_day_minus_1_screening_weight_is_used(unit_at_site, actors, site, site_team):
    child = enrol_child(site, sequence=995, bl_weight=None, scr_weight="24.0", people=site_team)
    allocation = services.allocate_unit(actors["pharmacist"], unit_at_site, subject_id=child.subject_id)
    # 0.5e6 × 24.0 kg = 1.2e7 cells; ÷ 5e6 = 2.4 mL; the basis visit is Screening (protocol day −1).
    assert allocation.plan["weight_visit"] == "SCR" and allocation.weight_kg == 24.0
    assert allocation.volume_to_draw_ml == pytest.approx(2.4)


def test_the_weight_is_capped_as_the_protocol_says(unit_at_site, actors, site, site_team):
    heavy = enrol_child(site, sequence=997, bl_weight="72.0", scr_weight="71.0", people=site_team)
    allocation = services.allocate_unit(actors["pharmacist"], unit_at_site, subject_id=heavy.subject_id)
    # weight_cap_kg 60: 0.5e6 × 60 kg = 3.0e7 cells (not 0.5e6 × 72 = 3.6e7); ÷ 5e6 = 6.0 mL.
    assert allocation.weight_kg == 72.0 and allocation.dosing_weight_kg == 60.0
    assert allocation.intended_cells == pytest.approx(3.0e7) and allocation.volume_to_draw_ml == pytest.approx(6.0)


def test_the_weight_basis_visits_follow_the_protocol_keyword():
    class Visit:
        def __init__(self, code, day):
            self.code, self.day = code, day

    class Fake:
        def __init__(self, basis, screening_day):
            self.dosing = type("D", (), {"weight_basis": basis})()
            self.visits = [Visit("SCR", screening_day), Visit("BL", -1), Visit("D0", 0), Visit("D1", 1)]

    assert participants.weight_basis_visits(Fake("day_minus_1", -1)) == ["BL", "SCR"]
    assert participants.weight_basis_visits(Fake("day_minus_1", -14)) == ["BL"]  # screening not at day −1
    assert participants.weight_basis_visits(Fake("screening", -14)) == ["SCR"]
    assert participants.weight_basis_visits(Fake("dose_day", -1)) == ["D0"]


def test_a_dose_the_unit_cannot_give_is_refused(unit_at_site, actors, site, site_team, monkeypatch):
    monkeypatch.setattr("celltrial.participants.services.open_cohort",
                        lambda protocol: CohortInfo(3, "DL3", 2.0e6, "Cohort 3"))
    child = enrol_child(site, sequence=999, bl_weight="72.0", scr_weight="72.0", people=site_team)
    with pytest.raises(ValidationFailed) as refused:
        services.allocate_unit(actors["pharmacist"], unit_at_site, subject_id=child.subject_id)
    # DL3 2.0e6 × 60 kg (capped) = 1.2e8 cells; the unit holds 10 mL × 5e6 = 5.0e7: 58.3 % below, outside ±20 %.
    assert any("58.3% below" in m for m in refused.value.errors["__all__"])
    assert not Allocation.objects.exists()


# ---------------------------------------------------------------- each refusal


def test_allocation_refuses_a_bad_check_character_and_an_unknown_subject(unit_at_site, actors, child):
    with pytest.raises(ValidationFailed) as bad:
        services.allocate_unit(actors["pharmacist"], unit_at_site, subject_id=child.subject_id[:-1] + (
            "X" if child.subject_id[-1] != "X" else "Y"))
    assert "check character" in bad.value.errors["subject_id"][0]
    from celltrial.identifiers.formats import format_subject_id

    with pytest.raises(ValidationFailed, match="No enrolled participant has the subject ID"):
        services.allocate_unit(actors["pharmacist"], unit_at_site, subject_id=format_subject_id("ASD", 1, 42))


def test_allocation_refuses_a_participant_of_another_site(child):
    found = participants.allocation_subject(child.subject_id, "ZZZZ")
    assert found.refusal_code == "other_site" and "is not a participant of site ZZZZ" in found.refusal
    assert found.participant is None and found.weight_kg is None  # nothing of that child leaks to the other site


def test_allocation_refuses_a_child_not_enrolled(unit_at_site, actors, site, site_team):
    from tests.participants import helpers as h

    screening = h.screen(site_team["coordinator"], site, screened_on=timezone.localdate(),
                         identity=h.identity(dt.date(2016, 3, 3), sequence=981, name="筛选中", phone="13900000981"))
    # A child in screening has a screening number, no subject ID: no wristband names them yet.
    assert screening.subject_id is None
    with pytest.raises(ValidationFailed) as refused:
        services.allocate_unit(actors["pharmacist"], unit_at_site, subject_id=screening.screening_number)
    assert refused.value.errors["subject_id"]
    assert not Allocation.objects.exists()


def test_allocation_refuses_a_child_withdrawn_from_the_product(unit_at_site, actors, child, site_team):
    from celltrial.participants import services as ps
    from tests.participants import helpers as h

    ps.withdraw(h.actor(site_team["investigator"], "participant.withdraw", child.site), child,
                withdrawn_on=timezone.localdate(), requested_by="guardian", scope="product", data_use_allowed=True,
                reason="family moved away")
    with pytest.raises(ValidationFailed, match="withdrawn from the study product"):
        services.allocate_unit(actors["pharmacist"], unit_at_site, subject_id=child.subject_id)


def test_allocation_refuses_a_child_already_dosed_or_already_allocated(
        unit_at_site, released_lot, actors, site, child, second_child, make_user):
    from celltrial.accounts import permissions
    from celltrial.participants import services as ps
    from celltrial.participants.permissions import DOSING_RECORD

    services.allocate_unit(actors["pharmacist"], unit_at_site, subject_id=child.subject_id)
    other = _second_unit(released_lot, actors, site)
    with pytest.raises(ValidationFailed, match=f"already has unit {unit_at_site.unit_id} allocated"):
        services.allocate_unit(actors["pharmacist"], other, subject_id=child.subject_id)
    ps.record_dosing(permissions.actor_for(make_user("ph_dose", "pharmacist"), DOSING_RECORD, site.code),
                     second_child, dosed_on=timezone.localdate())
    with pytest.raises(ValidationFailed, match="was already dosed on"):
        services.allocate_unit(actors["pharmacist"], other, subject_id=second_child.subject_id)


def test_allocation_refuses_a_child_without_a_weight_on_the_basis_day(unit_at_site, actors, child, monkeypatch):
    monkeypatch.setattr(participants, "weight_basis_visits", lambda protocol: ["D0"])  # as if basis: dose_day
    with pytest.raises(ValidationFailed, match=r"No dated body weight is recorded .* \(D0\)"):
        services.allocate_unit(actors["pharmacist"], unit_at_site, subject_id=child.subject_id)


def test_allocation_asks_the_escalation_rule_and_shows_its_reason_and_date(unit_at_site, actors, child, monkeypatch):
    allowed_from = timezone.localdate() + dt.timedelta(days=9)
    _refuse_dosing(monkeypatch, allowed_from)
    with pytest.raises(ValidationFailed) as refused:
        services.allocate_unit(actors["pharmacist"], unit_at_site, subject_id=child.subject_id)
    message = refused.value.errors["subject_id"][0]
    assert "sentinel observation" in message and allowed_from.isoformat() in message


def test_only_the_pharmacist_at_the_units_site_allocates(unit_at_site, actors, child):
    with pytest.raises(AccessDenied):
        services.allocate_unit(actors["investigator"], unit_at_site, subject_id=child.subject_id)


# ---------------------------------------------------------------- the administration records the dosing


def test_the_administration_records_the_participants_dosing_in_the_same_transaction(unit_at_site, actors, site,
                                                                                    child):
    services.allocate_unit(actors["pharmacist"], unit_at_site, subject_id=child.subject_id)
    unit = _thaw_prepare(unit_at_site, actors)
    check = services.bedside_check(actors["investigator"], site_code=site.code, scanned_unit=unit.unit_id,
                                   scanned_subject=child.subject_id)
    started = timezone.now()
    services.record_administration(actors["investigator"], check, started_at=started,
                                   stopped_at=started + dt.timedelta(minutes=2), rate_ml_per_min=1.25, volume_ml=2.5)
    child.refresh_from_db()
    site_day = started.astimezone(__import__("zoneinfo").ZoneInfo(site.timezone)).date()
    assert child.dosed_on == site_day and child.day0 == site_day
    visits = {v.code: v for v in child.visits.all()}
    # Visit days from the infusion: D0 done that day, D7 targeted 7 days later (window ±2).
    assert visits["D0"].status == "done" and visits["D0"].actual_date == site_day
    assert visits["D7"].target_date == site_day + dt.timedelta(days=7)
    assert participants.dosing(child).dosed_on == site_day
    assert services.chain_of_identity(unit)["participant"]["dosed_on"] == site_day.isoformat()


def test_a_dosing_the_participants_room_refuses_leaves_nothing_administered(unit_at_site, actors, site, child,
                                                                            site_team):
    from celltrial.participants import services as ps
    from tests.participants import helpers as h

    services.allocate_unit(actors["pharmacist"], unit_at_site, subject_id=child.subject_id)
    unit = _thaw_prepare(unit_at_site, actors)
    check = services.bedside_check(actors["investigator"], site_code=site.code, scanned_unit=unit.unit_id,
                                   scanned_subject=child.subject_id)
    ps.withdraw(h.actor(site_team["investigator"], "participant.withdraw", child.site), child,
                withdrawn_on=timezone.localdate(), requested_by="guardian", scope="product", data_use_allowed=True,
                reason="guardian changed their mind at the bedside")
    with pytest.raises(ValidationFailed, match="withdrawn from the study product"):
        services.record_administration(actors["investigator"], check, started_at=timezone.now(),
                                       stopped_at=timezone.now(), rate_ml_per_min=1, volume_ml=2.5)
    unit.refresh_from_db()
    child.refresh_from_db()
    assert not Administration.objects.exists() and unit.state == "prepared" and child.dosed_on is None


def test_a_sentinel_refusal_blocks_the_administration_with_its_date(unit_at_site, actors, site, child, monkeypatch):
    services.allocate_unit(actors["pharmacist"], unit_at_site, subject_id=child.subject_id)
    unit = _thaw_prepare(unit_at_site, actors)
    check = services.bedside_check(actors["investigator"], site_code=site.code, scanned_unit=unit.unit_id,
                                   scanned_subject=child.subject_id)
    allowed_from = timezone.localdate() + dt.timedelta(days=3)
    _refuse_dosing(monkeypatch, allowed_from)
    with pytest.raises(ValidationFailed) as refused:
        services.record_administration(actors["investigator"], check, started_at=timezone.now(),
                                       stopped_at=timezone.now(), rate_ml_per_min=1, volume_ml=2.5)
    assert allowed_from.isoformat() in refused.value.errors["started_at"][0]
    child.refresh_from_db()
    assert not Administration.objects.exists() and child.dosed_on is None


def test_the_participants_record_dosing_asks_the_escalation_rule(child, site, make_user, monkeypatch):
    from celltrial.accounts import permissions
    from celltrial.participants import services as ps
    from celltrial.participants.permissions import DOSING_RECORD

    refusal = DosingRefusal("sentinel observation: the first participant of the cohort is observed for 14 days")
    monkeypatch.setattr("celltrial.participants.services.dosing_refusal", lambda participant, on: refusal)
    with pytest.raises(ValidationFailed, match="sentinel observation"):
        ps.record_dosing(permissions.actor_for(make_user("ph_d", "pharmacist"), DOSING_RECORD, site.code), child,
                         dosed_on=timezone.localdate())
    child.refresh_from_db()
    assert child.dosed_on is None


# ---------------------------------------------------------------- cancelling an allocation


def test_a_cancelled_allocation_puts_the_unit_back_in_stock_with_a_label_without_recipient(
        unit_at_site, actors, child, second_child):
    from celltrial.audit.models import AuditEntry
    from celltrial.product import documents
    from tests.product.test_documents import _text, _write

    allocation = services.allocate_unit(actors["pharmacist"], unit_at_site, subject_id=child.subject_id)
    with pytest.raises(ValidationFailed, match="Give the reason"):
        services.cancel_allocation(actors["pharmacist"], allocation, reason="  ")
    services.cancel_allocation(actors["pharmacist"], allocation, reason="infusion postponed: fever on Day 0")
    allocation.refresh_from_db()
    assert allocation.status == "cancelled" and allocation.cancel_reason.startswith("infusion postponed")
    entry = AuditEntry.objects.filter(object_type__endswith="allocation", object_id=str(allocation.pk)).latest("id")
    assert entry.reason == "infusion postponed: fever on Day 0" and entry.changes["status"][-1] == "cancelled"
    text = _text(_write("label-after-cancel", documents.unit_label(unit_at_site, zone="Asia/Shanghai")))
    assert child.subject_id not in text and "intended recipient" not in text
    again = services.allocate_unit(actors["pharmacist"], unit_at_site, subject_id=second_child.subject_id)
    assert again.subject_id == second_child.subject_id  # back in stock for another participant
    with pytest.raises(ValidationFailed, match="already administered or cancelled"):
        services.cancel_allocation(actors["pharmacist"], allocation, reason="again")


def test_allocation_and_its_cancellation_through_the_api_and_the_page(client, product_people, unit_at_site, child):
    from django.urls import reverse

    from celltrial.accounts.services import issue_token
    from celltrial.core.actor import Actor

    url = f"/api/product/units/{unit_at_site.unit_id}/allocation"
    nurse = issue_token(Actor.system("test"), product_people["investigator"], "t")
    assert client.post(url, {"subject_id": child.subject_id}, content_type="application/json",
                       HTTP_AUTHORIZATION=f"Bearer {nurse}").status_code == 403
    token = issue_token(Actor.system("test"), product_people["pharmacist"], "t")
    made = client.post(url, {"subject_id": child.subject_id}, content_type="application/json",
                       HTTP_AUTHORIZATION=f"Bearer {token}")
    assert made.status_code == 200 and made.json()["volume_to_draw_ml"] == pytest.approx(2.5)
    again = client.post(url, {"subject_id": child.subject_id}, content_type="application/json",
                        HTTP_AUTHORIZATION=f"Bearer {token}")
    assert again.status_code == 422 and again.json()["detail"][0]["loc"][-1] == "unit"
    client.force_login(product_people["pharmacist"])
    page = client.get(reverse("product_unit", args=[unit_at_site.unit_id])).content.decode()
    assert 'id="cancel-allocation-form"' in page and "BL" in page
    refused = client.post(reverse("product_allocation_cancel", args=[unit_at_site.unit_id]), {"reason": ""})
    assert refused.status_code == 400
    done = client.post(reverse("product_allocation_cancel", args=[unit_at_site.unit_id]),
                       {"reason": "parents asked to postpone"})
    assert done.status_code == 302
    assert services.live_allocation(unit_at_site) is None


def test_a_refusal_from_the_participants_room_reads_in_chinese(client, product_people, unit_at_site, child,
                                                               site_team):
    from django.urls import reverse

    from celltrial.participants import services as ps
    from tests.participants import helpers as h

    ps.withdraw(h.actor(site_team["investigator"], "participant.withdraw", child.site), child,
                withdrawn_on=timezone.localdate(), requested_by="guardian", scope="product", data_use_allowed=True,
                reason="moved away")
    client.force_login(product_people["pharmacist"])
    response = client.post(reverse("product_allocate", args=[unit_at_site.unit_id]),
                           {"subject_id": child.subject_id}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = response.content.decode()
    assert response.status_code == 400 and f"受试者{child.subject_id}已停止研究用药。" in html
