"""The SUSAR case report: ICH E2B(R3) data elements as JSON, and a CIOMS-I-style PDF in English or Chinese.

The JSON carries the E2B(R3) elements that apply to a case from this trial, keyed by their element
identifiers (ICH E2B(R3) Implementation Guide: C.1 case identification, C.2.r primary source, C.3 sender,
C.5 study, D patient, E.i reaction, G.k drug, H narrative). It is the content of a report, not the E2B XML
message the gateway takes. The patient is pseudonymous: the subject ID and the age group only — no name,
initials, date of birth or ID number (those stay in the participants room's vault).

The PDF follows the sections of the CIOMS I form (I reaction information, II suspect drug information,
III concomitant drugs and history, IV manufacturer information) with the narrative. reportlab embeds one
TrueType CJK font (Debian fonts-wqy-microhei) so both languages print on a machine with no fonts.
"""

from __future__ import annotations

import io
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from celltrial.core.pdf_fonts import cjk_font
from celltrial.participants import interface as participants
from celltrial.safety.models import AdverseEvent

PRODUCT = {"en": "Human bone-marrow mesenchymal stem cell injection (hBMMSC), investigational",
           "zh": "人骨髓间充质干细胞注射液（试验用）"}
ROUTE = {"en": "intravenous infusion", "zh": "静脉输注"}
SENDER = "celltrial sponsor pharmacovigilance"

SERIOUS_E2B = {"death": "E.i.3.2a", "life-threatening": "E.i.3.2b", "hospitalisation": "E.i.3.2c",
               "disability": "E.i.3.2d", "congenital-anomaly": "E.i.3.2e", "important-medical-event": "E.i.3.2f"}
OUTCOME_E2B = {"recovered": 1, "recovering": 2, "not_recovered": 3, "recovered_sequelae": 4, "fatal": 5, "unknown": 0}
ACTION_E2B = {"stopped": 1, "none": 4, "not_applicable": 9, "interrupted": 4}




def report_id(ae: AdverseEvent) -> str:
    return f"CN-CELLTRIAL-{ae.site.code}-{participants.subject_label(ae.participant)}-AE{ae.number}"


def _study() -> dict[str, str]:
    from celltrial.study import interface as study

    protocol = study.protocol_in_force()
    if protocol is None:
        return {"name": "", "number": ""}
    title = getattr(protocol, "title", None)
    name = getattr(title, "en", None) or str(title or "")
    return {"name": name, "number": str(getattr(protocol, "id", "") or getattr(protocol, "code", "") or "")}


