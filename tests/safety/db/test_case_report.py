"""The SUSAR case report: the CIOMS-I-style PDF in English and Chinese (fonts embedded, rendered to PNG, its sections
found in the text layer) and the ICH E2B(R3) data elements, pseudonymous.

CIOMS I form sections: I reaction information, II suspect drug(s) information, III concomitant drug(s) and history,
IV manufacturer information. ICH E2B(R3): C.1.1 sender's report ID, D.1 patient, E.i.3.2 seriousness criteria,
G.k.4.r.7 batch/lot number, H.1 narrative.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import timezone

from celltrial.safety import documents, services
from celltrial.safety.permissions import AE_ASSESS
from tests.safety.db.conftest import actor

pytestmark = pytest.mark.django_db
TOOLS = ("pdftoppm", "pdftotext", "pdffonts")


@pytest.fixture
def susar(people, dosed, rsi):
    if missing := [t for t in TOOLS if shutil.which(t) is None]:
        pytest.fail(f"{', '.join(missing)} missing: install poppler-utils")
    return services.report_ae(actor(people["investigator"], AE_ASSESS, dosed.site.code), dosed, verbatim="Pneumonia",
                              onset=timezone.localdate().isoformat(), grade=3, seriousness=["hospitalisation"],
                              causality_investigator="possibly", lot="HBM-25-0001", aesi=["infection"],
                              narrative="Admitted for IV antibiotics on Day 3.")


def _render(tmp_path: Path, name: str, data: bytes) -> tuple[str, Path]:
    pdf = tmp_path / f"{name}.pdf"
    pdf.write_bytes(data)
    fonts = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True, text=True).stdout.splitlines()[2:]
    assert fonts and all(row.split()[-4] == "yes" for row in fonts), fonts  # every font embedded
    subprocess.run(["pdftoppm", "-r", "80", "-png", "-singlefile", str(pdf), str(tmp_path / name)], check=True)
    png = tmp_path / f"{name}.png"
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 5000
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout, png


def test_cioms_pdf_in_english_has_every_section(susar, tmp_path):
    text, _png = _render(tmp_path, "cioms-en", documents.cioms_pdf(susar, "en"))
    for expected in ("I. REACTION INFORMATION", "II. SUSPECT DRUG(S) INFORMATION", "III. CONCOMITANT DRUG(S) AND HISTORY",
                     "IV. MANUFACTURER INFORMATION", "Narrative", susar.participant.subject_id, "Pneumonia",
                     "HBM-25-0001", "requires or prolongs hospitalisation", "unexpected", "possibly related"):
        assert expected in text, expected


def test_cioms_pdf_in_chinese_has_every_section(susar, tmp_path):
    text, _png = _render(tmp_path, "cioms-zh", documents.cioms_pdf(susar, "zh"))
    for expected in ("一、不良反应信息", "二、可疑药物信息", "三、合并用药及病史", "四、申办者信息", "病例叙述",
                     "导致住院或住院时间延长", "非预期", "可能有关", "HBM-25-0001"):
        assert expected in text, expected


def test_e2b_elements_are_pseudonymous(susar):
    data = documents.e2b(susar)
    assert data["C.1.1"] == documents.report_id(susar) and data["C.1.7"] is True
    assert data["D"] == {"D.1": susar.participant.subject_id, "D.2.3": 3, "D.9": None}
    assert data["E.i"][0]["E.i.3.2"] == {"E.i.3.2c": True}
    assert data["G.k"][0]["G.k.4.r"][0]["G.k.4.r.7"] == "HBM-25-0001"
    assert data["H"]["H.1"] == "Admitted for IV antibiotics on Day 3."
    from tests.participants.helpers import PLANTED_NAME

    assert PLANTED_NAME not in str(data)  # the child's name never leaves the vault
