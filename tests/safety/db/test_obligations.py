"""Obligations on their own clocks, submissions, and the worker's notices (time controlled by ``now``).

Rules: ICH E2A (1994) §III.B.1 — fatal/life-threatening SUSAR ≤7 calendar days from the sponsor's first
knowledge that the case qualifies, then as complete a report as possible within 8 more; §III.B.2 — other
SUSARs ≤15 calendar days; CDE 2018 快速报告 — Day 0 = the day the sponsor first learns; "other potential
serious safety risk information" ≤15 days. China GCP 2020 Art. 26 — SAE to the sponsor immediately; the
protocol: within 24 h of the site's awareness. Issue 11: an upgrade to fatal starts its own 7-day obligation
while the 15-day one stays due — both shown.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from django.core import mail
from django.utils import timezone

from celltrial.core.errors import ValidationFailed
from celltrial.safety import services
from celltrial.safety.models import Obligation, SafetyNotice
from celltrial.safety.permissions import AE_ASSESS, OTHER_RISK_RECORD, REGULATORY_REPORT, SPONSOR_ASSESS
from tests.safety.db.conftest import actor

pytestmark = pytest.mark.django_db
BEIJING = ZoneInfo("Asia/Shanghai")


def _sae(people, child, **extra):
    values = {"verbatim": "Pneumonia", "onset": timezone.localdate().isoformat(), "ctcae_term": "",
              "grade": 3, "seriousness": ["hospitalisation"], "causality_investigator": "possibly", **extra}
    return services.report_ae(actor(people["investigator"], AE_ASSESS, child.site.code), child, **values)


def _obligations(ae):
    return {o.kind: o for o in Obligation.objects.filter(ae=ae)}


def test_upgrade_to_fatal_adds_its_own_seven_day_obligation_and_the_fifteen_day_stays(people, dosed, rsi):
    ae = _sae(people, dosed)
    mm = actor(people["mm"], SPONSOR_ASSESS)
    # Day 0 = 28 Dec 2025; the 15-day report is due 12 Jan 2026, across the year end.
    ae = services.sponsor_assess(mm, ae, causality_sponsor="possibly", sponsor_aware_on=dt.date(2025, 12, 28),
                                 expected_version=ae.version, reason="sponsor Day 0 from the SAE form")
    fifteen = _obligations(ae)["susar_15"]
    assert fifteen.due_at.astimezone(BEIJING).date() == dt.date(2026, 1, 12)
    inv = actor(people["investigator"], AE_ASSESS, dosed.site.code)
    ae = services.record_follow_up(inv, ae, {"seriousness": ["death", "hospitalisation"], "outcome": "fatal",
                                             "resolved": timezone.localdate().isoformat()},
                                   expected_version=ae.version, reason="the child died", received_on=dt.date(2025, 12, 30))
    ae = services.sponsor_assess(mm, ae, causality_sponsor="possibly", upgraded_on=dt.date(2025, 12, 30),
                                 expected_version=ae.version, reason="sponsor learned of the death on 30 Dec")
    kinds = _obligations(ae)
    assert set(kinds) == {"site_notice", "susar_15", "susar_7_upgrade", "susar_complete"}
    assert kinds["susar_15"].status == "open"
    assert kinds["susar_15"].due_at.astimezone(BEIJING).date() == dt.date(2026, 1, 12)  # stays due
    # upgrade 30 Dec + 7 = 6 Jan 2026 (earlier than the 15-day date); complete report 6 Jan + 8 = 14 Jan.
    assert kinds["susar_7_upgrade"].due_at.astimezone(BEIJING).date() == dt.date(2026, 1, 6)
    assert kinds["susar_complete"].due_at.astimezone(BEIJING).date() == dt.date(2026, 1, 14)


def test_site_notice_is_24_hours_from_site_awareness_in_the_site_time_zone(people, dosed, rsi, other_site):
    # Awareness 31 Jan 2026 22:30 in Beijing (14:30 UTC): due 1 Feb 22:30 Beijing, across the month end.
    aware = dt.datetime(2026, 1, 31, 22, 30, tzinfo=BEIJING)
    ae = _sae(people, dosed, site_aware_at=aware)
    notice = _obligations(ae)["site_notice"]
    assert notice.time_zone == "Asia/Shanghai"
    assert notice.due_at == dt.datetime(2026, 2, 1, 14, 30, tzinfo=dt.UTC)
    assert notice.due_at.astimezone(BEIJING) == dt.datetime(2026, 2, 1, 22, 30, tzinfo=BEIJING)


def test_a_site_in_another_time_zone_keeps_its_own_zone(people, dosed, rsi):
    from celltrial.core.actor import Actor
    from celltrial.study.services import edit_site

    site = dosed.site
    edit_site(Actor.system("t"), site, {"timezone": "Europe/Berlin"}, expected_version=site.version,
              reason="a site in Berlin")
    dosed.refresh_from_db()
    aware = dt.datetime(2025, 12, 31, 23, 30, tzinfo=ZoneInfo("Europe/Berlin"))  # 22:30 UTC, New Year's Eve
    ae = _sae(people, dosed, site_aware_at=aware)
    notice = _obligations(ae)["site_notice"]
    assert notice.time_zone == "Europe/Berlin"
    assert notice.due_at.astimezone(ZoneInfo("Europe/Berlin")) == dt.datetime(2026, 1, 1, 23, 30,
                                                                              tzinfo=ZoneInfo("Europe/Berlin"))
    assert notice.due_at == dt.datetime(2026, 1, 1, 22, 30, tzinfo=dt.UTC)  # across the year end


def test_a_submission_meets_the_obligation(people, dosed, rsi):
    ae = _sae(people, dosed)
    fifteen = _obligations(ae)["susar_15"]
    mm = actor(people["mm"], REGULATORY_REPORT)
    services.record_submission(mm, fifteen, submitted_at=timezone.now(), recipient="CDE", reference="CN-2026-0001")
    fifteen.refresh_from_db()
    assert fifteen.status == "met"
    with pytest.raises(ValidationFailed, match="not open"):
        services.record_submission(mm, fifteen, submitted_at=timezone.now(), recipient="CDE", reference="again")
    with pytest.raises(ValidationFailed) as refused:
        services.record_submission(mm, _obligations(ae)["site_notice"], submitted_at=timezone.now(), recipient="",
                                   reference="x")
    assert "recipient" in refused.value.errors


def test_other_safety_risk_information_has_a_15_day_clock(people, protocol):
    info = services.record_other_risk(actor(people["mm"], OTHER_RISK_RECORD), title="Tumorigenicity signal in mice",
                                      description="A non-clinical study found ectopic tissue at 6 months.",
                                      sponsor_aware_on=dt.date(2025, 12, 20))
    ob = info.obligations.get()
    assert ob.kind == "other_risk" and ob.site is None
    assert ob.due_at.astimezone(BEIJING).date() == dt.date(2026, 1, 4)  # 20 Dec + 15, across the year end


def test_the_worker_notifies_at_awareness_half_time_and_overdue_once_each(people, dosed, rsi, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    from celltrial.audit.operations import tracked
    from celltrial.core.actor import Actor

    with tracked(Actor.system("t"), people["mm"]) as u:
        u.email = "mm@example.org"
    aware = timezone.now() - dt.timedelta(hours=1)
    ae = _sae(people, dosed, site_aware_at=aware)
    notice = _obligations(ae)["site_notice"]
    start = notice.starts_at

    early = services.notify_due(now=start - dt.timedelta(minutes=1))
    assert [n for n in early if n.obligation == notice] == []  # before the clock starts: nothing
    first = services.notify_due(now=start + dt.timedelta(minutes=5))
    at_awareness = [n for n in first if n.obligation == notice]
    assert {n.moment for n in at_awareness} == {"awareness"}
    assert {n.recipient.username for n in at_awareness} == {"mm", "inv"}  # medical monitor and investigator
    assert any("mm@example.org" in m.to for m in mail.outbox)
    assert [n for n in services.notify_due(now=start + dt.timedelta(hours=2)) if n.obligation == notice] == []  # once
    half = [n for n in services.notify_due(now=start + dt.timedelta(hours=12)) if n.obligation == notice]
    assert {n.moment for n in half} == {"half"} and len(half) == 2
    assert [n for n in services.notify_due(now=start + dt.timedelta(hours=23)) if n.obligation == notice] == []
    overdue = [n for n in services.notify_due(now=start + dt.timedelta(hours=24, minutes=1)) if n.obligation == notice]
    assert {n.moment for n in overdue} == {"overdue"}
    assert all(n.obligation != notice for n in services.notify_due(now=start + dt.timedelta(hours=30)))
    assert SafetyNotice.objects.filter(obligation=notice).count() == 6


def test_a_met_obligation_gets_no_more_notices(people, dosed, rsi):
    ae = _sae(people, dosed)
    notice = _obligations(ae)["site_notice"]
    services.record_submission(actor(people["investigator"], "safety.submission.site", dosed.site.code), notice,
                               submitted_at=timezone.now(), recipient="Sponsor PV", reference="SAE-1")
    sent = services.notify_due(now=notice.due_at + dt.timedelta(hours=1))
    assert all(n.obligation != notice for n in sent)


def test_the_periodic_task_sends_and_the_notice_page_shows_it(people, dosed, rsi, client):
    from celltrial.safety.tasks import notify_due_task

    ae = _sae(people, dosed, site_aware_at=timezone.now() - dt.timedelta(minutes=30))
    assert notify_due_task.call_local() >= 2  # the medical monitor and the investigator, for each open clock
    assert notify_due_task.call_local() == 0  # each notice once
    client.force_login(people["mm"])
    page = client.get("/safety/notices/").content.decode()
    assert "Clock started" in page and f"/safety/aes/{ae.pk}/" in page


def test_without_an_rsi_in_force_a_serious_related_case_is_treated_as_unexpected(people, dosed):
    # ICH E2A §II.C: expected only if consistent with the reference safety information; with none, nothing is.
    ae = _sae(people, dosed)
    assert ae.expected is None and "treated as unexpected" in ae.expectedness_basis
    assert "susar_15" in _obligations(ae) and ae.susar
