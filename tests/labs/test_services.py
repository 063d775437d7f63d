"""The labs services: a panel in one audited transaction, flags by the child's age and sex, CTCAE grades
with the version stored, baseline rules, corrections with a reason, refusals, reference-range versions."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from celltrial.core.actor import Actor
from celltrial.core.errors import AccessDenied, ConflictError, ValidationFailed
from celltrial.labs import services
from celltrial.labs.models import InfusionVitals, LabResult, ReferenceRangeSet
from tests.labs.records import draw

pytestmark = pytest.mark.django_db


def _entries(obj) -> list:
    from celltrial.audit.models import AuditEntry

    return list(AuditEntry.objects.filter(stream=obj.audit_stream()).order_by("id"))


def test_a_panel_is_converted_flagged_graded_and_audited(child, ranges, coordinator_actor):
    made = services.enter_panel(coordinator_actor, child, visit="SCR", collected_at=draw(40),
                                values={"ALT": ("24", "U/L"), "HB": ("10.9", "g/dL"),
                                                 "CREAT": ("0.4", "mg/dL"), "INR": ("1.02", "")})
    by = {r.analyte: r for r in made}
    assert by["HB"].si_value == Decimal("109.0") and by["HB"].si_unit == "g/L" and by["HB"].unit == "g/dL"
    assert by["HB"].flag == "L" and by["HB"].range_row.low == Decimal(115)  # the 6–12 y row of the shipped set
    assert by["HB"].grade == 1 and by["HB"].ctcae_term == "Anemia" and by["HB"].ctcae_version == "5.0"
    assert by["CREAT"].si_value == Decimal("0.4") * Decimal("88.4") and by["CREAT"].flag == ""
    assert by["INR"].grade is None and by["INR"].ctcae_term == ""
    assert all(len(_entries(r)) == 1 for r in made)  # one create entry per result, same transaction


def test_one_refused_value_writes_nothing_and_names_the_field(child, ranges, coordinator_actor):
    with pytest.raises(ValidationFailed) as refused:
        services.enter_panel(coordinator_actor, child, visit="SCR", collected_at=draw(40),
                             values={"ALT": ("24", "U/L"), "CREAT": ("40", "mmol/L"), "HB": ("2500", "g/L")})
    assert "mg/dL" in " ".join(refused.value.errors["creat"])
    assert "plausible" in " ".join(refused.value.errors["hb"])
    assert not LabResult.objects.exists()


def test_a_post_dose_result_is_graded_against_the_pre_dose_baseline(child, ranges, coordinator_actor):
    # Creatinine increased, G3 ">3.0 x baseline": baseline 30, ULN 62 → 95 µmol/L is Grade 3 (ULN alone: Grade 2)
    services.enter_panel(coordinator_actor, child, visit="SCR", collected_at=draw(40),
                         values={"CREAT": ("30", "µmol/L"), "ALT": ("60", "U/L")})
    later = services.enter_panel(coordinator_actor, child, visit="D7", collected_at=draw(23),
                                 values={"CREAT": ("95", "µmol/L"), "ALT": ("150", "U/L")})
    by = {r.analyte: r for r in later}
    assert by["CREAT"].baseline_si == Decimal(30) and by["CREAT"].grade == 3
    # ALT baseline 60 > ULN 40 is abnormal: 150 is 2.5 × baseline, Grade 1 (not 3.75 × ULN, Grade 2)
    assert by["ALT"].grade == 1 and "baseline" in by["ALT"].grade_criterion


def test_correcting_a_result_needs_a_reason_recomputes_and_refuses_a_stale_version(child, ranges, coordinator_actor):
    result = services.enter_panel(coordinator_actor, child, visit="D7", collected_at=draw(23),
                                  values={"ALT": ("24.5", "U/L")})[0]
    with pytest.raises(ValidationFailed, match="reason"):
        services.correct_result(coordinator_actor, result, value="245", unit="U/L", expected_version=1, reason="")
    fixed = services.correct_result(coordinator_actor, result, value="245", unit="U/L", expected_version=1,
                                    reason="transcription error: decimal point")
    assert (fixed.grade, fixed.flag, fixed.version) == (3, "H", 2)
    entry = _entries(fixed)[-1]
    assert entry.reason == "transcription error: decimal point" and entry.changes["grade"] == [0, 3]
    with pytest.raises(ConflictError):
        services.correct_result(coordinator_actor, fixed, value="250", unit="U/L", expected_version=1, reason="x")


def test_correcting_the_baseline_regrades_later_results(child, ranges, coordinator_actor):
    base = services.enter_panel(coordinator_actor, child, visit="SCR", collected_at=draw(40),
                                values={"CREAT": ("30", "µmol/L")})[0]
    later = services.enter_panel(coordinator_actor, child, visit="D7", collected_at=draw(23),
                                 values={"CREAT": ("95", "µmol/L")})[0]
    assert later.grade == 3
    services.correct_result(coordinator_actor, base, value="40", unit="µmol/L", expected_version=base.version,
                            reason="wrong sample tube")
    later.refresh_from_db()
    assert later.baseline_si == Decimal(40) and later.grade == 2  # 95 ≤ 3.0 × 40: only the ULN multiple (G2)
    assert "baseline corrected" in _entries(later)[-1].reason


def test_entry_is_refused_without_consent(site, ranges, coordinator_actor):
    from tests.labs.records import dosed_child

    unconsented = dosed_child(site, sequence=963, consent=False)
    with pytest.raises(ValidationFailed) as refused:
        services.enter_panel(coordinator_actor, unconsented, visit="SCR", collected_at=draw(1),
                             values={"ALT": ("24", "U/L")})
    assert "consent" in " ".join(refused.value.errors["visit"])


def test_other_refusals(child, ranges, coordinator_actor):
    def enter(**kw):
        args = {"visit": "SCR", "collected_at": draw(40), "values": {"ALT": ("24", "U/L")}, **kw}
        return services.enter_panel(coordinator_actor, child, **args)

    with pytest.raises(ValidationFailed, match="not drawn"):
        enter(visit="D3")
    with pytest.raises(ValidationFailed, match="future"):
        enter(collected_at=timezone.now() + dt.timedelta(days=1))
    with pytest.raises(ValidationFailed, match="at least one"):
        enter(values={"ALT": ("", "U/L")})
    enter()
    with pytest.raises(ValidationFailed, match="already entered"):
        enter()


def test_a_coordinator_of_another_site_and_a_monitor_may_not_enter(child, ranges, make_user, other_site, lab_people):
    from celltrial.accounts import permissions
    from celltrial.labs.permissions import LAB_ENTER, LAB_VIEW

    elsewhere = make_user("crc_other", "coordinator", at=other_site)
    actor = permissions.actor_for(elsewhere, LAB_ENTER, other_site.code)
    with pytest.raises(AccessDenied):
        services.enter_panel(actor, child, visit="SCR", collected_at=draw(40), values={"ALT": ("24", "U/L")})
    monitor = permissions.actor_for(lab_people["monitor"], LAB_VIEW, child.site.code)
    with pytest.raises(AccessDenied):
        services.enter_panel(monitor, child, visit="SCR", collected_at=draw(40),
                             values={"ALT": ("24", "U/L")})


def test_reference_range_versions(site):
    from tests.labs.records import load_shipped_ranges

    first = load_shipped_ranges(site)
    assert load_shipped_ranges(site).pk == first.pk  # the same file again: nothing new
    text = "# lab: Demo hospital clinical laboratory\n# version: 2025.1-illustrative\n" \
           "analyte,sex,age_from,age_to,low,high,unit\nALT,*,6,18,5,45,U/L\n"
    with pytest.raises(ValidationFailed, match="new version"):
        services.load_reference_ranges(Actor.system("t"), site_code=site.code, content=text, name="r.csv")
    second = services.load_reference_ranges(Actor.system("t"), site_code=site.code,
                                            content=text.replace("2025.1-illustrative", "2025.2"), name="r.csv")
    assert services.range_set_in_force(site.code).pk == second.pk and second.rows.count() == 1
    with pytest.raises(ValidationFailed) as refused:
        services.load_reference_ranges(Actor.system("t"), site_code=site.code, content="# lab: L\n", name="bad.csv")
    assert refused.value.errors["file"][0].startswith("bad.csv:")
    assert ReferenceRangeSet.objects.count() == 2


def test_a_new_range_version_leaves_earlier_results_on_their_row(child, ranges, coordinator_actor, site):
    old = services.enter_panel(coordinator_actor, child, visit="SCR", collected_at=draw(40),
                               values={"ALT": ("42", "U/L")})[0]
    text = "# lab: Demo hospital clinical laboratory\n# version: 2026.1\nanalyte,sex,age_from,age_to,low,high,unit\n" \
           "ALT,*,6,18,5,45,U/L\n"
    services.load_reference_ranges(Actor.system("t"), site_code=site.code, content=text, name="r.csv")
    new = services.enter_panel(coordinator_actor, child, visit="D1", collected_at=draw(29),
                               values={"ALT": ("42", "U/L")})[0]
    old.refresh_from_db()
    assert (old.flag, old.range_row.high) == ("H", Decimal(40)) and (new.flag, new.range_row.high) == ("", Decimal(45))


def test_infusion_vitals_fever_graded_and_refusals(child, coordinator_actor):
    start = timezone.now() - dt.timedelta(days=30)
    values = {"temperature_c": "38.3", "heart_rate": "110", "systolic_bp": "104", "diastolic_bp": "64",
              "resp_rate": "22", "spo2": "98"}
    made = services.record_infusion_vitals(coordinator_actor, child, time_point="2h", infusion_started_at=start,
                                           measured_at=start + dt.timedelta(minutes=125), values=values)
    # CTCAE v5.0 Fever Grade 1: 38.0 – 39.0 °C
    assert (made.fever_grade, made.ctcae_version, made.minutes_from_nominal) == (1, "5.0", 5)
    with pytest.raises(ValidationFailed, match="already recorded"):
        services.record_infusion_vitals(coordinator_actor, child, time_point="2h", infusion_started_at=start,
                                        measured_at=start + dt.timedelta(minutes=125), values=values)
    with pytest.raises(ValidationFailed, match="infusion started"):
        services.record_infusion_vitals(coordinator_actor, child, time_point="4h",
                                        infusion_started_at=start + dt.timedelta(hours=1),
                                        measured_at=start + dt.timedelta(hours=5), values=values)
    fixed = services.correct_infusion_vitals(coordinator_actor, made, measured_at=made.measured_at,
                                             values={**values, "temperature_c": "37.6"}, expected_version=1,
                                             reason="thermometer misread")
    assert fixed.fever_grade == 0 and InfusionVitals.objects.count() == 1


def test_precision_beyond_six_decimals(child, ranges, coordinator_actor):
    made = services.enter_panel(coordinator_actor, child, visit="SCR", collected_at=draw(40),
                                values={"WBC": ("6800.123456", "/mm³")})[0]
    assert made.si_value == Decimal("6.800123") and made.value == Decimal("6800.123456")
    with pytest.raises(ValidationFailed, match="6 decimal places"):
        services.enter_panel(coordinator_actor, child, visit="SCR", collected_at=draw(39),
                             values={"ALT": ("24.1234567", "U/L")})


def test_a_temperature_is_graded_as_it_is_kept(child, coordinator_actor):
    start = timezone.now() - dt.timedelta(days=30)
    values = {"temperature_c": "37.95", "heart_rate": "96", "systolic_bp": "104", "diastolic_bp": "64",
              "resp_rate": "20", "spo2": "99"}
    made = services.record_infusion_vitals(coordinator_actor, child, time_point="1h", infusion_started_at=start,
                                           measured_at=start + dt.timedelta(hours=1), values=values)
    assert made.temperature_c == Decimal("38.0") and made.fever_grade == 1  # Fever G1 starts at 38.0 °C
    with pytest.raises(ValidationFailed, match="whole number"):
        services.record_infusion_vitals(coordinator_actor, child, time_point="2h", infusion_started_at=start,
                                        measured_at=start + dt.timedelta(hours=2), values={**values, "heart_rate": "96.5"})
