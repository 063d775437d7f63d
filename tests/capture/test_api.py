"""The capture API: metadata, records, instruments, and form saves with the same rules as the pages."""

from __future__ import annotations

import pytest

from tests.capture.test_scoring import abc
from tests.capture.test_services import _vitals


@pytest.fixture
def api(client):
    from celltrial.accounts.services import issue_token
    from celltrial.core.actor import Actor

    def as_user(user):
        token = issue_token(Actor.system("test"), user, "t")

        class Api:
            def get(self, path):
                return client.get(f"/api/capture{path}", HTTP_AUTHORIZATION=f"Bearer {token}")

            def post(self, path, body):
                return client.post(f"/api/capture{path}", body, content_type="application/json",
                                   HTTP_AUTHORIZATION=f"Bearer {token}")

        return Api()

    return as_user


def test_form_metadata(api, team, enrolled):
    forms = {f["name"]: f for f in api(team["monitor"]).get("/forms").json()}
    vitals = {x["name"]: x for x in forms["vitals"]["fields"]}
    assert vitals["weight_kg"]["units"] == "kg" and vitals["vs_abn_desc"]["branching"] == "[vs_abnormal] = '1'"
    assert forms["abc"]["instrument"] == "ABC_AMAN58" and "BL" in forms["abc"]["visits"]


def test_save_read_conflict_and_refusal(api, team, enrolled):
    crc = api(team["coordinator"])
    path = f"/participants/{enrolled.pk}/forms/BL/vitals"
    saved = crc.post(path, {"values": _vitals()})
    assert saved.status_code == 200 and saved.json()["status"] == "complete"
    refused = crc.post(path, {"values": _vitals(hr="250"), "expected_version": 1, "reason": "x"})
    assert refused.status_code == 422 and "40 to 200" in refused.json()["detail"][0]["msg"]
    assert crc.post(path, {"values": _vitals(hr="91"), "expected_version": 1, "reason": "recount"}).status_code == 200
    stale = crc.post(path, {"values": _vitals(hr="99"), "expected_version": 1, "reason": "old"})
    assert stale.status_code == 409 and stale.json()["current_values"]["values"]["hr"] == "91"
    records = api(team["monitor"]).get(f"/participants/{enrolled.pk}/records").json()
    assert [r["form"] for r in records if r["visit"] == "BL"] == ["vitals"]


def test_instruments_and_guardian_link(api, team, enrolled):
    crc = api(team["coordinator"])
    assert crc.post(f"/participants/{enrolled.pk}/forms/BL/abc", {"values": abc(2)}).status_code == 200
    rows = api(team["monitor"]).get(f"/participants/{enrolled.pk}/instruments").json()
    assert rows[0]["instrument"] == "ABC_AMAN58" and rows[0]["total"] == 73
    link = crc.post(f"/participants/{enrolled.pk}/forms/W24/srs2/guardian-link", {})
    assert link.status_code == 200 and link.json()["path"].startswith("/capture/q/")
    assert api(team["rater"]).post(f"/participants/{enrolled.pk}/forms/W24/srs2/guardian-link", {}).status_code == 403
