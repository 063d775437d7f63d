"""The product pages and API through the Django test client: trial-wide QA reaches the manufacturing writes,
refusals keep what was typed (400, never 500), a stale save is a 409 with both versions, the API names the
refused field (422), and the pages speak Chinese."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from celltrial.product import services
from tests.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def test_trial_wide_qa_registers_a_donor_and_a_refusal_keeps_what_was_typed(client, product_people):
    client.force_login(product_people["qa"])
    url = reverse("product_donors")
    refused = client.post(url, {"donor_id": "D-2025-0012-X", "age_years": "24", "assessment_date": "2025-03-01",
                                "history_malignancy": "no", "history_autoimmune_disease": "no",
                                "history_tse_risk": "no"})
    html = refused.content.decode()
    assert refused.status_code == 400 and "check character" in html and 'value="D-2025-0012-X"' in html
    assert 'value="24"' in html
    made = client.post(url, {"donor_id": "", "age_years": "24", "assessment_date": "2025-03-01",
                             "history_malignancy": "no", "history_autoimmune_disease": "no", "history_tse_risk": "no"})
    assert made.status_code == 302
    donor_page = client.get(made.url).content.decode()
    assert "incomplete" in donor_page and "HIV-1/2 antibody" in donor_page


@pytest.mark.parametrize("value", ["\x00", "1e999", "-5", "abc"])
def test_bad_numbers_and_control_characters_are_400_not_500(client, product_people, qc_lot, value):
    client.force_login(product_people["qa"])
    response = client.post(reverse("product_batch_record", args=[qc_lot.batch.code, "lot"]),
                           {"manufactured_on": "2025-03-01", "expires_at": "2026-03-01T00:00",
                            "concentration_cells_per_ml": value, "unit_volume_ml": "10"})
    assert response.status_code == 400


def test_qa_releases_on_the_lot_page_and_gets_the_certificate(client, product_people, qc_lot):
    client.force_login(product_people["qa"])
    lot_url = reverse("product_lot", args=[qc_lot.lot_id])
    page = client.get(lot_url).content.decode()
    assert 'id="release-form"' in page and "release" in page
    wrong = client.post(reverse("product_release", args=[qc_lot.lot_id]), {"password": "nope", "comment": "c"})
    assert wrong.status_code == 400 and "The password is not correct" in wrong.content.decode()
    done = client.post(reverse("product_release", args=[qc_lot.lot_id]), {"password": PASSWORD, "comment": "c"})
    assert done.status_code == 302
    coa = client.get(reverse("product_coa", args=[qc_lot.lot_id]))
    assert coa.status_code == 200 and coa["Content-Type"] == "application/pdf" and coa.content.startswith(b"%PDF")


def test_a_stale_correction_shows_both_versions(client, product_people, released_lot, actors):
    client.force_login(product_people["qa"])
    result = released_lot.results.get(analyte="viability_pct")
    url = reverse("product_qc_correct", args=[released_lot.lot_id, "viability_pct"])
    page = client.get(url).content.decode()
    assert 'id="void-warning"' in page
    services.correct_qc_result(actors["qa"], result, {"value": "91.0"}, expected_version=result.version, reason="r")
    stale = client.post(url, {"value": "90.0", "unit": "%", "method": "trypan blue", "analyst": "Li Na",
                              "tested_on": "2025-03-01", "reason": "re-count", "version": str(result.version)})
    html = stale.content.decode()
    assert stale.status_code == 409 and "91.0" in html and "90.0" in html


def test_the_unit_page_refuses_an_out_of_order_event_beside_the_field(client, product_people, unit_at_site):
    client.force_login(product_people["pharmacist"])
    url = reverse("product_custody", args=[unit_at_site.unit_id])
    now = timezone.localtime(timezone.now(), __import__("zoneinfo").ZoneInfo(unit_at_site.site.timezone)).strftime(
        "%Y-%m-%dT%H:%M:%S")
    response = client.post(url, {"event": "administered", "occurred_at": now, "place": "ward"})
    assert response.status_code == 400 and 'value="ward"' in response.content.decode()
    ok = client.post(url, {"event": "stored", "occurred_at": now, "place": "LN2 dewar 2"})
    assert ok.status_code == 302


def test_the_chain_of_identity_as_page_pdf_and_json(client, product_people, unit_at_site):
    from celltrial.accounts.services import issue_token
    from celltrial.core.actor import Actor

    client.force_login(product_people["investigator"])
    page = client.get(reverse("product_chain", args=[unit_at_site.unit_id])).content.decode()
    for step in ("step-donor", "step-collection", "step-batch", "step-lot", "step-qc", "step-release", "step-unit",
                 "step-custody", "step-participant", "step-administration"):
        assert f'id="{step}"' in page
    assert client.get(reverse("product_chain_pdf", args=[unit_at_site.unit_id])).content.startswith(b"%PDF")
    token = issue_token(Actor.system("test"), product_people["investigator"], "t")
    chain = client.get(f"/api/product/units/{unit_at_site.unit_id}/chain", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert chain.status_code == 200
    body = chain.json()
    assert body["donor"]["eligibility"] == "eligible" and [e["event"] for e in body["custody"]] == [
        "stored", "shipped", "received"]


def test_the_api_names_the_refused_field(client, product_people, unit_at_site):
    from celltrial.accounts.services import issue_token
    from celltrial.core.actor import Actor

    token = issue_token(Actor.system("test"), product_people["pharmacist"], "t")
    url = f"/api/product/units/{unit_at_site.unit_id}/custody"

    def post(body):
        return client.post(url, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")

    out_of_order = post({"event": "prepared", "occurred_at": timezone.now().isoformat()})
    assert out_of_order.status_code == 422 and out_of_order.json()["detail"][0]["loc"] == ["body", "event"]
    naive = post({"event": "stored", "occurred_at": "2025-03-01T09:00:00"})
    assert naive.status_code == 422 and naive.json()["detail"][0]["loc"][-1] == "occurred_at"
    unknown = post({"event": "teleported", "occurred_at": timezone.now().isoformat()})
    assert unknown.status_code == 422 and unknown.json()["detail"][0]["loc"][-1] == "event"
    nul = post({"event": "stored", "occurred_at": timezone.now().isoformat(), "place": "a\x00b"})
    assert nul.status_code == 422 and nul.json()["detail"][0]["loc"][-1] == "place"
    ok = post({"event": "stored", "occurred_at": timezone.now().isoformat(), "place": "LN2 dewar 2"})
    assert ok.status_code == 200 and ok.json()[-1]["event"] == "stored"
    long_id = client.get("/api/product/units/" + "L" * 40, HTTP_AUTHORIZATION=f"Bearer {token}")
    assert long_id.status_code == 422


def test_the_bedside_check_through_the_api(client, product_people, unit_at_site, actors, site, child):
    from celltrial.accounts.services import issue_token
    from celltrial.core.actor import Actor

    services.allocate_unit(actors["pharmacist"], unit_at_site, subject_id=child.subject_id)
    token = issue_token(Actor.system("test"), product_people["investigator"], "t")
    response = client.post(f"/api/product/units/{unit_at_site.unit_id}/bedside-checks",
                           {"scanned_unit": unit_at_site.unit_id, "scanned_subject": child.subject_id},
                           content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}")
    assert response.status_code == 200 and response.json()["outcome"] == "refused"  # thawed and prepared: not yet
    assert "The unit is not prepared for administration." in [r["reason"] for r in response.json()["reasons"]]


@pytest.mark.parametrize("name", ["product", "product_bedside", "product_notifications"])
def test_pages_render_in_chinese(client, product_people, name, unit_at_site):
    client.force_login(product_people["pharmacist"])
    html = client.get(reverse(name), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert 'lang="zh-hans"' in html
    for english in ("Bedside check", "Custody state", "No notifications.", "Scan the unit"):
        assert english not in html


def test_the_unit_and_lot_pages_render_in_chinese(client, product_people, unit_at_site):
    client.force_login(product_people["qa"])
    unit = client.get(reverse("product_unit", args=[unit_at_site.unit_id]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    lot = client.get(reverse("product_lot", args=[unit_at_site.lot.lot_id]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert "监管链" in unit.content.decode() and "放行" in lot.content.decode()
    assert "Custody ledger" not in unit.content.decode() and "Release the lot" not in lot.content.decode()
