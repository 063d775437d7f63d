"""Safety forms. Dates that may be partial say so; a refused form keeps what was typed (Django re-renders it)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from celltrial.core.forms import LocalDateTimeField, NoNulCharField, ZonedForm, reason_field
from celltrial.safety.ctcae import CLINICAL_TERMS, LAB_TERMS
from celltrial.safety.models import ACTIONS, AESI, CAUSALITY, OUTCOMES, SERIOUSNESS, DltAdjudication


def term_choices() -> list[tuple[str, Any]]:
    rows: list[tuple[str, Any]] = [("", _("— none / not gradable here —"))]
    rows += [(t.key, t.name) for t in LAB_TERMS.values()]
    rows += [("fever", "Fever")]
    rows += [(t.key, t.name) for t in CLINICAL_TERMS.values()]
    return rows


def finding_choices() -> list[tuple[str, str]]:
    return [(f"{term.key}:{name}", f"{term.name}: {f.en}") for term in CLINICAL_TERMS.values()
            for name, f in term.findings.items()]


GRADES = [("", "—"), ("1", "1"), ("2", "2"), ("3", "3"), ("4", "4"), ("5", "5")]
PARTIAL_HELP = _("YYYY-MM-DD; YYYY-MM or YYYY when the day or month is unknown.")


class AeForm(ZonedForm):
    verbatim = NoNulCharField(label=_("Verbatim term"), max_length=200,
                              help_text=_("As the investigator or the guardian described it; no names."))
    onset = forms.CharField(label=_("Onset date"), max_length=10, help_text=PARTIAL_HELP)
    resolved = forms.CharField(label=_("Resolution date"), max_length=10, required=False, help_text=PARTIAL_HELP)
    ctcae_term = forms.ChoiceField(label=_("CTCAE v5.0 term"), required=False, choices=term_choices)
    findings = forms.MultipleChoiceField(label=_("Findings (clinical terms)"), required=False,
                                         choices=finding_choices, widget=forms.CheckboxSelectMultiple)
    grade = forms.ChoiceField(label=_("CTCAE grade"), required=False, choices=GRADES,
                              help_text=_("The investigator confirms the grade."))
    seriousness = forms.MultipleChoiceField(label=_("Serious (ICH E2A): the event…"), required=False,
                                            choices=SERIOUSNESS, widget=forms.CheckboxSelectMultiple)
    site_aware_at = LocalDateTimeField(label=_("Site became aware at (site time)"), required=False,
                                       help_text=_("For a serious event: starts the 24-hour clock. Blank: now."))
    action_taken = forms.ChoiceField(label=_("Action taken with the product"), choices=ACTIONS,
                                     initial="not_applicable")
    outcome = forms.ChoiceField(label=_("Outcome"), choices=OUTCOMES, initial="recovering")
    aesi = forms.MultipleChoiceField(label=_("Adverse event of special interest"), required=False, choices=AESI,
                                     widget=forms.CheckboxSelectMultiple)
    lot = forms.CharField(label=_("Product lot (as on the label)"), max_length=40, required=False)
    meddra_llt_code = forms.CharField(label=_("MedDRA LLT code"), max_length=12, required=False,
                                      help_text=_("Only when the sponsor has loaded MedDRA."))
    narrative = forms.CharField(label=_("Narrative"), required=False, max_length=4000,
                                widget=forms.Textarea(attrs={"rows": 4}))

    def values(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        term = data.get("ctcae_term") or ""
        data["findings"] = [f.split(":", 1)[1] for f in data.get("findings") or [] if f.split(":", 1)[0] == term]
        data["grade"] = int(data["grade"]) if data.get("grade") else None
        return data


class FollowUpForm(AeForm):
    received_on = forms.DateField(label=_("Information received on"), widget=forms.DateInput(attrs={"type": "date"}))
    reason = reason_field()


class AssessForm(forms.Form):
    grade = forms.ChoiceField(label=_("Confirmed CTCAE grade"), choices=GRADES)
    seriousness = forms.MultipleChoiceField(label=_("Serious (ICH E2A): the event…"), required=False,
                                            choices=SERIOUSNESS, widget=forms.CheckboxSelectMultiple)
    causality_investigator = forms.ChoiceField(label=_("Causality (investigator)"), choices=[("", "—"), *CAUSALITY])
    reason = reason_field()


class SponsorForm(forms.Form):
    causality_sponsor = forms.ChoiceField(label=_("Causality (sponsor)"), choices=[("", "—"), *CAUSALITY],
                                          required=False)
    sponsor_aware_on = forms.DateField(label=_("Sponsor first aware on (Day 0)"), required=False,
                                       widget=forms.DateInput(attrs={"type": "date"}))
    upgraded_on = forms.DateField(label=_("Sponsor learned it is fatal/life-threatening on"), required=False,
                                  widget=forms.DateInput(attrs={"type": "date"}))
    reason = reason_field()


class SubmissionForm(ZonedForm):
    submitted_at = LocalDateTimeField(label=_("Submitted at"))
    recipient = NoNulCharField(label=_("Recipient"), max_length=200)
    reference = NoNulCharField(label=_("Reference"), max_length=100)


class OtherRiskForm(forms.Form):
    title = NoNulCharField(label=_("Title"), max_length=200)
    description = forms.CharField(label=_("Description"), max_length=4000, widget=forms.Textarea(attrs={"rows": 4}))
    sponsor_aware_on = forms.DateField(label=_("Sponsor first aware on (Day 0)"),
                                       widget=forms.DateInput(attrs={"type": "date"}))


class RsiForm(forms.Form):
    version = NoNulCharField(label=_("RSI version"), max_length=40)
    effective_from = forms.DateField(label=_("In force from"), widget=forms.DateInput(attrs={"type": "date"}))
    document = NoNulCharField(label=_("Document"), max_length=200, help_text=_("e.g. Investigator's Brochure v2.0 §7"))
    expected = forms.CharField(label=_("Expected terms"), max_length=20000, widget=forms.Textarea(attrs={"rows": 6}),
                               help_text=_("One a line: a CTCAE term key or MedDRA PT code, then optionally a colon "
                                           "and the highest expected grade (fever: 2)."))

    def clean_expected(self) -> dict[str, int | None]:
        out: dict[str, int | None] = {}
        for number, line in enumerate(self.cleaned_data["expected"].splitlines(), start=1):
            if not line.strip():
                continue
            term, _sep, grade = line.partition(":")
            grade = grade.strip()
            if grade and not (grade.isdigit() and 1 <= int(grade) <= 5):
                raise forms.ValidationError(_("Line %(n)s: the grade is 1 to 5.") % {"n": number})
            out[term.strip()] = int(grade) if grade else None
        if not out:
            raise forms.ValidationError(_("List at least one expected term."))
        return out


class DltDecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=DltAdjudication.DECISIONS)
    criteria_met = forms.MultipleChoiceField(label=_("DLT criteria met"), required=False,
                                             widget=forms.CheckboxSelectMultiple)
    dlt_aes = forms.MultipleChoiceField(label=_("AEs that are DLTs"), required=False,
                                        widget=forms.CheckboxSelectMultiple)
    comment = forms.CharField(label=_("Comment"), required=False, max_length=4000,
                              widget=forms.Textarea(attrs={"rows": 2}))
    password = forms.CharField(label=_("Password (e-signature)"), widget=forms.PasswordInput)

    def __init__(self, *args: Any, criteria: list[tuple[str, str]], aes: list[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["criteria_met"].choices = criteria  # type: ignore[attr-defined]
        self.fields["dlt_aes"].choices = aes  # type: ignore[attr-defined]


class ConfirmForm(forms.Form):
    comment = forms.CharField(label=_("Comment"), required=False, max_length=1000)
    password = forms.CharField(label=_("Password (e-signature)"), widget=forms.PasswordInput)
