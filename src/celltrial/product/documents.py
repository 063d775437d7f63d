"""PDF documents of the product room: certificate of analysis, unit label, chain of identity.

reportlab lays them out with one TrueType CJK font, embedded (subset) in every file, so that Chinese and
English print on a machine with no fonts: Debian's fonts-wqy-microhei (WenQuanYi Micro Hei, a TrueType
collection; reportlab cannot embed the OpenType/CFF Noto CJK files). ``CELLTRIAL_PDF_FONT`` names another
TrueType file. Bar codes: Code 128 and QR from reportlab's own barcode widgets, both carrying the unit ID.
"""

from __future__ import annotations

import datetime as dt
import io
import zoneinfo
from collections.abc import Iterable
from typing import Any

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode import code128, qr
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from celltrial.core.pdf_fonts import cjk_font
from celltrial.product.rules.label import label_content


def _canvas(*args: Any, **kwargs: Any) -> Canvas:
    # The initial font is the embedded one, so no unembedded base-14 font enters the file.
    return Canvas(*args, initialFontName=cjk_font(), initialFontSize=9, **kwargs)


def _styles() -> dict[str, ParagraphStyle]:
    font = cjk_font()
    base = ParagraphStyle("base", fontName=font, fontSize=8.5, leading=11, wordWrap="CJK")
    return {
        "base": base,
        "small": ParagraphStyle("small", parent=base, fontSize=7, leading=9),
        "h1": ParagraphStyle("h1", parent=base, fontSize=15, leading=19, spaceAfter=4),
        "h2": ParagraphStyle("h2", parent=base, fontSize=11, leading=14, spaceBefore=8, spaceAfter=3),
        "void": ParagraphStyle("void", parent=base, fontSize=14, leading=18, textColor=colors.red),
    }


def _esc(value: Any) -> str:
    text = "—" if value is None or value == "" else str(value)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _local(value: Any, zone: str) -> str:
    if isinstance(value, str):
        try:
            value = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
    if isinstance(value, dt.datetime):
        return value.astimezone(zoneinfo.ZoneInfo(zone)).strftime("%Y-%m-%d %H:%M %Z")
    return _esc(value)


def _table(rows: Iterable[Iterable[Any]], widths: list[float], style: ParagraphStyle, *, header: bool = True) -> Table:
    cells = [[Paragraph(_esc(c), style) for c in row] for row in rows]
    table = Table(cells, colWidths=widths, repeatRows=1 if header else 0)
    commands = [("GRID", (0, 0), (-1, -1), 0.4, colors.grey), ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("FONTNAME", (0, 0), (-1, -1), style.fontName)]
    if header:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), colors.Color(0.92, 0.94, 0.96)))
    table.setStyle(TableStyle(commands))
    return table


def _document(story: list[Any], *, title: str) -> bytes:
    buffer = io.BytesIO()
    # The initial font is the embedded one, so no unembedded base-14 font enters the file.
    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=15 * mm,
                            bottomMargin=15 * mm, title=title, author="celltrial", initialFontName=cjk_font())
    doc.build(story)
    return buffer.getvalue()


_STATUS_ZH = {"pass": "合格", "fail": "不合格", "missing": "缺失", "not tested": "未检测", "pending": "待定"}
_DISPOSITION = {"release": ("RELEASED", "放行"), "conditional": ("CONDITIONALLY RELEASED (results pending)", "有条件放行（结果待定）"),
                "reject": ("REJECTED", "不予放行")}


