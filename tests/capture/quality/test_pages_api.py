"""Pages in English and Chinese, the participant counts include, the missing-form list, and the API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from celltrial.capture.quality import services
from celltrial.capture.quality.models import Query
from celltrial.capture.quality.permissions import QUERY_RAISE
from tests.capture.quality.conftest import act, write_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def query(team, child):
    return services.raise_query(act(team["monitor"], QUERY_RAISE, child.site),
                                services.Target(child, "SCR", "vitals", field="weight_kg"),
                                text="Weight looks low; please check.")


def test_monitor_raises_from_the_page_coordinator_answers(client, team, child):
    client.force_login(team["monitor"])
    r = client.post(reverse("quality_query_raise"), {"subject": child.screening_number, "visit": "SCR",
                                                     "form": "vitals", "field": "sbp", "text": "SBP missing units?"})
    q = Query.objects.get(field="sbp")
    assert r.status_code == 302 and r["Location"] == reverse("quality_query", args=[q.pk])
    client.force_login(team["coordinator"])
    page = client.get(reverse("quality_query", args=[q.pk])).content.decode()
    assert 'id="answer-form"' in page and 'id="close-form"' not in page
    client.post(reverse("quality_query_answer", args=[q.pk]), {"answer": "Entered in mmHg.", "version": q.version})
    q.refresh_from_db()
    assert (q.status, q.answer) == ("answered", "Entered in mmHg.")


def test_a_refusal_keeps_the_page_and_says_why(client, team, child, query):
    client.force_login(team["coordinator"])
    r = client.post(reverse("quality_query_answer", args=[query.pk]), {"answer": "", "version": query.version},
                    follow=True)
    assert r.status_code == 200 and "required" in r.content.decode()
    query.refresh_from_db()
    assert query.status == "open"


def test_pages_in_chinese(client, team, child, query):
    write_record(child, "SCR", "vitals", {"sbp": "100", "dbp": "120"})
    client.force_login(team["data_manager"])
    client.cookies["django_language"] = "zh-hans"
    for name, args in (("quality_queries", []), ("quality_query", [query.pk]), ("quality_participant", [child.pk]),
                       ("quality_locks", []), ("quality_missing", [])):
        r = client.get(reverse(name, args=args), HTTP_ACCEPT_LANGUAGE="zh-hans")
        assert r.status_code == 200, name
        body = r.content.decode()
        assert 'lang="zh' in body, name
    listing = client.get(reverse("quality_queries"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "舒张压不低于收缩压。" in listing  # the check's Chinese message
    assert "质疑" in listing


def test_counts_include_on_the_participant_page(client, team, child, query):
    client.force_login(team["coordinator"])
    body = client.get(reverse("quality_participant", args=[child.pk])).content.decode()
    assert 'id="quality-counts"' in body and "1 open" in body


def test_sdv_marks_show_changed_since(client, team, child):
    write_record(child, "SCR", "vitals", {"weight_kg": "20.0"})
    client.force_login(team["monitor"])
    client.post(reverse("quality_sdv", args=[child.pk]), {"visit": "SCR", "form": "vitals", "repeat": "1"})
    assert "sdv-done" in client.get(reverse("quality_participant", args=[child.pk])).content.decode()
    write_record(child, "SCR", "vitals", {"weight_kg": "21.0"})
    body = client.get(reverse("quality_participant", args=[child.pk])).content.decode()
    assert "Changed since SDV" in body and "weight_kg" in body


def test_freeze_from_the_page_then_entry_refused(client, team, child):
    from celltrial.capture.quality import gate

    client.force_login(team["data_manager"])
    client.post(reverse("quality_lock_place"), {"participant": child.pk, "level": "visit", "kind": "freeze",
                                                "visit": "BL", "reason": "Ready for SRC."})
    assert "Frozen at the visit level" in gate.entry_lock(child, "BL", "vitals")


def test_other_sites_query_is_not_found(client, make_user, other_site, query):
    client.force_login(make_user("mon_sh", "monitor", at=other_site))
    assert client.get(reverse("quality_query", args=[query.pk])).status_code == 404
    assert query.subject not in client.get(reverse("quality_queries")).content.decode()


def test_missing_forms_of_a_done_visit(client, team, site, checked_protocol):
    from celltrial.audit.operations import tracked
    from celltrial.core.actor import Actor
    from celltrial.participants.interface import subject_label
    from celltrial.study.models import Site
    from tests.participants.records import build_access_records

    built = build_access_records(Site.objects.get(pk=site.pk))
    from django.apps import apps

    child = apps.get_model("participants", "Participant").objects.get(pk=built["participant_id"])
    baseline = child.visits.get(code="BL")
    # The access records' child has a dissent pending, so the visit is recorded by the audit's own writer.
    with tracked(Actor.system("test"), baseline, reason="visit done") as visit:
        visit.status, visit.actual_date = "done", child.screened_on
    write_record(child, "BL", "vitals", {"weight_kg": "25.0"})
    write_record(child, "BL", "abc", {}, status="draft")
    from celltrial.capture.quality.lists import missing_forms

    gaps = {(g.visit, g.form): g.kind for g in missing_forms(today=child.screened_on + dt.timedelta(days=1))
            if g.subject == subject_label(child) and g.visit == "BL"}
    assert ("BL", "vitals") not in gaps and gaps[("BL", "abc")] == "incomplete"
    assert gaps[("BL", "cgi_s")] == "missing" and ("BL", "con_meds") not in gaps  # a repeating log
    client.force_login(team["monitor"])
    body = client.get(reverse("quality_missing")).content.decode()
    assert "cgi_s" in body


# --- the API ---------------------------------------------------------------------------------------------


def _token(user):
    from celltrial.accounts.services import issue_token
    from celltrial.core.actor import Actor

    if user.pk not in _TOKENS:
        _TOKENS[user.pk] = issue_token(Actor.system("test"), user, name="t")
    return {"HTTP_AUTHORIZATION": f"Bearer {_TOKENS[user.pk]}"}


_TOKENS: dict[int, str] = {}


@pytest.fixture(autouse=True)
def _fresh_tokens():
    _TOKENS.clear()


def test_api_query_workflow(client, team, child):
    raised = client.post("/api/quality/queries", {"participant_id": child.pk, "visit": "SCR", "form": "vitals",
                                                  "field": "hr", "text": "HR 40 in a child?"},
                         content_type="application/json", **_token(team["monitor"]))
    assert raised.status_code == 200, raised.content
    qid = raised.json()["id"]
    answered = client.post(f"/api/quality/queries/{qid}/answer", {"answer": "Typo: 90."},
                           content_type="application/json", **_token(team["coordinator"]))
    assert answered.json()["status"] == "answered"
    stale = client.post(f"/api/quality/queries/{qid}/close", {"note": "ok", "version": 1},
                        content_type="application/json", **_token(team["data_manager"]))
    assert stale.status_code == 409
    closed = client.post(f"/api/quality/queries/{qid}/close", {"note": "ok"}, content_type="application/json",
                         **_token(team["data_manager"]))
    assert closed.json()["status"] == "closed"
    again = client.post(f"/api/quality/queries/{qid}/answer", {"answer": "late"}, content_type="application/json",
                        **_token(team["coordinator"]))
    assert again.status_code == 422
    listed = client.get("/api/quality/queries?status=closed", **_token(team["auditor"]))
    assert [q["id"] for q in listed.json()] == [qid]
    refused = client.post("/api/quality/queries", {"participant_id": child.pk, "field": "hr", "text": "x"},
                          content_type="application/json", **_token(team["coordinator"]))
    assert refused.status_code == 403


def test_api_sdv_and_lock(client, team, child):
    write_record(child, "SCR", "vitals", {"weight_kg": "20.0"})
    r = client.post("/api/quality/sdv", {"participant_id": child.pk, "visit": "SCR", "form": "vitals"},
                    content_type="application/json", **_token(team["monitor"]))
    assert r.status_code == 200 and r.json()["changed_since"] is False
    r = client.post("/api/quality/locks", {"level": "form", "kind": "lock", "participant_id": child.pk,
                                           "visit": "SCR", "form": "vitals", "reason": "clean"},
                    content_type="application/json", **_token(team["data_manager"]))
    assert r.status_code == 200, r.content
    lock_id = r.json()["id"]
    r = client.post(f"/api/quality/locks/{lock_id}/release", {"reason": ""}, content_type="application/json",
                    **_token(team["data_manager"]))
    assert r.status_code == 422
    r = client.post(f"/api/quality/locks/{lock_id}/release", {"reason": "Correction requested by the PI."},
                    content_type="application/json", **_token(team["data_manager"]))
    assert r.json()["active"] is False
    r = client.post("/api/quality/sdv", {"participant_id": child.pk, "visit": "SCR", "form": "vitals"},
                    content_type="application/json", **_token(team["monitor"]))
    assert r.status_code == 422  # verified already, and unchanged


def test_query_page_shows_its_history(client, team, child, query):
    services.answer_query(act(team["coordinator"], "quality.query.answer", child.site), query,
                          answer="Scale record says 18.2 kg.")
    client.force_login(team["auditor"])
    body = client.get(reverse("quality_query", args=[query.pk])).content.decode()
    assert 'id="query-history"' in body and "Open → Answered" in body and "Scale record says 18.2 kg." in body
