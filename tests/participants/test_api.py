"""A hospital system screens, records consent, enters data, signs eligibility and enrols through the API;
bad input is a 422 naming the field, a stale save a 409 with both versions, never a 500."""

from __future__ import annotations

import base64
import datetime as dt

import pytest
from django.utils import timezone

from celltrial.accounts.services import issue_token
from celltrial.audit.models import AuditEntry
from celltrial.core.actor import Actor
from tests.conftest import PASSWORD
from tests.participants import helpers as h

pytestmark = pytest.mark.django_db


@pytest.fixture
def api(client):
    def as_user(user):
        token = issue_token(Actor.system("test"), user, "hospital system")
        auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

        class Caller:
            def get(self, path, **params):
                return client.get(f"/api/participants{path}", params, **auth)

            def post(self, path, body):
                return client.post(f"/api/participants{path}", body, content_type="application/json", **auth)

        return Caller()

    return as_user


def _fields(response) -> set[str]:
    assert response.status_code == 422, (response.status_code, response.content[:400])
    return {str(e["loc"][-1]) for e in response.json()["detail"]}


def _identity() -> dict:
    ident = h.identity(dt.date(2016, 11, 5))
    return {k: v for k, v in ident.items() if v}


def test_the_whole_path_from_screening_to_enrolment(api, team, site):
    crc, inv = api(team["coordinator"]), api(team["investigator"])
    entry = crc.post("/prescreening", {"site": site.code, "logged_on": str(timezone.localdate()),
                                       "referral_source": "outpatient", "age_band": "6_11", "outcome": "invited"})
    assert entry.status_code == 200, entry.content
    screened = crc.post("/screen", {"site": site.code, "screened_on": str(timezone.localdate()),
                                    "prescreening_id": entry.json()["id"], "identity": _identity()})
    assert screened.status_code == 200, screened.content
    body = screened.json()
    assert body["screening_number"].startswith("ASD-01-S0001-") and "full_name" not in body
    pk = body["id"]
    for kind in ("guardian", "assent"):
        doc = crc.post("/consent-documents", {
            "site": site.code, "kind": kind, "language": "zh-hans", "version": "1.0", "ec_approved_on": "2025-01-02",
            "valid_from": "2025-01-02", "file_name": f"{kind}.pdf",
            "content_base64": base64.b64encode(h.PDF).decode()})
        assert doc.status_code == 200, doc.content
        consent = inv.post(f"/{pk}/consents", {
            "kind": kind, "document_id": doc.json()["id"], "obtained_at": timezone.now().isoformat(),
            "guardian_slot": 1 if kind == "guardian" else None, "method": "written", "password": PASSWORD})
        assert consent.status_code == 200, consent.content
    for form, values in h.eligible_values().items():
        saved = crc.post(f"/{pk}/forms/SCR/{form}", {"values": values})
        assert saved.status_code == 200, (form, saved.content)
    evaluation = crc.get(f"/{pk}/eligibility").json()["evaluation"]
    assert evaluation["decision"] == "eligible"
    signed = inv.post(f"/{pk}/eligibility/sign", {"password": PASSWORD, "comment": "source documents checked"})
    assert signed.status_code == 200 and signed.json()["outcome"] == "eligible"
    enrolled = crc.post(f"/{pk}/enrol", {"day0": str(timezone.localdate() + dt.timedelta(days=7))})
    assert enrolled.status_code == 200, enrolled.content
    assert enrolled.json()["subject_id"].startswith("ASD-01-0001-") and enrolled.json()["cohort"] == 1
    visits = crc.get(f"/{pk}/visits").json()
    assert [v["code"] for v in visits][:3] == ["SCR", "BL", "D0"]
    standing = crc.get(f"/{pk}").json()
    assert standing["consent_current"] and standing["age_years"] is not None and "date_of_birth" not in str(standing)
    # Every write audited.
    assert AuditEntry.objects.filter(object_type="participants.participant", action="create").count() == 1
    assert AuditEntry.objects.filter(object_type="capture.formrecord").count() == len(h.eligible_values())


def test_identity_needs_the_pii_grant(api, team, site, make_user):
    child = h.screen(team["coordinator"], site)
    assert api(team["coordinator"]).get(f"/{child.pk}/identity").json()["full_name"] == h.PLANTED_NAME
    nopii = make_user("crc2", "coordinator")
    assert api(nopii).get(f"/{child.pk}/identity").status_code == 403
    assert api(team["rater"]).get(f"/{child.pk}/identity").status_code == 403


def test_a_role_without_the_permission_is_refused_before_its_body_is_read(api, team):
    response = api(team["rater"]).post("/screen", {"nonsense": True})
    assert response.status_code == 403


