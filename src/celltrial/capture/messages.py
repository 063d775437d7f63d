"""The capture room's messages: a form problem said in the reader's language, naming the field, the
allowed range and the unit."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from celltrial.capture.engine.values import Problem

REFUSALS = {
    "consent_missing": gettext_lazy("Data entry is refused until valid consent exists."),
    "paused": gettext_lazy("Procedures are paused: the child dissented. An investigator must resolve the dissent."),
    "withdrawn_all": gettext_lazy("The participant is withdrawn from all data collection."),
    "withdrawn_visits": gettext_lazy("The participant is withdrawn from study visits: no visit data is collected."),
    "reconsent_due": gettext_lazy("Re-consent is due: entry after the visit at which it is due is refused."),
}

MISSING_LABELS = {
    "UNK": gettext_lazy("Unknown"),
    "NA": gettext_lazy("Not applicable"),
    "NASK": gettext_lazy("Not asked"),
    "ASKU": gettext_lazy("Asked but unknown"),
}


def problem_text(problem: Problem, label: str = "") -> str:
    """The message of one problem; ``label`` is the field's label in the reader's language."""
    p: dict[str, Any] = dict(problem.params)
    units = f" {p['units']}" if p.get("units") else ""
    field = label or problem.field
    texts = {
        "unknown": _("%(field)s: this form has no such field.") % {"field": field},
        "identifier": _("%(field)s: personal data is kept in the identity vault, not in a clinical form.") % {
            "field": field},
        "computed": _("%(field)s: this value is calculated; it cannot be typed.") % {"field": field},
        "type": _("%(field)s: enter text, not a list.") % {"field": field},
        "length": _("%(field)s: at most %(max)s characters.") % {"field": field, "max": p.get("max")},
        "char_limit": _("%(field)s: at most %(max)s characters (you typed %(n)s).") % {
            "field": field, "max": p.get("max"), "n": p.get("n")},
        "word_limit": _("%(field)s: at most %(max)s words (you typed %(n)s).") % {
            "field": field, "max": p.get("max"), "n": p.get("n")},
        "control": _("%(field)s: remove the control characters from this text.") % {"field": field},
        "integer": _("%(field)s: enter a whole number%(units)s.") % {"field": field, "units": units},
        "number": _("%(field)s: enter a number%(units)s, e.g. 17.5.") % {"field": field, "units": units},
        "decimals": _("%(field)s: at most %(decimals)s decimal places.") % {
            "field": field, "decimals": p.get("decimals")},
        "range": _("%(field)s: enter a value from %(min)s to %(max)s%(units)s.") % {
            "field": field, "min": p.get("min"), "max": p.get("max"), "units": units},
        "min": _("%(field)s: at least %(min)s%(units)s.") % {"field": field, "min": p.get("min"), "units": units},
        "max": _("%(field)s: at most %(max)s%(units)s.") % {"field": field, "max": p.get("max"), "units": units},
        "date": _("%(field)s: enter a date as YYYY-MM-DD.") % {"field": field},
        "partial_date": _("%(field)s: enter a date as YYYY-MM-DD, or YYYY-MM or YYYY when the day or month is "
                          "unknown.") % {"field": field},
        "date_min": _("%(field)s: not before %(min)s.") % {"field": field, "min": p.get("min")},
        "date_max": _("%(field)s: not after %(max)s.") % {"field": field, "max": p.get("max")},
        "datetime": _("%(field)s: enter a date and time as YYYY-MM-DD HH:MM.") % {"field": field},
        "time": _("%(field)s: enter a time as HH:MM.") % {"field": field},
        "yesno": _("%(field)s: choose yes or no.") % {"field": field},
        "truefalse": _("%(field)s: choose true or false.") % {"field": field},
        "choice": _("%(field)s: choose one of the listed answers.") % {"field": field},
        "none_of_the_above": _("%(field)s: “%(value)s” cannot be ticked together with another answer.") % {
            "field": field, "value": p.get("value")},
        "required": _("%(field)s: required to complete the form (or save it as a draft).") % {"field": field},
        "email": _("%(field)s: enter an e-mail address.") % {"field": field},
        "phone": _("%(field)s: enter a phone number (digits, spaces, +, -).") % {"field": field},
        "alpha": _("%(field)s: letters only.") % {"field": field},
        "file": _("%(field)s: the file could not be read.") % {"field": field},
        "file_size": _("%(field)s: the file is larger than %(max_mb)s MB.") % {"field": field, "max_mb": p.get("max_mb")},
        "file_type": _("%(field)s: this kind of file is not accepted (accepted: %(types)s).") % {
            "field": field, "types": p.get("types")},
    }
    return texts.get(problem.code, f"{field}: {problem.code}")
