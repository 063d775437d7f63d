"""The protocol page in the reader's language: identifiers, doses, design, schedule grid, eligibility."""

from __future__ import annotations

from typing import Any

from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from celltrial.study.models import ProtocolVersion

ROUTES = {
    "intravenous": _("intravenous infusion"),
    "intrathecal": _("intrathecal injection"),
    "intramuscular": _("intramuscular injection"),
    "subcutaneous": _("subcutaneous injection"),
    "intranasal": _("intranasal"),
}
WEIGHT_BASIS = {
    "screening": _("weight at screening"),
    "day_minus_1": _("weight on day −1"),
    "dose_day": _("weight on the dosing day"),
}


def _lang() -> str:
    return "zh" if (get_language() or "en").lower().startswith("zh") else "en"


def _t(text: Any, lang: str) -> str:
    return text.get(lang) if text is not None else ""


def protocol_page(version: ProtocolVersion) -> dict[str, Any]:
    p = version.definition()
    lang = _lang()
    visits = [
        {"code": v.code, "label": _t(v.label, lang), "day": v.day, "minus": v.window.minus, "plus": v.window.plus,
         "type": v.type}
        for v in p.visits
    ]
    scheduled = {v.code: set(v.forms) for v in p.visits}
    grid = [
        {"name": f.name, "label": _t(f.label, lang),
         "cells": [f.name in scheduled[v["code"]] for v in visits]}
        for f in p.forms
        if any(f.name in forms for forms in scheduled.values())
    ]
    design = p.escalation
    return {
        "title": _t(p.protocol.title, lang),
        "short_title": _t(p.protocol.short_title, lang),
        "protocol_id": p.protocol.id,
        "phase": p.protocol.phase,
        "sponsor": _t(p.protocol.sponsor, lang),
        "product": _t(p.protocol.product, lang),
        "registry_ids": [f"{r.registry} {r.id}" for r in p.protocol.registry_ids],
        "ind_number": p.protocol.ind_number,
        "version_label": p.protocol.version.label,
        "version_date": p.protocol.version.date,
        "dose_levels": [{"code": d.code, "label": _t(d.label, lang), "dose": d.dose_cells_per_kg} for d in p.dose_levels],
        "design": design.design,
        "design_params": {k: v for k, v in design.model_dump(exclude_none=True).items() if k != "design"},
        "dlt_window": p.dlt.window_days,
        "dlt_definition": _t(p.dlt.definition, lang),
        "dlt_criteria": [{"id": c.id, "text": _t(c.text, lang)} for c in p.dlt.criteria],
        "sentinel": p.sentinel,
        "dosing": p.dosing,
        "route": ROUTES.get(p.dosing.route, p.dosing.route),
        "weight_basis": WEIGHT_BASIS.get(p.dosing.weight_basis, p.dosing.weight_basis),
        "visits": visits,
        "grid": grid,
        "inclusion": [{"id": c.id, "text": _t(c.text, lang), "expression": c.expression}
                      for c in p.eligibility if c.kind == "inclusion"],
        "exclusion": [{"id": c.id, "text": _t(c.text, lang), "expression": c.expression}
                      for c in p.eligibility if c.kind == "exclusion"],
    }