@pytest.mark.parametrize(("body", "field"), [
    ({"screened_on": "2025-02-30"}, "screened_on"),
    ({"site": "BJ\x00AD"}, "site"),
    ({"consent_language": "fr"}, "consent_language"),
    ({"identity": {**_identity(), "full_name": "x" * 101}}, "full_name"),
    ({"identity": {**_identity(), "date_of_birth": "2016-13-01"}}, "date_of_birth"),
])
def test_bad_screening_input_is_a_422_naming_the_field(api, team, site, body, field):
    base = {"site": site.code, "screened_on": str(timezone.localdate()), "identity": _identity()}
    assert field in _fields(api(team["coordinator"]).post("/screen", {**base, **body}))


def test_service_refusals_name_the_field_too(api, team, site):
    crc = api(team["coordinator"])
    bad_id = {**_identity(), "id_number": _identity()["id_number"][:-1] + ("0" if _identity()["id_number"][-1] != "0" else "1")}
    assert _fields(crc.post("/screen", {"site": site.code, "screened_on": str(timezone.localdate()),
                                        "identity": bad_id})) == {"id_number"}
    future = str(timezone.localdate() + dt.timedelta(days=3))
    assert _fields(crc.post("/screen", {"site": site.code, "screened_on": future, "identity": _identity()})) == {"screened_on"}


def test_a_naive_time_is_refused(api, team, site, docs):
    child = h.screen(team["coordinator"], site)
    response = api(team["investigator"]).post(f"/{child.pk}/consents", {
        "kind": "guardian", "document_id": docs["guardian"].pk, "obtained_at": "2025-09-01T09:00:00",
        "guardian_slot": 1})
    assert _fields(response) == {"obtained_at"}


def test_entry_before_consent_is_a_422_saying_why(api, team, site):
    child = h.screen(team["coordinator"], site)
    response = api(team["coordinator"]).post(f"/{child.pk}/forms/SCR/vitals", {"values": h.eligible_values()["vitals"]})
    assert response.status_code == 422 and "valid consent" in response.json()["detail"][0]["msg"]


def test_form_values_are_checked_against_the_dictionary(api, team, site, docs):
    child = h.screen(team["coordinator"], site)
    h.consent(team["investigator"], child, docs, password=PASSWORD)
    vitals = {**h.eligible_values()["vitals"], "weight_kg": "16.99", "hr": "a lot"}
    assert _fields(api(team["coordinator"]).post(f"/{child.pk}/forms/SCR/vitals", {"values": vitals})) == {
        "weight_kg", "hr"}
    assert _fields(api(team["coordinator"]).post(f"/{child.pk}/forms/SCR/consent", {"values": {}})) == {"form"}


def test_a_stale_form_save_is_a_409_with_both_versions(api, team, site, docs):
    child = h.screen(team["coordinator"], site)
    h.consent(team["investigator"], child, docs, password=PASSWORD)
    crc = api(team["coordinator"])
    vitals = h.eligible_values()["vitals"]
    assert crc.post(f"/{child.pk}/forms/SCR/vitals", {"values": vitals}).status_code == 200
    assert crc.post(f"/{child.pk}/forms/SCR/vitals", {"values": {**vitals, "hr": "91"}, "expected_version": 1,
                                                      "reason": "recount"}).status_code == 200
    stale = crc.post(f"/{child.pk}/forms/SCR/vitals", {"values": {**vitals, "hr": "99"}, "expected_version": 1,
                                                       "reason": "from an old screen"})
    assert stale.status_code == 409
    body = stale.json()
    assert body["current_version"] == 2
    assert body["current_values"]["values"]["hr"] == "91" and body["attempted_values"]["values"]["hr"] == "99"


def test_enrolment_refused_names_the_reason(api, team, site):
    child = h.screen(team["coordinator"], site)
    response = api(team["coordinator"]).post(f"/{child.pk}/enrol", {})
    assert response.status_code == 422 and "eligibility" in response.json()["detail"][0]["msg"]


def test_another_sites_participant_is_not_found(api, team, site, other_site, make_user):
    child = h.screen(team["coordinator"], site)
    elsewhere = make_user("crc-sh", "coordinator", at=other_site, pii=True)
    assert api(elsewhere).get(f"/{child.pk}").status_code == 404
    assert api(elsewhere).get("/").json() == []


def test_paging_is_bounded(api, team):
    assert _fields(api(team["coordinator"]).get("/", limit="0")) == {"limit"}
    assert _fields(api(team["coordinator"]).get("/", offset="-1")) == {"offset"}
