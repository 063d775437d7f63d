"""Capture pages: the visit grid with built-in workflow forms, a form page with sections, units and ranges,
nothing lost on a refusal, reason after completion, the conflict page field by field, the live evaluation,
files, and the page in Chinese."""

from __future__ import annotations

import hashlib

import pytest
from django.urls import reverse

from celltrial.capture import files
from celltrial.capture.engine.values import FILE_MAX_BYTES
from celltrial.core.errors import ValidationFailed
from tests.capture.test_services import _vitals


def _form_url(child, visit="BL", form="vitals", repeat=1):
    return reverse("capture_form", args=[child.pk, visit, form, repeat])


def test_the_visit_grid_lists_every_form_and_the_workflow_records(client, team, enrolled):
    client.force_login(team["coordinator"])
    html = client.get(reverse("capture_participant", args=[enrolled.pk])).content.decode()
    assert 'id="grid-BL-vitals"' in html and 'id="grid-W24-abc"' in html and 'id="grid-D28-dlt_assessment"' in html
    assert reverse("participant_detail", args=[enrolled.pk]) in html  # consent, dosing open the participant page
    assert 'id="add-BL-con_meds"' in html and "workflow record" in html


def test_the_form_page_shows_sections_units_and_ranges(client, team, enrolled):
    client.force_login(team["coordinator"])
    html = client.get(_form_url(enrolled)).content.decode()
    assert "Body measurements" in html and "(kg)" in html and "10–150 kg" in html
    assert 'data-calc="bmi"' in html and 'data-evaluate="' in html
    assert 'id="field-vs_abn_desc"' in html


def test_a_refusal_keeps_what_was_typed_and_names_the_field(client, team, enrolled):
    client.force_login(team["coordinator"])
    response = client.post(_form_url(enrolled), {**_vitals(weight_kg="16.99", hr="fast"), "action": "complete"})
    html = response.content.decode()
    assert response.status_code == 400
    assert 'value="16.99"' in html and 'value="fast"' in html
    assert "Body weight: at most 1 decimal places." in html and "Heart rate: enter a whole number" in html


def test_complete_then_a_change_needs_a_reason(client, team, enrolled):
    client.force_login(team["coordinator"])
    assert client.post(_form_url(enrolled), {**_vitals(), "action": "complete", "version": "0"}).status_code == 302
    page = client.get(_form_url(enrolled)).content.decode()
    assert "Complete" in page and 'name="reason"' in page
    refused = client.post(_form_url(enrolled), {**_vitals(hr="95"), "action": "complete", "version": "1"})
    assert refused.status_code == 400 and "reason" in refused.content.decode().lower()
    ok = client.post(_form_url(enrolled), {**_vitals(hr="95"), "action": "complete", "version": "1",
                                           "reason": "misread the monitor"})
    assert ok.status_code == 302


def test_a_stale_save_shows_both_versions_field_by_field(client, team, enrolled):
    client.force_login(team["coordinator"])
    client.post(_form_url(enrolled), {**_vitals(), "action": "complete"})
    client.post(_form_url(enrolled), {**_vitals(hr="91"), "action": "complete", "version": "1", "reason": "recount"})
    stale = client.post(_form_url(enrolled), {**_vitals(hr="99"), "action": "complete", "version": "1",
                                              "reason": "from an old tab"})
    html = stale.content.decode()
    assert stale.status_code == 409 and "changed by someone else" in html
    assert 'class="conflict-row" data-field="hr"' in html and ">91<" in html and ">99<" in html
    assert 'value="99"' in html, "the typed values are kept"


def test_the_live_evaluation_hides_and_computes(client, team, enrolled):
    client.force_login(team["coordinator"])
    url = reverse("capture_evaluate", args=[enrolled.pk, "BL", "vitals", 1])
    hidden = client.post(url, {"vs_abnormal": "0", "weight_kg": "25.0", "height_cm": "120.0"}).json()
    assert "vs_abn_desc" in hidden["hidden"] and hidden["values"]["bmi"] == str(round(25 / 1.44, 1))
    shown = client.post(url, {"vs_abnormal": "1"}).json()
    assert "vs_abn_desc" not in shown["hidden"] and shown["values"]["bmi"] == ""


def test_a_reader_sees_the_form_but_cannot_save(client, team, enrolled):
    client.force_login(team["monitor"])
    assert client.get(_form_url(enrolled)).status_code == 200
    assert client.post(_form_url(enrolled), {**_vitals(), "action": "complete"}).status_code == 403