def certificate_of_analysis(lot: Any, release: Any, *, zone: str) -> bytes:
    """The certificate of analysis of a release: printed from the release's frozen snapshot, with its hash,
    the signature, and VOID across it when the release is void."""
    from celltrial.accounts.signatures import is_current, signatures_for

    s = _styles()
    snapshot = release.snapshot
    evaluation = snapshot.get("evaluation", {})
    results = snapshot.get("results", {})
    story: list[Any] = [
        Paragraph("Certificate of Analysis / 检验报告书（分析证书）", s["h1"]),
        Paragraph(f"{_esc(lot.product_en)} / {_esc(lot.product_zh)}", s["base"]),
        Paragraph("For clinical trial use only / 仅供临床试验使用", s["base"]),
        Spacer(1, 4),
    ]
    if not release.valid:
        story.append(Paragraph(f"VOID / 作废: {_esc(release.get_status_display())} — {_esc(release.status_reason)}",
                               s["void"]))
    facts = [
        ("Lot / 批号", lot.lot_id), ("Batch / 培养批次", snapshot.get("batch")),
        ("Donor / 供者", (snapshot.get("donor") or {}).get("donor_id")),
        ("Donor eligibility / 供者合格性", (snapshot.get("donor") or {}).get("eligibility")),
        ("Manufactured / 生产日期", lot.manufactured_on.isoformat()), ("Expiry / 有效期至", _local(lot.expires_at, zone)),
        ("Concentration / 浓度", f"{lot.concentration_cells_per_ml:.3g} viable cells/mL"),
        ("Storage / 贮存条件", f"{lot.storage_en} / {lot.storage_zh}"),
        ("Specification / 质量标准", snapshot.get("specification")),
    ]
    story.append(_table(facts, [55 * mm, 125 * mm], s["base"], header=False))
    story.append(Paragraph("Results / 检验结果", s["h2"]))
    rows: list[list[Any]] = [["Test / 检验项目", "Requirement / 标准", "Result / 结果", "Method / 方法",
                              "Verdict / 结论"]]
    analytes = _analytes_by_test(snapshot.get("specification", ""))
    for test in evaluation.get("tests", []):
        found = [results[a] for a in analytes.get(test["code"], ()) if a in results]
        method = ", ".join(sorted({r.get("method", "") for r in found})) or "—"
        status = test["status"]
        rows.append([f"{test['code']} {test['name']}", test["requirement"], test.get("observed") or "—", method,
                     f"{status} / {_STATUS_ZH.get(status, status)}"])
    story.append(_table(rows, [48 * mm, 38 * mm, 32 * mm, 32 * mm, 30 * mm], s["small"]))
    for code in evaluation.get("recipient_tests", []):
        story.append(Paragraph(f"{_esc(code)}: judged for each participant at allocation (dose × weight, endotoxin "
                               f"per kg) / 在分配给受试者时按体重逐例判定", s["small"]))
    en, zh = _DISPOSITION.get(release.disposition, (release.disposition, release.disposition))
    story.append(Paragraph("Disposition / 放行结论", s["h2"]))
    story.append(Paragraph(f"{_esc(en)} / {_esc(zh)}", s["base"]))
    for line in evaluation.get("pending", []):
        story.append(Paragraph(f"Pending / 待定: {_esc(line)}", s["base"]))
    story.append(Paragraph("Electronic signature / 电子签名", s["h2"]))
    sig_rows: list[list[Any]] = [["Signer / 签名人", "Meaning / 含义", "Signed at / 签名时间", "Status / 状态"]]
    for sig in signatures_for(release):
        current = is_current(sig, release)
        sig_rows.append([f"{sig.signer_name} ({sig.signer_role})", f"{sig.meaning} / 放行",
                         _local(sig.signed_at, zone), "valid / 有效" if current else "VOID / 作废"])
    story.append(_table(sig_rows, [55 * mm, 35 * mm, 50 * mm, 40 * mm], s["base"]))
    story.append(Spacer(1, 4))
    story.append(Paragraph(f"Snapshot SHA-256 / 快照哈希: {_esc(release.snapshot_hash)}", s["small"]))
    return _document(story, title=f"Certificate of Analysis {lot.lot_id}")


def _analytes_by_test(version_id: str) -> dict[str, tuple[str, ...]]:
    from celltrial.product.models import Specification

    spec = Specification.objects.filter(version_id=version_id).first()
    return {t.code: t.analytes for t in spec.release_rules().tests} if spec is not None else {}