def e2b(ae: AdverseEvent) -> dict[str, Any]:
    """The E2B(R3) data elements of the case, by element identifier."""
    dosing = participants.dosing(ae.participant)
    study = _study()
    latest = ae.versions.order_by("-number").first()
    return {
        "_note": "ICH E2B(R3) data elements (content of the ICSR; not the XML message). Pseudonymous patient.",
        "C.1.1": report_id(ae),
        "C.1.2": timezone.now().strftime("%Y%m%d%H%M%S"),
        "C.1.3": 2,  # report from study
        "C.1.4": ae.sponsor_aware_on.isoformat() if ae.sponsor_aware_on else None,
        "C.1.5": latest.received_on.isoformat() if latest else None,
        "C.1.7": ae.susar,
        "C.2.r": [{"C.2.r.4": 1, "C.2.r.5": 1, "C.2.r.3": ae.site.country or "CN"}],  # physician, regulatory source
        "C.3": {"C.3.1": 1, "C.3.2": SENDER},  # pharmaceutical company
        "C.5": {"C.5.2": study["name"], "C.5.3": study["number"], "C.5.4": 1},  # clinical trial
        "D": {"D.1": participants.subject_label(ae.participant), "D.2.3": 3,  # age group: child
              "D.9": {"D.9.1": ae.resolved or None} if ae.outcome == "fatal" else None},
        "E.i": [{
            "E.i.1.1a": ae.verbatim, "E.i.1.1b": "zh" if any("\u4e00" <= c <= "\u9fff" for c in ae.verbatim) else "en",
            "E.i.2.1a": ae.meddra_version or None, "E.i.2.1b": ae.meddra_llt_code or None,
            "E.i.3.2": {SERIOUS_E2B[c]: True for c in ae.seriousness},
            "E.i.4": ae.onset, "E.i.5": ae.resolved or None, "E.i.7": OUTCOME_E2B.get(ae.outcome, 0),
            "ctcae": {"term": ae.ctcae_term, "grade": ae.grade, "version": ae.ctcae_version,
                      "confirmed": ae.grade_confirmed},
        }],
        "G.k": [{
            "G.k.1": 1,  # suspect
            "G.k.2.2": PRODUCT["en"],
            "G.k.4.r": [{"G.k.4.r.7": ae.lot or "not linked",
                         "G.k.4.r.4": dosing.dosed_on.isoformat() if dosing else None,
                         "G.k.4.r.10.1": ROUTE["en"], "dose_level": dosing.dose_level if dosing else None}],
            "G.k.8": ACTION_E2B.get(ae.action_taken, 0), "action_as_entered": ae.action_taken,
            "G.k.9.i.2.r": [
                {"G.k.9.i.2.r.1": "investigator", "G.k.9.i.2.r.2": "global introspection",
                 "G.k.9.i.2.r.3": ae.get_causality_investigator_display() or None},
                {"G.k.9.i.2.r.1": "sponsor", "G.k.9.i.2.r.2": "global introspection",
                 "G.k.9.i.2.r.3": ae.get_causality_sponsor_display() or None},
            ],
            "expectedness": {"expected": ae.expected, "rsi_version": ae.rsi_version, "basis": ae.expectedness_basis},
        }],
        "H": {"H.1": ae.narrative or ae.verbatim, "H.3.r": [ae.meddra_pt or ae.verbatim]},
    }


LABELS = {
    "en": {
        "title": "SUSPECT ADVERSE REACTION REPORT (CIOMS I style)",
        "s1": "I. REACTION INFORMATION", "s2": "II. SUSPECT DRUG(S) INFORMATION",
        "s3": "III. CONCOMITANT DRUG(S) AND HISTORY", "s4": "IV. MANUFACTURER INFORMATION",
        "narrative": "Narrative", "assessment": "Assessment",
        "patient": "1. Patient (subject ID)", "country": "1a. Country", "age": "2a. Age group",
        "age_value": "child", "sex": "3. Sex", "withheld": "withheld (pseudonymous report)",
        "onset": "4–6. Reaction onset", "describe": "7 + 13. Describe reaction(s)", "serious": "8–12. Seriousness",
        "outcome": "Outcome", "suspect": "14. Suspect drug (lot)", "dose": "15. Dose level",
        "route": "16. Route", "indication": "17. Indication", "indication_value": "autism spectrum disorder",
        "dates": "18. Therapy date", "action": "20. Action taken with the product",
        "concomitant": "22. Concomitant drugs", "history": "23. Other relevant history",
        "see_crf": "see the participant's CRF", "sender": "24a. Name of sponsor", "control": "24b. Report ID",
        "received": "24c. Date received by sponsor (Day 0)", "report_type": "25a. Report type",
        "initial": "initial", "follow_up": "follow-up", "version": "information version",
        "ctcae": "CTCAE v5.0", "causality_inv": "Causality (investigator)", "causality_sp": "Causality (sponsor)",
        "expected": "Expectedness", "expected_yes": "expected", "expected_no": "unexpected",
        "none": "none",
    },
    "zh": {
        "title": "可疑不良反应报告（CIOMS I 格式）",
        "s1": "一、不良反应信息", "s2": "二、可疑药物信息", "s3": "三、合并用药及病史", "s4": "四、申办者信息",
        "narrative": "病例叙述", "assessment": "评价",
        "patient": "1. 受试者（受试者编号）", "country": "1a. 国家", "age": "2a. 年龄组", "age_value": "儿童",
        "sex": "3. 性别", "withheld": "不提供（假名化报告）",
        "onset": "4–6. 不良反应发生日期", "describe": "7 + 13. 不良反应描述", "serious": "8–12. 严重性标准",
        "outcome": "转归", "suspect": "14. 可疑药物（批号）", "dose": "15. 剂量水平", "route": "16. 给药途径",
        "indication": "17. 适应症", "indication_value": "孤独症谱系障碍", "dates": "18. 用药日期",
        "action": "20. 对研究药物采取的措施", "concomitant": "22. 合并用药", "history": "23. 其他相关病史",
        "see_crf": "见受试者病例报告表", "sender": "24a. 申办者名称", "control": "24b. 报告编号",
        "received": "24c. 申办者获知日期（第0天）", "report_type": "25a. 报告类型",
        "initial": "首次报告", "follow_up": "随访报告", "version": "信息版本",
        "ctcae": "CTCAE 5.0版", "causality_inv": "因果关系（研究者）", "causality_sp": "因果关系（申办者）",
        "expected": "预期性", "expected_yes": "预期", "expected_no": "非预期", "none": "无",
    },
}
SERIOUS_ZH = {"death": "导致死亡", "life-threatening": "危及生命", "hospitalisation": "导致住院或住院时间延长",
              "disability": "导致永久或显著的残疾/功能丧失", "congenital-anomaly": "先天性异常/出生缺陷",
              "important-medical-event": "其他重要医学事件"}