def test_the_pages_speak_chinese(client, team, enrolled):
    client.force_login(team["coordinator"])
    html = client.get(_form_url(enrolled), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "体重" in html and "生命体征" in html


def test_an_instrument_form_shows_its_score(client, team, enrolled):
    from tests.capture.test_scoring import abc

    client.force_login(team["coordinator"])
    assert client.post(_form_url(enrolled, form="abc"), {**abc(2), "action": "complete"}).status_code == 302
    html = client.get(_form_url(enrolled, form="abc")).content.decode()
    assert 'id="score-total">73<' in html and 'data-subscale="irritability">30<' in html
    grid = client.get(reverse("capture_participant", args=[enrolled.pk])).content.decode()
    assert 'id="score-ABC_AMAN58-BL"' in grid


# --- files and signatures --------------------------------------------------------------------------------


PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


def test_a_file_is_stored_under_its_hash_with_its_size_and_sniffed_type(enrolled):
    described = files.store("doc", "../../etc/scan.pdf", b"%PDF-1.4 test")
    assert described == {"name": "scan.pdf", "sha256": hashlib.sha256(b"%PDF-1.4 test").hexdigest(),
                         "size": 13, "content_type": "application/pdf"}
    assert files.read(described["sha256"]) == b"%PDF-1.4 test"


@pytest.mark.parametrize("data", [b"MZ\x90\x00 an exe named .pdf", b"", b"%PDF-" + b"0" * FILE_MAX_BYTES])
def test_a_wrong_type_an_empty_file_and_an_oversized_file_are_refused(enrolled, data):
    with pytest.raises(ValidationFailed):
        files.store("doc", "scan.pdf", data)


def test_a_signature_is_a_png_image(enrolled):
    import base64

    drawn = files.signature("sig", "data:image/png;base64," + base64.b64encode(PNG).decode())
    assert drawn is not None and drawn["content_type"] == "image/png"
    assert files.signature("sig", "") is None
    with pytest.raises(ValidationFailed):
        files.signature("sig", "data:image/png;base64," + base64.b64encode(b"%PDF-1.4").decode())


def test_matrix_groups_render_as_one_table_and_sections_start_blocks():
    from celltrial.capture import pages
    from celltrial.capture.engine.values import clean
    from tests.capture.test_engine import TODAY, fld, form

    scale = {"0": {"en": "Never", "zh": "从不"}, "1": {"en": "Often", "zh": "经常"}}
    f = form(fld("a1", "radio", choices=scale, matrix_group="mood", section_header={"en": "Mood", "zh": "情绪"}),
             fld("a2", "radio", choices=scale, matrix_group="mood"), fld("note", "notes"))
    blocks = pages.items(f, {"a2": "1"}, clean(f, {"a2": "1"}, today=TODAY, complete=False), {}, "zh")
    assert [b["kind"] for b in blocks] == ["section", "matrix", "field"]
    assert blocks[1]["columns"] == ["从不", "经常"] and [r.name for r in blocks[1]["rows"]] == ["a1", "a2"]
    assert blocks[1]["rows"][1].choices[1]["checked"]


def test_a_posted_file_and_signature_are_stored_and_described(enrolled):
    import base64
    from types import SimpleNamespace as NS

    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.http import QueryDict
    from django.utils.datastructures import MultiValueDict

    from celltrial.capture import pages

    def field(name, validation=None):
        return NS(name=name, type="file", validation=validation, identifier=False)

    f = NS(name="f", fields=[field("scan"), field("sig", "signature")])
    post = QueryDict(mutable=True)
    post["sig__signature"] = "data:image/png;base64," + base64.b64encode(PNG).decode()
    uploads = MultiValueDict({"scan": [SimpleUploadedFile("scan.pdf", b"%PDF-1.4 x", "application/pdf")]})
    raw = pages.posted_values(f, post, uploads, None)
    assert raw["scan"]["sha256"] == hashlib.sha256(b"%PDF-1.4 x").hexdigest()
    assert raw["sig"]["content_type"] == "image/png"
    kept = pages.posted_values(f, QueryDict("scan__keep=1"), MultiValueDict(), raw)
    assert kept["scan"] == raw["scan"] and kept["sig"] == ""


def test_a_locked_form_is_shown_read_only(client, team, enrolled, monkeypatch):
    from celltrial.capture.quality import gate

    monkeypatch.setattr(gate, "entry_lock", lambda participant, visit, form: "Locked: database lock.")
    client.force_login(team["coordinator"])
    html = client.get(_form_url(enrolled)).content.decode()
    assert 'id="form-locked"' in html and "Locked: database lock." in html and 'id="save-complete"' not in html
