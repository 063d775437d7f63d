"""Stored files and signatures read back: a coordinator uploads, a monitor at the same site downloads the same
bytes with safe headers; another site's user is not found, a role without capture.view is refused; only a
file or signature field that holds a stored value is served; bytes that no longer match their SHA-256 are
refused and logged; every read leaves an audit entry; the page and the API offer the same."""

from __future__ import annotations

import base64
import hashlib
import logging
import urllib.parse

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from celltrial.capture import downloads, files
from tests.capture.records import PDF, SIGNATURE_FIELD, SOURCE_FIELD, attach, load_file_protocol, png


@pytest.fixture
def stored(enrolled, crc):
    """The amendment in force and a source document (and a drawn signature) in the screening vital signs."""
    load_file_protocol()
    record = attach(crc, enrolled, signature=png())
    return record


def _url(child, field=SOURCE_FIELD, visit="SCR", form="vitals", repeat=1):
    return reverse("capture_file", args=[child.pk, visit, form, repeat, field])


def _exports(record):
    from celltrial.audit.models import AuditEntry

    return list(AuditEntry.objects.filter(stream=record.audit_stream(), action="export").order_by("seq"))


def test_a_monitor_downloads_exactly_the_uploaded_bytes(client, team, enrolled, stored):
    client.force_login(team["monitor"])
    response = client.get(_url(enrolled))
    assert response.status_code == 200
    assert response.content == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="worksheet.pdf"'
    assert response["Content-Length"] == str(len(PDF))
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "private, no-store"
    digest = base64.b64encode(hashlib.sha256(PDF).digest()).decode()
    assert response["Repr-Digest"] == f"sha-256=:{digest}:"


def test_a_signature_is_served_inline_as_png(client, team, enrolled, stored):
    client.force_login(team["monitor"])
    response = client.get(_url(enrolled, SIGNATURE_FIELD))
    assert response.status_code == 200 and response.content == png()
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'inline; filename="signature.png"'


def test_every_download_is_in_the_records_audit_trail(client, team, enrolled, stored):
    from celltrial.audit.verify import verify

    assert _exports(stored) == []
    client.force_login(team["monitor"])
    client.get(_url(enrolled))
    client.get(_url(enrolled, SIGNATURE_FIELD))
    entries = _exports(stored)
    assert [(e.username, e.role, e.site_code, e.object_type, e.object_id) for e in entries] == [
        ("mon", "monitor", enrolled.site.code, "capture.formrecord", str(stored.pk))] * 2
    assert entries[0].changes["file"][1] == {"field": SOURCE_FIELD, "name": "worksheet.pdf",
                                             "sha256": hashlib.sha256(PDF).hexdigest(), "size": len(PDF),
                                             "content_type": "application/pdf"}
    assert entries[1].changes["file"][1]["field"] == SIGNATURE_FIELD
    assert entries[0].reason == "stored file downloaded"
    # A read annotates the record: the trail still reconciles with the record and its chain holds.
    assert verify().ok


def test_the_audit_trail_shows_who_read_which_file(client, team, enrolled, stored, make_user):
    client.force_login(team["monitor"])
    client.get(_url(enrolled))
    client.force_login(make_user("aud", "auditor"))
    html = client.get(reverse("audit"), {"object_type": "capture.formrecord"}).content.decode()
    assert "stored file downloaded" in html  # the reason only a read writes


def test_another_sites_user_gets_404_not_403(client, make_user, other_site, enrolled, stored):
    client.force_login(make_user("mon_sh", "monitor", at=other_site))
    assert client.get(_url(enrolled)).status_code == 404
    assert _exports(stored) == []


def test_a_role_without_capture_view_is_refused(client, make_user, enrolled, stored):
    client.force_login(make_user("pharm", "pharmacist"))
    assert client.get(_url(enrolled)).status_code == 403
    client.logout()
    assert client.get(_url(enrolled)).status_code == 302  # to the login page
    assert _exports(stored) == []


def test_the_service_checks_the_permission_itself(team, enrolled, stored, make_user):
    from celltrial.core.actor import Actor
    from celltrial.core.errors import AccessDenied

    pharmacist = make_user("pharm2", "pharmacist")
    with pytest.raises(AccessDenied):
        downloads.read_file(Actor(user=pharmacist, role="pharmacist", site_code=enrolled.site.code), enrolled,
                            visit="SCR", form="vitals", repeat=1, field=SOURCE_FIELD)


@pytest.mark.parametrize("field, visit, form, repeat", [
    ("weight_kg", "SCR", "vitals", 1),      # a field of the form, but not a file field
    ("vs_nothing", "SCR", "vitals", 1),     # no such field
    (SOURCE_FIELD, "BL", "vitals", 1),      # a file field, but that visit's form was not entered
    (SOURCE_FIELD, "SCR", "vitals", 2),     # no such repeat
    (SOURCE_FIELD, "SCR", "labs", 1),       # not a field of that form
    (SOURCE_FIELD, "XX", "vitals", 1),      # no such visit
])
def test_only_a_file_field_that_holds_a_stored_value_is_served(client, team, enrolled, stored, field, visit, form,
                                                               repeat):
    client.force_login(team["monitor"])
    assert client.get(_url(enrolled, field, visit, form, repeat)).status_code == 404


