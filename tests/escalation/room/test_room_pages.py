"""The escalation pages and API (issue 12 §7): the board with days left and DLT status, the recommendation
with its data, the packet, the history figure; English and Chinese; site roles see only their own children."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from celltrial.escalation import services
from celltrial.escalation.permissions import DECISION_SIGN, PACKET_FREEZE
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_board_shows_the_window_days_left_and_dlt_status(trial, src, clock, dlts, login):
    a = trial.enrol()
    trial.dose(a, clock.today() - dt.timedelta(days=3))
    dlts[a.subject_id] = "no_dlt"
    page = login(src[0]).get(reverse("escalation"))
    assert page.status_code == 200
    html = page.content.decode()
    assert a.subject_id in html and 'id="cohort-state"' in html
    row = html.split(f'data-subject="{a.subject_id}"')[1].split("</tr>")[0]
    assert "<td>25</td>" in row  # Day 3 of a window that runs through Day 28
    assert "dlt-no_dlt" in row
    zh = login(src[0]).get(reverse("escalation"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert zh.status_code == 200 and "剂量递增" in zh.content.decode()


def test_recommendation_page_and_api_show_the_data_behind_it(trial, src, clock, dlts, login):
    from tests.escalation.room.test_room_sequence import _fill_cohort

    _fill_cohort(trial, src, clock, dlts, "NTN")
    page = login(src[0]).get(reverse("escalation_recommendation"))
    assert page.status_code == 200 and b'id="decision-table"' in page.content
    api = _bearer(Client(), src[0])
    data = api.get("/api/escalation/recommendation").json()
    assert data["outcomes"] == "1NTN" and data["choice"] == "stay"
    assert data["per_dose"][0]["n"] == 3 and data["per_dose"][0]["dlts"] == 1
    assert len(data["operating_characteristics"]) == 5
    cohorts = api.get("/api/escalation/cohorts").json()
    assert cohorts[0]["state"] == "awaiting_decision"


def _bearer(client, user):
    from celltrial.accounts.services import issue_token
    from celltrial.core.actor import Actor

    token = issue_token(Actor.system("test"), user, "t")
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    return client


def test_api_freezes_proposes_and_signs(trial, src, clock, dlts, client):
    from tests.escalation.room.test_room_sequence import _fill_cohort

    _fill_cohort(trial, src, clock, dlts, "NNN")
    _bearer(client, src[0])
    made = client.post("/api/escalation/packets", {"kind": "cohort"}, content_type="application/json")
    assert made.status_code == 200, made.content
    packet = made.json()
    refused = client.post(f"/api/escalation/packets/{packet['id']}/decision", {"choice": "stay"},
                          content_type="application/json")
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["body", "rationale"]
    decision = client.post(f"/api/escalation/packets/{packet['id']}/decision", {"choice": "escalate"},
                           content_type="application/json").json()
    wrong = client.post(f"/api/escalation/decisions/{decision['id']}/signatures", {"password": "nope"},
                        content_type="application/json")
    assert wrong.status_code == 422
    signed = client.post(f"/api/escalation/decisions/{decision['id']}/signatures", {"password": PASSWORD},
                         content_type="application/json")
    assert signed.status_code == 200 and signed.json()["status"] == "effective"
    assert client.get("/api/escalation/cohorts").json()[-1]["dose_level"] == "DL2"


def test_history_page_and_figure(trial, src, clock, dlts, login):
    a = trial.enrol()
    trial.dose(a, clock.today())
    client = login(src[0])
    assert client.get(reverse("escalation_history")).status_code == 200
    png = client.get(reverse("escalation_history_png") + "?download=1")
    assert png["Content-Type"] == "image/png" and png.content[:8] == b"\x89PNG\r\n\x1a\n"
    assert "attachment" in png["Content-Disposition"]


def test_a_site_coordinator_sees_the_board_but_not_the_packets(trial, src, clock, dlts, login):
    from tests.escalation.room.test_room_sequence import _fill_cohort

    _fill_cohort(trial, src, clock, dlts, "NNN")
    packet = services.freeze_packet(trial.actor(src[0], PACKET_FREEZE), kind="cohort")
    services.propose_decision(trial.actor(src[0], DECISION_SIGN), packet, choice="escalate")
    client = login(trial.crc)
    assert client.get(reverse("escalation")).status_code == 200
    assert client.get(reverse("escalation_packet", args=[packet.pk])).status_code == 403
    assert client.post(reverse("escalation_freeze"), {"kind": "cohort"}).status_code == 403


def test_history_figure_in_chinese_has_every_glyph(trial, src, clock, login):
    import warnings

    from celltrial.escalation.figures import _cjk_font

    if _cjk_font() is None:
        pytest.skip("no CJK font installed (fonts-wqy-microhei)")
    a = trial.enrol()
    trial.dose(a, clock.today())
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        png = login(src[0]).get(reverse("escalation_history_png"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert png.status_code == 200 and png.content[:4] == b"\x89PNG"
    assert [str(w.message) for w in caught if "Glyph" in str(w.message)] == []
