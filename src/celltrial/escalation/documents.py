"""The SRC packet as a PDF, in English or Chinese, from the packet's frozen snapshot (never from live data).

Like the product room's documents, reportlab lays it out with one TrueType CJK font embedded (subset):
Debian's fonts-wqy-microhei, or ``CELLTRIAL_PDF_FONT``.
"""

from __future__ import annotations

import io
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from celltrial.core.pdf_fonts import cjk_font


def _esc(value: Any) -> str:
    text = "—" if value is None or value == "" else str(value)
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _role(code: str) -> str:
    from celltrial.accounts.roles import ROLE_LABELS, Role

    try:
        return str(ROLE_LABELS[Role(code)])
    except (ValueError, KeyError):
        return code


def packet_pdf(packet: Any, *, language: str = "en") -> bytes:
    from celltrial.accounts import signatures as esign
    from celltrial.escalation.messages import packet_reason
    from celltrial.escalation.models import Decision
    from celltrial.escalation.services import CHOICE_LABELS, scenario_name
    from celltrial.escalation.templatetags.escalation_tags import code_label

    font = cjk_font()
    base = ParagraphStyle("base", fontName=font, fontSize=8.5, leading=11, wordWrap="CJK")
    h1 = ParagraphStyle("h1", parent=base, fontSize=15, leading=19, spaceAfter=4)
    h2 = ParagraphStyle("h2", parent=base, fontSize=11, leading=14, spaceBefore=8, spaceAfter=3)
    data, meta = packet.snapshot["data"], packet.snapshot["meta"]
    zh = language.startswith("zh")
    with translation.override("zh-hans" if zh else "en"):
        story: list[Any] = []

        def para(text: Any, style: ParagraphStyle = base) -> None:
            story.append(Paragraph(_esc(text), style))

        def table(head: list[str], rows: list[list[Any]]) -> None:
            if not rows:
                para(_("None recorded."))
                return
            cells = [[Paragraph(_esc(h), base) for h in head]] + [[Paragraph(_esc(c), base) for c in r] for r in rows]
            t = Table(cells, repeatRows=1)
            t.setStyle(TableStyle([("FONTNAME", (0, 0), (-1, -1), font), ("GRID", (0, 0), (-1, -1), 0.3, colors.grey),
                                   ("BACKGROUND", (0, 0), (-1, 0), colors.whitesmoke),
                                   ("VALIGN", (0, 0), (-1, -1), "TOP")]))
            story.append(t)

        para(_("SRC packet %(n)s: cohort %(c)s (%(dose)s)") % {"n": packet.pk, "c": data["cohort"],
                                                               "dose": data["dose_level"]}, h1)
        para(_("Review") + ": " + (_("sentinel review") if data["kind"] == "sentinel" else _("dose-escalation review")))
        para(_("Data as of %(day)s; frozen at %(at)s by %(who)s; protocol version %(v)s.") % {
            "day": meta["as_of"], "at": meta["frozen_at"][:16].replace("T", " "), "who": meta["frozen_by"],
            "v": meta["protocol_version"]})
        para(_("Snapshot hash (SHA-256)") + ": " + packet.snapshot_hash)
        para(_("Data entered after this time is not part of this packet."))
        rec = data["recommendation"]
        para(_("Recommendation"), h2)
        para(f"{rec['design']}: {_(CHOICE_LABELS.get(rec['choice'] or '', rec['action']))} "
             f"{rec['dose_level']} — {packet_reason(packet.snapshot)}")
        para(_("Outcomes the design read") + f": {rec['outcomes'] or '—'}")
        para(_("Doses"), h2)
        table([_("Dose level"), _("Participants"), _("DLTs"), _("Pending")],
              [[d["code"] + " " + (d["label_zh"] if zh else d["label"]), d["n"], d["dlts"], d["pending"]]
               for d in data["doses"]])
        para(_("Cohort listing"), h2)
        table([_("Cohort"), _("Subject"), _("Site"), _("Dosed on"), _("DLT window ends"), _("DLT status")],
              [[c["cohort"], m["subject"] + (" (" + _("sentinel") + ")" if m["sentinel"] else ""), m["site"],
                m["dosed_on"], m["window_end"], code_label(m["dlt"])] for c in data["cohorts"] for m in c["members"]])
        para(_("DLTs and their adjudication"), h2)
        table([_("Subject"), _("Cohort"), _("DLT status"), _("Confirmed"), _("Summary")],
              [[d["subject"], d["cohort"], code_label(d["status"]), _("yes") if d["confirmed"] else _("no"), d["summary"]]
               for d in data["dlts"]])
        para(_("Adverse events by grade and relatedness"), h2)
        table([_("Grade"), _("Relatedness"), _("Events")],
              [[g["grade"], code_label(g["relatedness"]), g["count"]] for g in data["ae_by_grade"]])
        table([_("Subject"), _("Term"), _("CTCAE term"), _("Grade"), _("Serious"), _("Related"), _("Onset")],
              [[a["subject"], a["term"], a["ctcae_term"], a["grade"], _("yes") if a["serious"] else _("no"),
                _("yes") if a["related"] else _("no"), a["onset"]] for a in data["adverse_events"]])
        para(_("Abnormal laboratory results"), h2)
        table([_("Subject"), _("Analyte"), _("Value"), _("Flag"), _("Grade"), _("Visit")],
              [[lab["subject"], lab["label"] or lab["analyte"], f"{lab['value']} {lab['unit']}", lab["flag"],
                lab["grade"], lab["visit"]] for lab in data["labs"]])
        para(_("Instrument summaries"), h2)
        table([_("Subject"), _("Instrument"), _("Visit"), _("Total"), _("Change from baseline")],
              [[s["subject"], s["instrument"], s["visit"], s["total"], s["change_from_baseline"]]
               for s in data["instruments"]])
        para(_("Operating characteristics (exact)"), h2)
        for sc in data["operating_characteristics"]:
            para(f"{scenario_name(sc)}: {', '.join(f'{t:.2f}' for t in sc['truth'])}")
            table([_("Dose"), _("True DLT probability"), _("Selected (%)"), _("Participants"), _("DLTs")],
                  sc["rows"])
        para(_("Decision and signatures"), h2)
        decision = Decision.objects.filter(packet=packet).first()
        if decision is None:
            para(_("No decision yet."))
        else:
            para(f"{_(CHOICE_LABELS.get(decision.choice, decision.choice))} {decision.dose_level} · "
                 f"{decision.get_status_display()}")
            if decision.rationale:
                para(_("Rationale") + ": " + decision.rationale)
            table([_("Signed by"), _("Role"), _("Signed at"), _("Meaning")],
                  [[s.signer_name, _role(s.signer_role), s.signed_at.isoformat()[:16].replace("T", " ") + " UTC",
                    s.get_meaning_display()]
                   for s in esign.signatures_for(decision)])
        buf = io.BytesIO()
        doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=14 * mm, rightMargin=14 * mm, topMargin=14 * mm,
                                bottomMargin=14 * mm, title=f"SRC packet {packet.pk}", initialFontName=font)
        story.insert(0, Spacer(1, 1))
        doc.build(story)
    return buf.getvalue()
