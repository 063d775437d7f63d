"""The certificate of analysis, a unit label and the chain of identity as PDFs: fonts embedded, both languages
in the text layer (pdftotext), rendered to PNG (pdftoppm), and the label's Code 128 and QR code decoded back
to the unit ID with zbar (pyzbar)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from django.utils import timezone

from celltrial.product import documents, services

pytestmark = pytest.mark.django_db
OUT = Path(__file__).resolve().parents[2] / "var" / "product-documents"
TOOLS = ("pdftoppm", "pdftotext", "pdffonts")


@pytest.fixture(autouse=True)
def _poppler():
    missing = [t for t in TOOLS if shutil.which(t) is None]
    if missing:
        pytest.fail(f"{', '.join(missing)} missing: run scripts/ensure-browser-deps.sh (poppler-utils)")


def _write(name: str, data: bytes) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.pdf"
    path.write_bytes(data)
    return path


def _text(pdf: Path) -> str:
    return subprocess.run(["pdftotext", "-layout", str(pdf), "-"], check=True, capture_output=True, text=True).stdout


def _fonts_all_embedded(pdf: Path) -> list[str]:
    listing = subprocess.run(["pdffonts", str(pdf)], check=True, capture_output=True, text=True).stdout
    rows = listing.splitlines()[2:]
    assert rows, listing
    # columns: name type encoding emb sub uni object-id; "emb" is the 4th field from the right
    return [row for row in rows if row.split()[-4] != "yes"]


def _png(pdf: Path, dpi: int = 150) -> Path:
    stem = pdf.with_suffix("")
    subprocess.run(["pdftoppm", "-r", str(dpi), "-png", "-singlefile", str(pdf), str(stem)], check=True)
    return stem.with_suffix(".png")


def test_certificate_of_analysis_in_both_languages(released_lot):
    release = released_lot.releases.get()
    pdf = _write("coa", documents.certificate_of_analysis(released_lot, release, zone="Asia/Shanghai"))
    assert _fonts_all_embedded(pdf) == []
    text = _text(pdf)
    for expected in ("Certificate of Analysis", "检验报告书", released_lot.lot_id, "hbmmsc-release/v2",
                     "CD105", "≥ 95 %", "99.1 %", "pass / 合格", "RELEASED / 放行", "仅供临床试验使用",
                     "For clinical trial use only", "Qa_Tw Tester", "valid / 有效", release.snapshot_hash[:20]):
        assert expected in text, expected
    png = _png(pdf)
    assert png.stat().st_size > 10_000


def test_a_void_release_prints_void_on_its_certificate(released_lot, actors):
    result = released_lot.results.get(analyte="cd105_pct")
    services.correct_qc_result(actors["qa"], result, {"value": "98"}, expected_version=result.version, reason="x")
    release = released_lot.releases.get()
    text = _text(_write("coa-void", documents.certificate_of_analysis(released_lot, release, zone="Asia/Shanghai")))
    assert "VOID / 作废" in text and "VOID / 作废" in text.split("Electronic signature")[1]


def test_unit_label_carries_the_required_content_and_decodes_to_the_unit_id(unit_at_site, actors, child):
    from PIL import Image
    from pyzbar.pyzbar import decode

    services.allocate_unit(actors["pharmacist"], unit_at_site, subject_id=child.subject_id)
    pdf = _write("label", documents.unit_label(unit_at_site, zone="Asia/Shanghai"))
    assert _fonts_all_embedded(pdf) == []
    text = " ".join(_text(pdf).split())
    lot = unit_at_site.lot
    for expected in (unit_at_site.unit_id, lot.lot_id, "人骨髓间充质干细胞注射液", "Viable cells / 活细胞数: 5.00 × 10^7",
                     "Concentration / 浓度: 5.00 × 10^6 cells/mL", "Volume / 体积: 10 mL",
                     timezone.localtime(lot.expires_at, __import__("zoneinfo").ZoneInfo("Asia/Shanghai")).strftime("%Y-%m-%d"),
                     "≤ −150 °C", "For clinical trial use only / 仅供临床试验使用",
                     "For use by the intended recipient only / 仅供指定受试者使用", child.subject_id):
        assert expected in text, expected
    png = _png(pdf, dpi=300)
    decoded = {(d.type, d.data.decode()) for d in decode(Image.open(png))}
    assert decoded == {("CODE128", unit_at_site.unit_id), ("QRCODE", unit_at_site.unit_id)}


def test_an_unallocated_label_does_not_name_a_recipient(unit_at_site):
    text = _text(_write("label-stock", documents.unit_label(unit_at_site, zone="Asia/Shanghai")))
    assert "仅供临床试验使用" in text and "intended recipient" not in text


def test_chain_of_identity_pdf(unit_at_site):
    chain = services.chain_of_identity(unit_at_site)
    pdf = _write("chain", documents.chain_of_identity(chain, zone="Asia/Shanghai"))
    assert _fonts_all_embedded(pdf) == []
    text = _text(pdf)
    for expected in ("Chain of identity", "身份链", chain["donor"]["donor_id"], chain["batch"]["code"],
                     unit_at_site.lot.lot_id, "received", "监管链"):
        assert expected in text, expected
    _png(pdf)