def unit_label(unit: Any, *, zone: str) -> bytes:
    """A 100 × 70 mm label: Code 128 and QR of the unit ID, the label content in English and Chinese."""
    font = cjk_font()
    allocation = unit.allocations.exclude(status="cancelled").first()
    content = label_content(
        unit_id=unit.unit_id, lot_id=unit.lot.lot_id, product_en=unit.lot.product_en, product_zh=unit.lot.product_zh,
        viable_cells=unit.viable_cells, concentration_cells_per_ml=unit.lot.concentration_cells_per_ml,
        volume_ml=unit.volume_ml, expires_at=unit.lot.expires_at, storage_en=unit.lot.storage_en,
        storage_zh=unit.lot.storage_zh, time_zone=zoneinfo.ZoneInfo(zone),
        recipient=allocation.subject_id if allocation else None)
    width, height = 100 * mm, 70 * mm
    buffer = io.BytesIO()
    c = _canvas(buffer, pagesize=(width, height))
    c.setTitle(f"Label {unit.unit_id}")
    c.setFont(font, 7.5)
    c.drawString(4 * mm, height - 5 * mm, content.product_en[:70])
    c.drawString(4 * mm, height - 8.5 * mm, content.product_zh)
    barcode = code128.Code128(content.barcode_data, barHeight=11 * mm, barWidth=0.28 * mm, humanReadable=False,
                              quiet=True, fontName=font)
    barcode.drawOn(c, 2 * mm, height - 22 * mm)
    c.setFont(font, 8.5)
    c.drawString(4 * mm, height - 25.5 * mm, content.unit_id)
    size = 24 * mm
    widget = qr.QrCodeWidget(content.barcode_data, barLevel="M")
    x0, y0, x1, y1 = widget.getBounds()
    drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0])
    drawing.initialFontName = font  # the renderer would otherwise set Helvetica (unembedded) for the drawing
    drawing.add(widget)
    renderPDF.draw(drawing, c, width - size - 2 * mm, height - size - 10 * mm)
    y = height - 30 * mm
    c.setFont(font, 6.8)
    for line in content.lines[1:]:
        c.drawString(4 * mm, y, f"{line.label_en} / {line.label_zh}: {line.value}")
        y -= 3.3 * mm
    c.setFont(font, 7)
    for en, zh in content.statements:
        c.drawString(4 * mm, y - 0.5 * mm, f"{en} / {zh}")
        y -= 3.4 * mm
    c.showPage()
    c.save()
    return buffer.getvalue()


