"""Labels for the codes the escalation pages show (DLT status from the safety room, AE relatedness)."""

from __future__ import annotations

from django import template
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

register = template.Library()

LABELS = {
    "pending": gettext_noop("pending"),
    "dlt": gettext_noop("DLT"),
    "no_dlt": gettext_noop("no DLT"),
    "not_evaluable": gettext_noop("not evaluable"),
    "related": gettext_noop("related"),
    "unrelated": gettext_noop("not related"),
    "escalate": gettext_noop("escalate"), "stay": gettext_noop("stay at this dose"),
    "de-escalate": gettext_noop("de-escalate"), "expand": gettext_noop("expand"),
    "stop": gettext_noop("stop the trial"), "mtd": gettext_noop("declare the MTD"),
    "proceed": gettext_noop("proceed with the cohort"),
}


@register.filter
def code_label(code: object) -> str:
    text = str(code or "")
    return _(LABELS[text]) if text in LABELS else text


@register.filter
def reason_text(value: object) -> str:
    """A design's reason (or 3+3 decision-table text) in the active language."""
    from celltrial.escalation.messages import render

    return render(value)


@register.filter
def scenario_name(scenario: dict) -> str:
    from celltrial.escalation.services import scenario_name as name

    return name(scenario)