def test_an_empty_file_field_is_not_found(client, team, enrolled, crc):
    from celltrial.capture import services

    load_file_protocol()
    attach(crc, enrolled)  # the source document only: the signature field stays empty
    assert services.record(enrolled, "SCR", "vitals").values.get(SIGNATURE_FIELD) in (None, "")
    client.force_login(team["monitor"])
    assert client.get(_url(enrolled, SIGNATURE_FIELD)).status_code == 404


def test_tampered_bytes_are_refused_logged_and_never_served(client, team, enrolled, stored, caplog):
    digest = hashlib.sha256(PDF).hexdigest()
    altered = PDF.replace(b"worksheet", b"WORKSHEET")
    (files.folder() / digest).write_bytes(altered)
    client.force_login(team["monitor"])
    with caplog.at_level(logging.ERROR, logger="celltrial.capture.downloads"):
        response = client.get(_url(enrolled))
    assert response.status_code == 409
    html = response.content.decode()
    assert "no longer match the SHA-256" in html and 'id="file-refused"' in html
    assert b"WORKSHEET" not in response.content and response["Content-Type"].startswith("text/html")
    assert any(digest in r.getMessage() and "do not match" in r.getMessage() for r in caplog.records)
    assert _exports(stored) == []  # nothing was read out


def test_a_file_missing_from_storage_is_refused(client, team, enrolled, stored, caplog):
    (files.folder() / hashlib.sha256(PDF).hexdigest()).unlink()
    client.force_login(team["monitor"])
    with caplog.at_level(logging.ERROR, logger="celltrial.capture.downloads"):
        response = client.get(_url(enrolled))
    assert response.status_code == 409 and "missing from the file storage" in response.content.decode()
    assert any("missing from storage" in r.getMessage() for r in caplog.records)


def test_a_non_ascii_name_is_sent_with_an_rfc_5987_filename(client, team, enrolled, crc):
    load_file_protocol()
    attach(crc, enrolled, name="心电图 报告.pdf")
    client.force_login(team["monitor"])
    disposition = client.get(_url(enrolled))["Content-Disposition"]
    assert disposition.startswith('attachment; filename="vs_source.pdf"; filename*=UTF-8\'\'')
    assert urllib.parse.unquote(disposition.split("''", 1)[1], encoding="utf-8") == "心电图 报告.pdf"
    assert disposition.isascii()


@pytest.mark.parametrize("name, content_type, expected", [
    ('a"b\r\nSet-Cookie: x.pdf', "application/pdf", "a_b__Set-Cookie_ x.pdf"),
    ("../../etc/passwd", "application/pdf", "passwd.pdf"),
    ("..", "image/png", "vs_source.png"),
    ("photo.JPEG", "image/jpeg", "photo.JPEG"),
    ("scan.png", "application/pdf", "scan.png.pdf"),
])
def test_a_filename_from_a_descriptor_is_made_safe(name, content_type, expected):
    assert downloads.safe_filename(name, content_type, "vs_source") == expected


def test_the_type_sent_is_read_from_the_bytes_not_the_uploaders_claim(client, team, enrolled, crc):
    from celltrial.capture import services

    load_file_protocol()
    client.force_login(team["coordinator"])
    url = reverse("capture_form", args=[enrolled.pk, "SCR", "vitals", 1])
    record = services.record(enrolled, "SCR", "vitals")
    post = {**{k: v for k, v in record.values.items() if isinstance(v, str)}, "action": "draft",
            "version": str(record.version), "reason": "scan added",
            SOURCE_FIELD: SimpleUploadedFile("scan.png", PDF, content_type="image/png")}
    assert client.post(url, post).status_code == 302
    # A descriptor written through the API may claim any accepted type for bytes already stored.
    record = services.record(enrolled, "SCR", "vitals")
    claimed = {**record.values[SOURCE_FIELD], "content_type": "image/png"}
    values = {k: v for k, v in record.values.items() if k != "bmi"}
    services.save_form(crc, enrolled, visit="SCR", form="vitals", values={**values, SOURCE_FIELD: claimed},
                       reason="type claimed", complete=None)
    assert services.record(enrolled, "SCR", "vitals").values[SOURCE_FIELD]["content_type"] == "image/png"
    client.force_login(team["monitor"])
    response = client.get(_url(enrolled))
    assert response["Content-Type"] == "application/pdf" and response.content == PDF
    assert response["Content-Disposition"] == 'attachment; filename="scan.png.pdf"'


def test_a_withdrawal_without_data_use_leaves_the_source_documents_open_to_review(client, team, enrolled, stored):
    """The room does not hide a withdrawn child's records from its readers (the form page shows them); the
    "no data use" answer binds the exports (participants.interface.data_use_allowed)."""
    from django.utils import timezone

    from celltrial.participants import services as participants
    from celltrial.participants.interface import data_use_allowed
    from tests.participants import helpers as h

    participants.withdraw(h.actor(team["coordinator"], "participant.withdraw", enrolled.site), enrolled,
                          withdrawn_on=timezone.localdate(), requested_by="guardian", scope="all",
                          data_use_allowed=False, reason="family moved away")
    assert not data_use_allowed(enrolled)
    client.force_login(team["monitor"])
    assert client.get(reverse("capture_form", args=[enrolled.pk, "SCR", "vitals", 1])).status_code == 200
    response = client.get(_url(enrolled))
    assert response.status_code == 200 and response.content == PDF
    assert len(_exports(stored)) == 1


