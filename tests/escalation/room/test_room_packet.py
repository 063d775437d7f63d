"""The SRC packet (issue 12 §6): a frozen, hashed snapshot that a later AE does not change (while the page
says the data changed since), its pages and its PDF in English and Chinese with the sections rendered."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from django.urls import reverse

from celltrial.escalation import services
from celltrial.escalation.models import Packet
from celltrial.escalation.permissions import DECISION_SIGN, PACKET_FREEZE
from tests.conftest import PASSWORD
from tests.escalation.room.test_room_sequence import _fill_cohort

pytestmark = pytest.mark.django_db


@pytest.fixture
def aes(monkeypatch):
    """The safety room's AE listing, set by the test."""
    from celltrial.safety import interface as safety_if

    events: list = []
    monkeypatch.setattr(safety_if, "adverse_events", lambda participants: list(events))
    return events


@pytest.fixture
def awaiting(trial, src, clock, dlts, aes):
    from celltrial.safety.interface import AeSummary

    people = _fill_cohort(trial, src, clock, dlts, "NNN")
    aes.append(AeSummary(people[0].pk, people[0].subject_id, "headache", "Headache", 1, False, True, False, "2026-01"))
    return people


def test_a_later_ae_changes_neither_the_snapshot_nor_its_hash_and_the_page_says_so(trial, src, awaiting, aes, login):
    from celltrial.safety.interface import AeSummary

    packet = services.freeze_packet(trial.actor(src[0], PACKET_FREEZE), kind="cohort")
    frozen, digest = packet.snapshot, packet.snapshot_hash
    assert [a["term"] for a in frozen["data"]["adverse_events"]] == ["headache"]
    assert frozen["data"]["ae_by_grade"] == [{"grade": "1", "relatedness": "related", "count": 1}]
    assert not services.changed_since(packet)
    from django.utils import translation

    with translation.override("zh-hans"):  # the snapshot holds data, not words of the reader's language
        assert not services.changed_since(packet)
    page = login(src[0]).get(reverse("escalation_packet", args=[packet.pk]))
    assert b'id="unchanged-since"' in page.content
    aes.append(AeSummary(awaiting[1].pk, awaiting[1].subject_id, "rash", "Rash maculo-papular", 3, True, True, False,
                         "2026-02-01"))
    packet = Packet.objects.get(pk=packet.pk)
    assert packet.snapshot == frozen and packet.snapshot_hash == digest
    assert services.changed_since(packet)
    page = login(src[0]).get(reverse("escalation_packet", args=[packet.pk]))
    assert b'id="changed-since"' in page.content and b"rash" not in page.content


def _pdf_text(tmp_path, pdf: bytes, name: str) -> str:
    path = tmp_path / f"{name}.pdf"
    path.write_bytes(pdf)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True).stdout
    assert all(line.split()[-5] == "yes" for line in fonts.splitlines()[2:] if line.strip()), fonts  # embedded
    subprocess.run(["pdftoppm", "-r", "40", "-png", "-f", "1", "-l", "1", str(path), str(tmp_path / name)], check=True)
    assert list(tmp_path.glob(f"{name}*.png"))
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


@pytest.mark.skipif(not shutil.which("pdftoppm"), reason="poppler-utils not installed")
def test_the_packet_pdf_in_english_and_chinese_has_its_sections(trial, src, awaiting, login, tmp_path):
    packet = services.freeze_packet(trial.actor(src[0], PACKET_FREEZE), kind="cohort")
    decision = services.propose_decision(trial.actor(src[0], DECISION_SIGN), packet, choice="escalate")
    services.sign_decision(trial.actor(src[0], DECISION_SIGN), decision, password=PASSWORD)
    assert not services.changed_since(packet)  # the cohort the decision opened is not data the packet reviewed
    client = login(src[0])
    en = client.get(reverse("escalation_packet_pdf", args=[packet.pk]) + "?lang=en")
    assert en.status_code == 200 and en["Content-Type"] == "application/pdf"
    text = _pdf_text(tmp_path, en.content, "en")
    for section in ("Recommendation", "Doses", "Cohort listing", "DLTs and their adjudication",
                    "Adverse events by grade and relatedness", "Abnormal laboratory results", "Instrument summaries",
                    "Operating characteristics", "Decision and signatures", packet.snapshot_hash[:16]):
        assert section in text, section
    assert awaiting[0].subject_id in text and "headache" in text
    zh = client.get(reverse("escalation_packet_pdf", args=[packet.pk]) + "?lang=zh")
    text = _pdf_text(tmp_path, zh.content, "zh")
    for section in ("推荐", "队列", "不良事件", "实验室", "签名"):
        assert section in text, section
