"""Safety pages and API in English and Chinese: the AE form's suggestion, the investigator's assessment, the clocks
on the dashboard, a submission turning a clock green, the swimmer plot, the E2B data and refusals (never a 500)."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from celltrial.safety.models import AdverseEvent, Obligation

pytestmark = pytest.mark.django_db


def _alt(fake_labs, child):
    start = timezone.now() - dt.timedelta(days=3)
    fake_labs.add(child, "ALT", start, 230, 3)


def test_coordinator_enters_alt_the_form_suggests_grade_3(client, people, dosed, fake_labs, rsi):
    _alt(fake_labs, dosed)
    client.force_login(people["coordinator"])
    onset = (timezone.localdate() - dt.timedelta(days=3)).isoformat()
    hint = client.get(reverse("safety_suggest", args=[dosed.pk]), {"ctcae_term": "alt", "onset": onset})
    assert hint.status_code == 200 and 'data-grade="3"' in hint.content.decode()
    page = client.get(reverse("safety_ae_new", args=[dosed.pk]))
    assert page.status_code == 200 and "causality_investigator" not in page.content.decode()
    made = client.post(reverse("safety_ae_new", args=[dosed.pk]), {
        "verbatim": "ALT raised", "onset": onset, "ctcae_term": "alt", "grade": "3", "action_taken": "not_applicable",
        "outcome": "recovering"})
    assert made.status_code == 302
    ae = AdverseEvent.objects.get(participant=dosed)
    assert ae.grade_suggested == 3 and not ae.grade_confirmed
    bad = client.post(reverse("safety_ae_new", args=[dosed.pk]), {
        "verbatim": "ALT raised", "onset": "2026-02-30", "action_taken": "none", "outcome": "recovering"})
    assert bad.status_code == 200 and "not a calendar date" in bad.content.decode()
    assert "ALT raised" in bad.content.decode()  # what was typed is kept


def test_investigator_marks_serious_and_related_dashboard_shows_clocks_then_green(client, people, dosed, fake_labs, rsi):
    from celltrial.safety import services
    from celltrial.safety.permissions import AE_ENTER
    from tests.safety.db.conftest import actor

    _alt(fake_labs, dosed)
    ae = services.report_ae(actor(people["coordinator"], AE_ENTER, dosed.site.code), dosed, verbatim="ALT raised",
                            onset=timezone.localdate().isoformat(), ctcae_term="alt", grade=3)
    client.force_login(people["investigator"])
    saved = client.post(reverse("safety_ae_assess", args=[ae.pk]), {
        "grade": "3", "seriousness": ["important-medical-event"], "causality_investigator": "possibly",
        "reason": "reviewed the labs", "version": ae.version})
    assert saved.status_code == 302
    board = client.get(reverse("safety")).content.decode()
    assert 'data-kind="site_notice"' in board and 'data-kind="susar_15"' in board
    client.force_login(people["mm"])
    fifteen = Obligation.objects.get(ae=ae, kind="susar_15")
    page = client.get(reverse("safety_ae", args=[ae.pk])).content.decode()
    assert "submission-form" in page
    done = client.post(reverse("safety_submission", args=[fifteen.pk]), {
        "submitted_at": timezone.now().astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M"), "recipient": "CDE",
        "reference": "CDE-2026-001"})
    assert done.status_code == 302
    board = client.get(reverse("safety")).content.decode()
    assert f'class="clock ok" id="obligation-{fifteen.pk}"' in board


def test_pages_in_chinese_and_downloads(client, people, dosed, fake_labs, rsi):
    from celltrial.safety import services
    from celltrial.safety.permissions import AE_ASSESS
    from tests.safety.db.conftest import actor

    ae = services.report_ae(actor(people["investigator"], AE_ASSESS, dosed.site.code), dosed, verbatim="Pneumonia",
                            onset=timezone.localdate().isoformat(), grade=3, seriousness=["hospitalisation"],
                            causality_investigator="possibly", lot="L-TEST-1")
    client.force_login(people["investigator"])
    for name, args in [("safety", []), ("safety_participant", [dosed.pk]), ("safety_ae", [ae.pk]),
                       ("safety_ae_new", [dosed.pk]), ("safety_ae_follow_up", [ae.pk]), ("safety_notices", [])]:
        response = client.get(reverse(name, args=args), HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert response.status_code == 200, name
    assert "不良事件" in client.get(reverse("safety"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    png = client.get(reverse("safety_swimmer"))
    assert png["Content-Type"] == "image/png" and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    data = json.loads(client.get(reverse("safety_ae_e2b", args=[ae.pk])).content)
    assert data["G.k"][0]["G.k.4.r"][0]["G.k.4.r.7"] == "L-TEST-1" and data["E.i"][0]["E.i.3.2"] == {"E.i.3.2c": True}
    assert data["D"]["D.1"] == dosed.subject_id


def test_roles_and_sites_are_refused(client, people, dosed, make_user, other_site, rsi):
    from celltrial.safety import services
    from celltrial.safety.permissions import AE_ASSESS
    from tests.safety.db.conftest import actor

    ae = services.report_ae(actor(people["investigator"], AE_ASSESS, dosed.site.code), dosed, verbatim="Rash",
                            onset=timezone.localdate().isoformat(), grade=1, causality_investigator="unlikely")
    client.force_login(people["coordinator"])
    assert client.post(reverse("safety_ae_assess", args=[ae.pk]), {"grade": "2"}).status_code == 403
    client.force_login(make_user("crc2", "coordinator", at=other_site))
    assert client.get(reverse("safety_ae", args=[ae.pk])).status_code == 404
    assert client.get(reverse("safety_participant", args=[dosed.pk])).status_code == 404
    client.force_login(make_user("qa1", "qa"))
    assert client.get(reverse("safety")).status_code == 403


def test_api_lists_reports_and_refuses_bad_input(client, people, dosed, rsi):
    from celltrial.accounts.services import issue_token
    from celltrial.core.actor import Actor

    auth = {"HTTP_AUTHORIZATION": f"Bearer {issue_token(Actor.system('test'), people['investigator'], 't')}"}
    made = client.post(f"/api/safety/participants/{dosed.pk}/aes", json.dumps({
        "verbatim": "Fever", "onset": timezone.localdate().isoformat(), "ctcae_term": "fever", "grade": 2,
        "causality_investigator": "possibly"}), content_type="application/json", **auth)
    assert made.status_code == 200, made.content
    assert made.json()["grade"] == 2 and made.json()["expected"] is True  # fever ≤ G2 is in RSI 1.0
    bad = client.post(f"/api/safety/participants/{dosed.pk}/aes", json.dumps({
        "verbatim": "Fever", "onset": "tomorrow"}), content_type="application/json", **auth)
    assert bad.status_code == 422 and "onset" in bad.content.decode()
    assert [a["verbatim"] for a in client.get("/api/safety/aes", **auth).json()] == ["Fever"]
    assert client.get(f"/api/safety/participants/{dosed.pk}/dlt", **auth).json()["status"] == "pending"
    assert client.get("/api/safety/obligations", **auth).json() == []


def test_follow_up_page_saves_only_what_changed_as_a_new_version(client, people, dosed, rsi):
    from celltrial.safety import services
    from celltrial.safety.permissions import AE_ENTER
    from tests.safety.db.conftest import actor

    today = timezone.localdate().isoformat()
    ae = services.report_ae(actor(people["coordinator"], AE_ENTER, dosed.site.code), dosed, verbatim="Chills",
                            onset=today, ctcae_term="infusion_related_reaction", findings=["mild_transient"])
    assert ae.grade_suggested == 1
    client.force_login(people["coordinator"])
    page = client.get(reverse("safety_ae_follow_up", args=[ae.pk])).content.decode()
    assert re.search(r'value="infusion_related_reaction:mild_transient"[^>]*checked', page)  # the form shows the record
    saved = client.post(reverse("safety_ae_follow_up", args=[ae.pk]), {
        "verbatim": "Chills", "onset": today, "resolved": today, "ctcae_term": "infusion_related_reaction",
        "findings": ["infusion_related_reaction:interruption_needed"], "grade": "", "action_taken": "interrupted",
        "outcome": "recovered", "received_on": today, "reason": "infusion was paused", "version": ae.version})
    assert saved.status_code == 302, saved.content.decode()[-2000:]
    ae.refresh_from_db()
    latest = ae.versions.order_by("-number").first()
    assert ae.info_version == 2 and ae.grade_suggested == 2  # interruption indicated → grade 2 (CTCAE v5.0 IRR)
    assert set(latest.changes) >= {"resolved", "findings", "action_taken", "outcome", "grade_suggested"}
    assert "verbatim" not in latest.changes and "aesi" not in latest.changes


def test_dlt_decided_and_confirmed_on_the_participant_page(client, people, dosed, fake_labs, rsi):
    from celltrial.safety import interface, services
    from celltrial.safety.permissions import AE_ASSESS
    from tests.conftest import PASSWORD
    from tests.safety.db.conftest import actor

    ae = services.report_ae(actor(people["investigator"], AE_ASSESS, dosed.site.code), dosed, verbatim="Seizure",
                            onset=timezone.localdate().isoformat(), ctcae_term="seizure", findings=["new_onset"],
                            grade=3, causality_investigator="possibly")
    client.force_login(people["investigator"])
    page = client.get(reverse("safety_participant", args=[dosed.pk])).content.decode()
    assert "DLT-NONHEME-G3" in page and 'id="dlt-decide"' in page
    wrong = client.post(reverse("safety_dlt_decide", args=[dosed.pk]), {
        "decision": "dlt", "criteria_met": ["DLT-SEIZURE"], "dlt_aes": [str(ae.number)], "password": "wrong"})
    assert wrong.status_code == 302 and interface.dlt_status(dosed).status == "pending"
    client.post(reverse("safety_dlt_decide", args=[dosed.pk]), {
        "decision": "dlt", "criteria_met": ["DLT-SEIZURE", "DLT-NONHEME-G3"], "dlt_aes": [str(ae.number)],
        "comment": "new-onset seizure on Day 0", "password": PASSWORD})
    client.force_login(people["mm"])
    client.post(reverse("safety_dlt_confirm", args=[dosed.pk]), {"password": PASSWORD, "comment": "agree"})
    status = interface.dlt_status(dosed)
    assert (status.status, status.confirmed) == ("dlt", True) and "DLT-SEIZURE" in status.summary