def chain_of_identity(chain: dict[str, Any], *, zone: str) -> bytes:
    """The chain of identity of one unit, step by step, as printed for an inspector."""
    s = _styles()
    unit = chain["unit"]
    story: list[Any] = [Paragraph(f"Chain of identity / 身份链: {_esc(unit['unit_id'])}", s["h1"])]

    def section(title: str, rows: list[list[Any]], widths: list[float]) -> None:
        story.append(Paragraph(title, s["h2"]))
        story.append(_table(rows, widths, s["small"]))

    donor, collection, batch, lot = chain["donor"], chain["collection"], chain["batch"], chain["lot"]
    section("1 Donor / 供者", [["Donor", "Eligibility / 合格性", "Rule set / 规则"],
                              [donor["donor_id"], donor["eligibility"], donor["rule_set"]]], [60 * mm, 60 * mm, 60 * mm])
    section("2 Collection / 骨髓采集", [["Collection", "Date / 日期", "Volume (mL)", "TNC"],
                                     [collection["code"], collection["collected_on"], collection["volume_ml"],
                                      f"{collection['nucleated_cells']:.3g}"]], [60 * mm, 40 * mm, 40 * mm, 40 * mm])
    steps = [["Step", "Kind / 步骤", "Passage", "Seeded", "Harvested", "PD", "Cum. PD", "O2 %"]]
    for st in batch["steps"]:
        steps.append([st["number"], st["kind"], f"P{st['passage']}", f"{st['seeded_cells']:.3g}",
                      f"{st['harvested_cells']:.3g}" if st["harvested_cells"] else "—",
                      f"{st['population_doublings']:.2f}" if st["population_doublings"] is not None else "—",
                      f"{st['cumulative_pd']:.2f}" if st["cumulative_pd"] is not None else "—",
                      f"{st['o2_setpoint_pct']:g}{' ALARM' if st['o2_alarm'] else ''}"])
    section(f"3 Culture batch / 培养批次 {batch['code']}", steps, [12 * mm, 22 * mm, 18 * mm, 25 * mm, 25 * mm, 20 * mm,
                                                               25 * mm, 33 * mm])
    section("4 Lot / 批", [["Lot", "Status / 状态", "Specification", "Expiry / 有效期"],
                          [lot["lot_id"], lot["status"], lot["specification"], _local(lot["expires_at"], zone)]],
            [40 * mm, 40 * mm, 50 * mm, 50 * mm])
    qc = [["Analyte", "Result", "Method", "Analyst", "Date"]]
    qc += [[r["analyte"], f"{r['value']} {r['unit']}", r["method"], r["analyst"], r["tested_on"]]
           for r in chain["qc"]["results"]]
    section("5 QC / 质量检验", qc, [40 * mm, 35 * mm, 40 * mm, 35 * mm, 30 * mm])
    releases = [["Status / 状态", "By / 放行人", "At / 时间", "Snapshot"]]
    releases += [[r["status"], r["released_by"], _local(r["released_at"], zone), r["snapshot_hash"][:16] + "…"]
                 for r in chain["releases"]]
    section("6 Release / 放行", releases, [40 * mm, 45 * mm, 50 * mm, 45 * mm])
    section("7 Unit / 单位", [["Unit", "Volume (mL)", "Viable cells", "Site"],
                             [unit["unit_id"], unit["volume_ml"], f"{unit['viable_cells']:.3g}", unit["site"]]],
            [60 * mm, 35 * mm, 45 * mm, 40 * mm])
    custody = [["#", "Event / 事件", "When / 时间", "Who / 人员", "Where / 地点", "Notes"]]
    custody += [[e["seq"], e["event"], _local(e["occurred_at"], zone), e["person"], e["place"],
                 " ".join(x for x in (e["shipment"], e["notes"]) if x)] for e in chain["custody"]]
    section("8 Custody / 监管链", custody, [8 * mm, 22 * mm, 38 * mm, 30 * mm, 42 * mm, 40 * mm])
    for shipment in chain["shipments"]:
        flag = "EXCURSION / 温度偏离" if shipment["has_excursion"] else "no excursion / 无温度偏离"
        story.append(Paragraph(f"{_esc(shipment['code'])} → {_esc(shipment['destination'])}: {flag}; "
                               f"{shipment['readings']} readings", s["small"]))
        for x in shipment["excursions"]:
            story.append(Paragraph(_esc(x["description"]), s["small"]))
    participant = chain["participant"]
    section("9 Participant / 受试者", [["Subject ID", "Site", "Status", "Volume to draw (mL)"],
                                    [participant["subject_id"], participant["site"], participant["status"],
                                     f"{participant['dose']['volume_to_draw_ml']:.2f}"] if participant
                                    else ["—", "—", "—", "—"]], [50 * mm, 40 * mm, 40 * mm, 50 * mm])
    administration = chain["administration"]
    section("10 Administration / 给药", [["Start / 开始", "Stop / 结束", "Rate (mL/min)", "Volume (mL)"],
                                       [_local(administration["started_at"], zone),
                                        _local(administration["stopped_at"], zone),
                                        administration["rate_ml_per_min"], administration["volume_ml"]]
                                       if administration else ["—", "—", "—", "—"]],
            [50 * mm, 50 * mm, 40 * mm, 40 * mm])
    return _document(story, title=f"Chain of identity {unit['unit_id']}")
