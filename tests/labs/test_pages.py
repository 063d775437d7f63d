"""The labs pages and API through the Django test client: the grid with flags and grades, entry that keeps
what was typed on a refusal (400), a stale correction (409), vitals, reference-range uploads with file:line
errors, Chinese pages, site scoping, and the API's 422/403."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from celltrial.labs import services
from celltrial.labs.models import LabResult
from tests.labs.records import draw

pytestmark = pytest.mark.django_db


def _local(when: dt.datetime) -> str:
    import zoneinfo

    return when.astimezone(zoneinfo.ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%dT%H:%M")


def test_a_coordinator_enters_a_grade_3_alt_and_sees_its_grade(client, lab_people, child, ranges):
    client.force_login(lab_people["coordinator"])
    url = reverse("labs_enter", kwargs={"participant_id": child.pk, "visit": "D7"})
    assert client.get(url).status_code == 200
    form = {"collected_at": _local(draw(23)), "alt": "245", "alt_unit": "U/L",
            "creat": "40", "creat_unit": "mmol/L"}
    refused = client.post(url, form)
    page = refused.content.decode()
    assert refused.status_code == 400 and "mg/dL" in page and 'value="245"' in page and not LabResult.objects.exists()
    done = client.post(url, {**form, "creat_unit": "µmol/L"})
    assert done.status_code == 302
    grid = client.get(reverse("labs_participant", kwargs={"participant_id": child.pk})).content.decode()
    assert 'data-analyte="ALT" data-visit="D7"' in grid and "G3" in grid and "grade-high" in grid


def test_the_grid_speaks_chinese(client, lab_people, child, ranges, coordinator_actor):
    services.enter_panel(coordinator_actor, child, visit="SCR", collected_at=draw(40),
                         values={"HB": ("109", "g/L")})
    client.force_login(lab_people["monitor"])
    client.cookies["django_language"] = "zh-hans"
    page = client.get(reverse("labs_participant", kwargs={"participant_id": child.pk}),
                      HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "血红蛋白" in page and "血常规" in page and "实验室检查" in page
    assert "Enter SCR" not in page  # a monitor reads, never enters


def test_a_stale_correction_shows_both_versions(client, lab_people, child, ranges, coordinator_actor):
    result = services.enter_panel(coordinator_actor, child, visit="D7", collected_at=draw(23),
                                  values={"ALT": ("24", "U/L")})[0]
    services.correct_result(coordinator_actor, result, value="26", unit="U/L", expected_version=1, reason="retyped")
    client.force_login(lab_people["coordinator"])
    stale = client.post(reverse("labs_correct", kwargs={"result_id": result.pk}),
                        {"value": "245", "unit": "U/L", "version": "1", "reason": "decimal point"})
    page = stale.content.decode()
    assert stale.status_code == 409 and "version 1" in page and "245" in page
    no_reason = client.post(reverse("labs_correct", kwargs={"result_id": result.pk}),
                            {"value": "245", "unit": "U/L", "version": "2", "reason": ""})
    assert no_reason.status_code == 400


def test_vitals_page_records_a_time_point(client, lab_people, child):
    client.force_login(lab_people["coordinator"])
    url = reverse("labs_vitals", kwargs={"participant_id": child.pk})
    start = timezone.now() - dt.timedelta(days=30)
    base = {"time_point": "2h", "infusion_started_at": _local(start), "measured_at": _local(start + dt.timedelta(hours=2)),
            "temperature_c": "38.3", "heart_rate": "110", "systolic_bp": "104", "diastolic_bp": "64", "resp_rate": "22",
            "spo2": "98"}
    bad = client.post(url, {**base, "temperature_c": "101.3"})
    assert bad.status_code == 400 and "30.0–43.0 °C" in bad.content.decode() and 'value="101.3"' in bad.content.decode()
    assert client.post(url, base).status_code == 302
    page = client.get(url).content.decode()
    assert 'data-point="2h"' in page and "G1" in page


def test_reference_ranges_upload_with_file_line_errors(client, lab_people, site):
    client.force_login(lab_people["data_manager"])
    url = reverse("labs_ranges")
    bad = SimpleUploadedFile("lab.csv", b"# lab: L\n# version: 3\nanalyte,sex,age_from,age_to,low,high,unit\n"
                                        b"ALT,*,6,18,40,5,U/L\n", content_type="text/csv")
    refused = client.post(url, {"site": site.code, "file": bad})
    assert refused.status_code == 400 and "lab.csv:4: low must be below high" in refused.content.decode()
    good = SimpleUploadedFile("lab.csv", b"# lab: L\n# version: 3\nanalyte,sex,age_from,age_to,low,high,unit\n"
                                         b"ALT,*,6,18,5,40,U/L\n", content_type="text/csv")
    made = client.post(url, {"site": site.code, "file": good})
    assert made.status_code == 302
    assert "ALT" in client.get(made.url).content.decode()
    client.force_login(lab_people["monitor"])
    assert client.post(url, {"site": site.code}).status_code == 403


def test_other_sites_children_are_not_found(client, make_user, other_site, child):
    elsewhere = make_user("crc_elsewhere", "coordinator", at=other_site)
    client.force_login(elsewhere)
    assert client.get(reverse("labs_participant", kwargs={"participant_id": child.pk})).status_code == 404
    assert client.get(reverse("labs_enter", kwargs={"participant_id": child.pk, "visit": "SCR"})).status_code == 404
    assert child.subject_id not in client.get(reverse("labs")).content.decode()


def test_api_panel_entry_results_and_refusals(client, lab_people, child, ranges):
    from celltrial.accounts.services import issue_token
    from celltrial.core.actor import Actor

    token = issue_token(Actor.system("test"), lab_people["coordinator"], name="t")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    url = f"/api/labs/participants/{child.pk}/panels"
    body = {"visit": "D7", "collected_at": draw(23).isoformat(),
            "results": {"ALT": {"value": "245", "unit": "U/L"}, "CREAT": {"value": "40", "unit": "mmol/L"}}}
    refused = client.post(url, body, content_type="application/json", **auth)
    assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == ["body", "creat"]
    body["results"]["CREAT"]["unit"] = "µmol/L"
    made = client.post(url, body, content_type="application/json", **auth)
    assert made.status_code == 200
    alt = next(r for r in made.json() if r["analyte"] == "ALT")
    assert (alt["grade"], alt["flag"], alt["ctcae_version"], alt["high"]) == (3, "H", "5.0", "40")
    listed = client.get(f"/api/labs/participants/{child.pk}/results", **auth).json()
    assert {r["analyte"] for r in listed} == {"ALT", "CREAT"}
    stale = client.post(f"/api/labs/results/{alt['id']}/correct", {"value": "24", "unit": "U/L",
                        "expected_version": 2, "reason": "typo"}, content_type="application/json", **auth)
    assert stale.status_code == 409
    monitor_token = issue_token(Actor.system("test"), lab_people["monitor"], name="m")
    assert client.post(url, body, content_type="application/json",
                       HTTP_AUTHORIZATION=f"Bearer {monitor_token}").status_code == 403


def test_the_correction_form_shows_the_value_as_typed(client, lab_people, child, ranges, coordinator_actor):
    result = services.enter_panel(coordinator_actor, child, visit="D7", collected_at=draw(23),
                                  values={"ALT": ("2.450E+2", "U/L")})[0]
    client.force_login(lab_people["coordinator"])
    page = client.get(reverse("labs_correct", kwargs={"result_id": result.pk})).content.decode()
    assert 'value="245"' in page and "E+2" not in page


def test_api_hides_other_sites_children(client, make_user, other_site, child):
    from celltrial.accounts.services import issue_token
    from celltrial.core.actor import Actor

    token = issue_token(Actor.system("test"), make_user("crc_api_other", "coordinator", at=other_site), name="t")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    assert client.get(f"/api/labs/participants/{child.pk}/results", **auth).status_code == 404
    body = {"visit": "SCR", "collected_at": draw(40).isoformat(),
            "results": {"ALT": {"value": "24", "unit": "U/L"}}}
    assert client.post(f"/api/labs/participants/{child.pk}/panels", body, content_type="application/json",
                       **auth).status_code == 404
    assert not LabResult.objects.exists()


@pytest.mark.parametrize("value", ["\x00", "1e999", "NaN", "-5", "abc", "9" * 31])
def test_bad_values_are_400_never_500(client, lab_people, child, ranges, value):
    client.force_login(lab_people["coordinator"])
    url = reverse("labs_enter", kwargs={"participant_id": child.pk, "visit": "D7"})
    response = client.post(url, {"collected_at": _local(draw(23)), "alt": value,
                                 "alt_unit": "U/L"})
    assert response.status_code == 400 and not LabResult.objects.exists()


def test_bad_time_and_unit_are_400(client, lab_people, child, ranges):
    client.force_login(lab_people["coordinator"])
    url = reverse("labs_enter", kwargs={"participant_id": child.pk, "visit": "D7"})
    for bad in ({"collected_at": "2025-13-45T99:99"}, {"alt_unit": "furlongs"}):
        data = {"collected_at": _local(draw(23)), "alt": "24", "alt_unit": "U/L", **bad}
        assert client.post(url, data).status_code == 400, bad
    assert client.get(reverse("labs_enter", kwargs={"participant_id": child.pk, "visit": "D3"})).status_code == 404


def test_the_index_lists_abnormal_results_highest_grade_first(client, lab_people, child, ranges, coordinator_actor):
    services.enter_panel(coordinator_actor, child, visit="D7", collected_at=draw(23),
                         values={"ALT": ("245", "U/L"), "AST": ("45", "U/L"), "BUN": ("1.0", "mmol/L"),
                                 "PLT": ("262", "10^9/L")})
    assert LabResult.objects.get(analyte="PLT").unit == "×10⁹/L"  # stored as the analyte spells it
    client.force_login(lab_people["medical_monitor"] if "medical_monitor" in lab_people else lab_people["monitor"])
    page = client.get(reverse("labs")).content.decode()
    table = page[page.index('id="abnormal-table"'):]
    assert table.index("ALT") < table.index("AST") < table.index("Blood urea nitrogen")  # G3, G1, then L (no grade)
    assert "Platelets" not in table
