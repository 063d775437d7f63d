"""The design's reason in the page's language: the recommendation page, the SRC packet page and its PDF.

A packet frozen now keeps the reason's message id and parameters beside its data (so the data hash, and
"changed since the snapshot", is what it was before); a packet frozen before that keeps only the English
text, and shows it as it was frozen in either language."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from django.urls import reverse

from celltrial.core.canonical import content_hash
from celltrial.escalation import services
from celltrial.escalation.models import Packet
from celltrial.escalation.permissions import PACKET_FREEZE
from tests.escalation.room.test_room_sequence import _fill_cohort

pytestmark = pytest.mark.django_db

# 3+3 (the test protocol's design) on 1/3 DLTs at dose 1: stay and treat three more (Storer 1989).
ENGLISH = "1 DLT(s) in 3 patients at dose 1: stay"
CHINESE = "剂量 1 的 3 名受试者中出现 1 例剂量限制性毒性（DLT）：维持当前剂量"


@pytest.fixture
def aes(monkeypatch):
    from celltrial.safety import interface as safety_if

    monkeypatch.setattr(safety_if, "adverse_events", lambda participants: [])


def _reason_on(html: str, marker: str) -> str:
    return html.split(marker, 1)[1].split(">", 1)[1].split("</", 1)[0]


def test_the_recommendation_page_shows_the_reason_in_the_pages_language(trial, src, clock, dlts, login):
    _fill_cohort(trial, src, clock, dlts, "NTN")
    assert services.recommendation()["reason"] == ENGLISH
    client = login(src[0])
    en = client.get(reverse("escalation_recommendation")).content.decode()
    assert _reason_on(en, 'id="rec-reason"') == ENGLISH
    zh = client.get(reverse("escalation_recommendation"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert _reason_on(zh, 'id="rec-reason"') == CHINESE
    assert "E escalate" not in zh and "维持：在本剂量再治疗 3 名受试者" in zh  # the 3+3 decision table too


def _pdf_text(tmp_path, pdf: bytes, name: str) -> str:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    return subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout


def _squash(text: str) -> str:
    return "".join(text.split())


@pytest.fixture
def packet(trial, src, clock, dlts, aes):
    _fill_cohort(trial, src, clock, dlts, "NTN")
    return services.freeze_packet(trial.actor(src[0], PACKET_FREEZE), kind="cohort")


def test_a_new_packet_keeps_the_reasons_id_beside_its_data_and_reads_in_chinese(packet, src, login, tmp_path):
    stored = Packet.objects.get(pk=packet.pk)
    snap = stored.snapshot
    assert snap["data"]["recommendation"]["reason"] == ENGLISH
    assert snap["reason_message"] == {"msgid": "%(dlts)s DLT(s) in %(n)s patients at dose %(dose)s: %(decision)s",
                                      "params": {"dlts": 1, "n": 3, "dose": 1,
                                                 "decision": {"msgid": "stay", "params": {}}}}
    assert "reason_message" not in snap["data"]["recommendation"]
    assert snap["data_hash"] == services.data_hash(snap["data"]) and stored.snapshot_hash == content_hash(snap)
    assert not services.changed_since(stored)
    client = login(src[0])
    page = client.get(reverse("escalation_packet", args=[packet.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert _reason_on(page.content.decode(), 'id="packet-reason"') == CHINESE
    page = client.get(reverse("escalation_packet", args=[packet.pk]))
    assert _reason_on(page.content.decode(), 'id="packet-reason"') == ENGLISH
    if shutil.which("pdftotext"):
        zh = _pdf_text(tmp_path, client.get(reverse("escalation_packet_pdf", args=[packet.pk]) + "?lang=zh").content,
                       "zh")
        assert _squash(CHINESE) in _squash(zh) and ENGLISH not in zh
        en = _pdf_text(tmp_path, client.get(reverse("escalation_packet_pdf", args=[packet.pk]) + "?lang=en").content,
                       "en")
        assert _squash(ENGLISH) in _squash(en)


def test_a_packet_frozen_before_reasons_were_messages_shows_its_english_text_and_keeps_its_hashes(
        trial, src, clock, dlts, aes, login, tmp_path, monkeypatch):
    _fill_cohort(trial, src, clock, dlts, "NTN")
    with monkeypatch.context() as m:  # freeze as the earlier code did: the English text, no message id
        m.setattr(services, "message_json", lambda value: None)
        packet = services.freeze_packet(trial.actor(src[0], PACKET_FREEZE), kind="cohort")
    stored = Packet.objects.get(pk=packet.pk)
    old, digest = stored.snapshot, stored.snapshot_hash
    assert set(old) == {"meta", "data", "data_hash"} and digest == content_hash(old)
    assert old["data"]["recommendation"]["reason"] == ENGLISH
    assert not services.changed_since(stored)  # today's snapshot of the same data hashes as the old one did
    client = login(src[0])
    page = client.get(reverse("escalation_packet", args=[packet.pk]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = page.content.decode()
    assert _reason_on(html, 'id="packet-reason"') == ENGLISH and digest in html and 'id="unchanged-since"' in html
    if shutil.which("pdftotext"):
        zh = _pdf_text(tmp_path, client.get(reverse("escalation_packet_pdf", args=[packet.pk]) + "?lang=zh").content,
                       "zh")
        assert _squash(ENGLISH) in _squash(zh) and _squash(CHINESE) not in _squash(zh)
    stored = Packet.objects.get(pk=packet.pk)
    assert stored.snapshot == old and stored.snapshot_hash == digest  # showing it changed nothing


def test_a_message_that_does_not_give_the_frozen_text_is_not_shown():
    from django.utils import translation

    from celltrial.escalation.messages import packet_reason

    msgid = "%(dlts)s DLT(s) in %(n)s patients at dose %(dose)s: %(decision)s"
    snap = {"data": {"recommendation": {"reason": ENGLISH}},
            "reason_message": {"msgid": msgid, "params": {"dlts": 1, "n": 3, "dose": 1,
                                                          "decision": {"msgid": "stay", "params": {}}}}}
    with translation.override("zh-hans"):
        assert packet_reason(snap) == CHINESE
        snap["reason_message"]["params"]["dlts"] = 2  # not the text the members reviewed
        assert packet_reason(snap) == ENGLISH
        snap["reason_message"] = {"params": {}}  # unreadable
        assert packet_reason(snap) == ENGLISH