# --- the form page ---------------------------------------------------------------------------------------


def test_the_form_page_shows_name_size_and_a_download_link(client, team, enrolled, stored):
    client.force_login(team["monitor"])
    html = client.get(reverse("capture_form", args=[enrolled.pk, "SCR", "vitals", 1])).content.decode()
    assert 'id="file-vs_source"' in html and "worksheet.pdf" in html and f"{len(PDF)}\xa0bytes" in html
    assert f'href="{_url(enrolled)}" download data-download="vs_source"' in html
    assert f'<img class="stored-signature" src="{_url(enrolled, SIGNATURE_FIELD)}"' in html
    assert _exports(stored) == []  # showing the page reads no file; the browser's image request does


def test_the_form_page_in_chinese(client, team, enrolled, stored):
    client.force_login(team["monitor"])
    client.cookies["django_language"] = "zh-hans"
    html = client.get(reverse("capture_form", args=[enrolled.pk, "SCR", "vitals", 1]),
                      HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert ">下载</a>" in html and "签名：" in html
    (files.folder() / hashlib.sha256(PDF).hexdigest()).write_bytes(PDF + b"x")
    refused = client.get(_url(enrolled), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "文件未发送" in refused and "SHA-256" in refused and "Back to the form" not in refused


def test_the_guardians_page_offers_no_file_link(enrolled):
    from django.template.loader import render_to_string

    item = type("Item", (), {"name": SOURCE_FIELD, "kind": "file", "label": "Scan", "file": {
        "name": "x.pdf", "size": 3, "sha256": "0" * 64}, "errors": [], "hidden": False, "required": False,
        "units": "", "range_text": "", "note": "", "computed": False, "readonly": False})()
    html = render_to_string("capture/_fields.html", {"blocks": [{"kind": "field", "item": item}], "editable": True})
    assert "x.pdf" in html and "download" not in html


# --- the API ---------------------------------------------------------------------------------------------


@pytest.fixture
def api(client):
    from celltrial.accounts.services import issue_token
    from celltrial.core.actor import Actor

    def get(user, path):
        token = issue_token(Actor.system("test"), user, "t")
        return client.get(f"/api/capture{path}", HTTP_AUTHORIZATION=f"Bearer {token}")

    return get


def _api_path(child, field=SOURCE_FIELD, visit="SCR", form="vitals", repeat=None):
    path = f"/participants/{child.pk}/forms/{visit}/{form}/files/{field}"
    return path + (f"?repeat={repeat}" if repeat is not None else "")


def test_the_api_serves_the_same_bytes_and_headers(api, team, enrolled, stored):
    response = api(team["monitor"], _api_path(enrolled))
    assert response.status_code == 200 and response.content == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'attachment; filename="worksheet.pdf"'
    assert response["X-Content-Type-Options"] == "nosniff" and response["Cache-Control"] == "private, no-store"
    assert api(team["rater"], _api_path(enrolled, SIGNATURE_FIELD, repeat=1)).content == png()
    assert [e.username for e in _exports(stored)] == ["mon", "rater1"]


def test_the_api_refuses_as_the_pages_do(api, team, enrolled, stored, make_user, other_site):
    assert api(make_user("mon_sh", "monitor", at=other_site), _api_path(enrolled)).status_code == 404
    assert api(make_user("pharm", "pharmacist"), _api_path(enrolled)).status_code == 403
    assert api(team["monitor"], _api_path(enrolled, "weight_kg")).status_code == 404
    assert api(team["monitor"], _api_path(enrolled, repeat=2)).status_code == 404
    assert api(team["monitor"], _api_path(enrolled, repeat=0)).status_code == 422
    (files.folder() / hashlib.sha256(PDF).hexdigest()).write_bytes(b"%PDF-1.4 something else")
    refused = api(team["monitor"], _api_path(enrolled))
    assert refused.status_code == 409 and "no longer match the SHA-256" in refused.json()["detail"]
    assert _exports(stored) == []


def test_the_route_is_documented_in_the_openapi_schema():
    from celltrial.api.router import api

    operation = api.get_openapi_schema()["paths"][
        "/api/capture/participants/{participant_id}/forms/{visit}/{form}/files/{file_field}"]["get"]
    assert set({str(k): v for k, v in operation["responses"].items()}["200"]["content"]) == {"application/pdf", "image/png", "image/jpeg",
                                                             "application/octet-stream"}
    assert {"401", "403", "404", "409", "422"} <= {str(k) for k in operation["responses"]}
    assert [p["name"] for p in operation["parameters"]] == ["participant_id", "visit", "form", "file_field", "repeat"]
    assert operation["security"]
