"""Adverse events through the services: suggested grade, confirmation, seriousness, causality, expectedness by RSI
version, follow-up versions, and the obligations opened on their own clocks.

Rules: CTCAE v5.0 ALT increased grade 3 = >5.0–20.0 × ULN (baseline normal); ICH E2A §II.B seriousness;
§II.C expectedness against the RSI; §III.A.1 causality by either party; §III.B.2 15 calendar days from the
sponsor's first knowledge (Day 0); China GCP 2020 Art. 26, protocol: site → sponsor within 24 h.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from celltrial.core.errors import AccessDenied, ConflictError, ValidationFailed
from celltrial.safety import services
from celltrial.safety.models import AeVersion, Obligation
from celltrial.safety.permissions import AE_ASSESS, AE_ENTER, SPONSOR_ASSESS
from tests.safety.db.conftest import actor

pytestmark = pytest.mark.django_db


def _alt_series(fake_labs, child, start, values_grades):
    for day, (value, grade) in enumerate(values_grades):
        fake_labs.add(child, "ALT", start + dt.timedelta(days=day), value, grade)


def _enter_alt(people, child, onset):
    return services.report_ae(actor(people["coordinator"], AE_ENTER, child.site.code), child,
                              verbatim="ALT raised", onset=onset.isoformat(), ctcae_term="ALT")


def test_alt_grade_is_suggested_from_the_lab_series_and_confirmed_by_the_investigator(people, dosed, fake_labs, rsi):
    start = timezone.now() - dt.timedelta(days=8)
    # ULN 40 U/L: 130 = 3.25×ULN → grade 2; 230 = 5.75×ULN → grade 3 (CTCAE v5.0 >5.0–20.0×ULN).
    _alt_series(fake_labs, dosed, start, [(130, 2), (230, 3)])
    ae = _enter_alt(people, dosed, start.date())
    assert ae.ctcae_term == "alt" and ae.grade_suggested == 3 and "230" in ae.grade_basis
    assert ae.grade is None and not ae.grade_confirmed
    assert ae.versions.count() == 1 and not Obligation.objects.filter(ae=ae).exists()  # not serious: no clock

    assessed = services.assess_ae(actor(people["investigator"], AE_ASSESS, dosed.site.code), ae, grade=3,
                                  seriousness=["important-medical-event"], causality_investigator="possibly",
                                  expected_version=ae.version, reason="investigator review")
    assert assessed.grade == 3 and assessed.grade_confirmed and assessed.serious and assessed.related
    assert assessed.expected is False and assessed.rsi_version == "1.0"  # ALT increase not in RSI 1.0
    kinds = {o.kind: o for o in Obligation.objects.filter(ae=assessed)}
    assert set(kinds) == {"site_notice", "susar_15"}
    site_notice = kinds["site_notice"]
    assert site_notice.due_at - site_notice.starts_at == dt.timedelta(hours=24)
    fifteen = kinds["susar_15"]
    day0 = assessed.sponsor_aware_on
    assert fifteen.due_at.astimezone(services.sponsor_zone()).date() == day0 + dt.timedelta(days=15)
    assert [v.number for v in services.history(assessed)] == [1, 2]
    assert services.history(assessed)[1].changes["grade"] == [None, 3]


def test_a_coordinator_cannot_record_causality_and_a_stale_edit_is_a_conflict(people, dosed, fake_labs, rsi):
    with pytest.raises(AccessDenied):
        services.report_ae(actor(people["coordinator"], AE_ENTER, dosed.site.code), dosed, verbatim="Fever",
                           onset=timezone.localdate().isoformat(), causality_investigator="possibly")
    ae = _enter_alt(people, dosed, timezone.localdate())
    services.record_follow_up(actor(people["coordinator"], AE_ENTER, dosed.site.code), ae, {"narrative": "day 2"},
                              expected_version=ae.version, reason="follow-up")
    with pytest.raises(ConflictError):
        services.record_follow_up(actor(people["coordinator"], AE_ENTER, dosed.site.code), ae,
                                  {"narrative": "old page"}, expected_version=ae.version, reason="follow-up")


@pytest.mark.parametrize(("field", "value", "match"), [
    ("onset", "2026-13", "not a calendar date"),
    ("onset", "yesterday", "YYYY-MM-DD"),
    ("grade", 7, "1 to 5"),
    ("seriousness", ["bad"], "Unknown seriousness"),
])
def test_bad_input_is_refused_naming_the_field(people, dosed, field, value, match):
    values = {"verbatim": "Headache", "onset": timezone.localdate().isoformat(), field: value}
    with pytest.raises(ValidationFailed) as refused:
        services.report_ae(actor(people["coordinator"], AE_ENTER, dosed.site.code), dosed, **values)
    assert field in refused.value.errors and match in " ".join(refused.value.errors[field])


def test_follow_up_makes_a_new_version_with_history(people, dosed, rsi):
    today = timezone.localdate()
    ae = services.report_ae(actor(people["coordinator"], AE_ENTER, dosed.site.code), dosed, verbatim="Fever",
                            onset=today.strftime("%Y-%m"), ctcae_term="fever", grade=1)
    later = services.record_follow_up(actor(people["coordinator"], AE_ENTER, dosed.site.code), ae,
                                      {"onset": today.isoformat(), "grade": 2, "outcome": "recovered",
                                       "resolved": today.isoformat()},
                                      expected_version=ae.version, reason="day known; worse, then resolved")
    versions = list(AeVersion.objects.filter(ae=later).order_by("number"))
    assert [v.kind for v in versions] == ["initial", "follow_up"] and later.info_version == 2
    assert versions[0].snapshot["grade"] == 1 and versions[0].snapshot["onset"] == today.strftime("%Y-%m")
    assert versions[1].snapshot["grade"] == 2 and versions[1].changes["outcome"] == ["recovering", "recovered"]
    assert not later.grade_confirmed  # a changed grade needs the investigator again


def test_expectedness_uses_the_rsi_version_in_force_at_sponsor_awareness(people, dosed, rsi):
    from celltrial.safety.permissions import RSI_MANAGE

    # RSI 2.0 (in force from 1 Jun 2025) adds ALT increased up to grade 3.
    services.add_rsi_version(actor(people["mm"], RSI_MANAGE), version="2.0", effective_from=dt.date(2025, 6, 1),
                             document="IB v2.0 §7", expected={"fever": 2, "infusion_related_reaction": 2, "alt": 3})
    inv = actor(people["investigator"], AE_ASSESS, dosed.site.code)
    ae = services.report_ae(inv, dosed, verbatim="ALT raised", onset=timezone.localdate().isoformat(),
                            ctcae_term="alt", grade=3, seriousness=["hospitalisation"], causality_investigator="probably")
    assert ae.expected is True and ae.rsi_version == "2.0"
    mm = actor(people["mm"], SPONSOR_ASSESS)
    before = services.sponsor_assess(mm, ae, causality_sponsor="possibly", sponsor_aware_on=dt.date(2025, 5, 20),
                                     expected_version=ae.version, reason="sponsor first knew on 20 May 2025")
    assert before.expected is False and before.rsi_version == "1.0"  # RSI 1.0 was in force then
    assert Obligation.objects.get(ae=before, kind="susar_15").status == "open"
    after = services.sponsor_assess(mm, before, causality_sponsor="possibly", sponsor_aware_on=dt.date(2025, 6, 2),
                                    expected_version=before.version, reason="date corrected")
    assert after.expected is True and after.rsi_version == "2.0"
    assert Obligation.objects.get(ae=after, kind="susar_15").status == "withdrawn"
    # Grade 4 is more severe than RSI 2.0 lists (up to grade 3): unexpected (E2A §II.C, severity).
    worse = services.assess_ae(actor(people["investigator"], AE_ASSESS, dosed.site.code), after, grade=4,
                               seriousness=["hospitalisation"], causality_investigator="probably",
                               expected_version=after.version, reason="worsened")
    assert worse.expected is False and "more severe" in worse.expectedness_basis


def test_today_is_the_sites_day_after_midnight_in_beijing(people, dosed, rsi, monkeypatch):
    """Onset and resolution dates are the site's calendar dates (docs/safety.md): at 00:30 in Beijing (16:30 UTC the
    day before) an event that began at the site today is not "in the future"; one dated tomorrow there is."""
    from django.utils import timezone

    from celltrial.safety import services as safety_services

    instant = dt.datetime(2026, 12, 1, 16, 30, tzinfo=dt.UTC)  # 2026-12-02 00:30 Asia/Shanghai (UTC+8)
    monkeypatch.setattr(timezone, "now", lambda: instant)
    assert safety_services.site_today(dosed.site) == dt.date(2026, 12, 2)
    ae = services.report_ae(actor(people["coordinator"], AE_ENTER, dosed.site.code), dosed, verbatim="Fever 38.2",
                            onset="2026-12-02", ctcae_term="fever", grade=1)
    assert ae.onset == "2026-12-02"
    with pytest.raises(ValidationFailed) as future:
        services.report_ae(actor(people["coordinator"], AE_ENTER, dosed.site.code), dosed, verbatim="Fever 38.2",
                           onset="2026-12-03", ctcae_term="fever", grade=1)
    assert "onset" in future.value.errors