OUTCOME_ZH = {"recovered": "痊愈", "recovering": "好转", "not_recovered": "未好转", "recovered_sequelae": "痊愈伴后遗症",
              "fatal": "死亡", "unknown": "不详"}
CAUSALITY_ZH = {"not_related": "无关", "unlikely": "可能无关", "possibly": "可能有关", "probably": "很可能有关",
                "definitely": "肯定有关", "": "未评价"}
ACTION_ZH = {"none": "未采取措施（输注完成）", "interrupted": "暂停输注", "stopped": "停止输注",
             "not_applicable": "不适用（输注后发生）"}
SERIOUS_EN = {"death": "results in death", "life-threatening": "life-threatening",
              "hospitalisation": "requires or prolongs hospitalisation", "disability": "persistent or significant disability",
              "congenital-anomaly": "congenital anomaly/birth defect", "important-medical-event": "important medical event"}


def _esc(value: Any) -> str:
    text = "—" if value is None or value == "" else str(value)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def cioms_pdf(ae: AdverseEvent, language: str = "en") -> bytes:
    """The CIOMS-I-style report of one case in ``language`` ("en" or "zh")."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    lang = "zh" if language.startswith("zh") else "en"
    t = LABELS[lang]
    font = cjk_font()
    base = ParagraphStyle("base", fontName=font, fontSize=9, leading=12, wordWrap="CJK")
    h1 = ParagraphStyle("h1", parent=base, fontSize=14, leading=18, spaceAfter=4)
    h2 = ParagraphStyle("h2", parent=base, fontSize=11, leading=14, spaceBefore=8, spaceAfter=3)
    dosing = participants.dosing(ae.participant)
    latest = ae.versions.order_by("-number").first()

    def serious_text() -> str:
        names = SERIOUS_ZH if lang == "zh" else SERIOUS_EN
        return "；".join(names[c] for c in ae.seriousness) if lang == "zh" else "; ".join(names[c] for c in ae.seriousness)

    def causality(code: str) -> str:
        return CAUSALITY_ZH.get(code, code) if lang == "zh" else (dict(AdverseEvent._meta.get_field(
            "causality_investigator").choices or []).get(code, "not assessed") if code else "not assessed")

    outcome = OUTCOME_ZH.get(ae.outcome, ae.outcome) if lang == "zh" else str(ae.get_outcome_display())
    action = ACTION_ZH.get(ae.action_taken, ae.action_taken) if lang == "zh" else str(ae.get_action_taken_display())
    expected = (t["expected_yes"] if ae.expected else t["expected_no"]) if ae.expected is not None else "—"

    def table(rows: list[tuple[str, Any]]) -> Table:
        data = [[Paragraph(_esc(k), base), Paragraph(_esc(v), base)] for k, v in rows]
        tab = Table(data, colWidths=[62 * mm, 108 * mm])
        tab.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), font), ("GRID", (0, 0), (-1, -1), 0.4, colors.grey),
                                 ("VALIGN", (0, 0), (-1, -1), "TOP"),
                                 ("BACKGROUND", (0, 0), (0, -1), colors.Color(0.94, 0.95, 0.97))]))
        return tab

    story: list[Any] = [Paragraph(_esc(t["title"]), h1), Paragraph(_esc(report_id(ae)), base), Spacer(1, 4)]
    story += [Paragraph(_esc(t["s1"]), h2), table([
        (t["patient"], participants.subject_label(ae.participant)), (t["country"], ae.site.country or "CN"),
        (t["age"], t["age_value"]), (t["sex"], t["withheld"]), (t["onset"], ae.onset),
        (t["describe"], f"{ae.verbatim} — {t['ctcae']} {ae.ctcae_term or ''} G{ae.grade or '?'}"
                        + (f" — MedDRA {ae.meddra_version} {ae.meddra_pt} ({ae.meddra_pt_code})" if ae.meddra_pt else "")),
        (t["serious"], serious_text() or t["none"]), (t["outcome"], f"{outcome} {ae.resolved}".strip()),
    ])]
    story += [Paragraph(_esc(t["s2"]), h2), table([
        (t["suspect"], f"{PRODUCT[lang]} ({ae.lot or 'not linked'})"),
        (t["dose"], (f"{dosing.dose_level}（队列 {dosing.cohort}）" if lang == "zh"
                     else f"{dosing.dose_level} (cohort {dosing.cohort})") if dosing else "—"),
        (t["route"], ROUTE[lang]), (t["indication"], t["indication_value"]),
        (t["dates"], dosing.dosed_on.isoformat() if dosing else "—"), (t["action"], action),
    ])]
    story += [Paragraph(_esc(t["s3"]), h2), table([(t["concomitant"], t["see_crf"]), (t["history"], t["see_crf"])])]
    story += [Paragraph(_esc(t["s4"]), h2), table([
        (t["sender"], SENDER), (t["control"], report_id(ae)),
        (t["received"], ae.sponsor_aware_on.isoformat() if ae.sponsor_aware_on else "—"),
        (t["report_type"], f"{t['initial'] if ae.info_version == 1 else t['follow_up']}"
                           + (f"（{t['version']} {ae.info_version}，{latest.received_on if latest else ''}）" if lang == "zh"
                              else f" ({t['version']} {ae.info_version}, {latest.received_on if latest else ''})")),
    ])]
    story += [Paragraph(_esc(t["assessment"]), h2), table([
        (t["causality_inv"], causality(ae.causality_investigator)),
        (t["causality_sp"], causality(ae.causality_sponsor)),
        (t["expected"], f"{expected}（RSI {ae.rsi_version or '—'}）" if lang == "zh"
         else f"{expected} (RSI {ae.rsi_version or '—'})"),
    ])]
    story += [Paragraph(_esc(t["narrative"]), h2), Paragraph(_esc(ae.narrative or ae.verbatim), base)]
    buffer = io.BytesIO()
    generated = timezone.now().astimezone(ZoneInfo(ae.site.timezone or "Asia/Shanghai")).strftime("%Y-%m-%d %H:%M")

    def footer(canvas: Any, doc: Any) -> None:
        canvas.saveState()
        canvas.setFont(font, 7)
        canvas.drawString(15 * mm, 10 * mm, f"celltrial · {report_id(ae)} · {generated} · {doc.page}")
        canvas.restoreState()

    doc = SimpleDocTemplate(buffer, pagesize=A4, leftMargin=20 * mm, rightMargin=20 * mm, topMargin=15 * mm,
                            bottomMargin=18 * mm, title=t["title"], author=SENDER, initialFontName=font)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()
