"""Forms of the escalation pages (the services validate again; these keep what was typed)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class FreezeForm(forms.Form):
    kind = forms.ChoiceField(label=_("Review"), choices=[("sentinel", _("sentinel review")),
                                                         ("cohort", _("dose-escalation review"))])


class DecisionForm(forms.Form):
    choice = forms.ChoiceField(label=_("Decision"), choices=[])
    dose_level = forms.CharField(label=_("Dose level (expand or MTD)"), max_length=40, required=False)
    next_capacity = forms.IntegerField(label=_("Places in the next cohort"), min_value=1, max_value=100,
                                       required=False)
    rationale = forms.CharField(label=_("Rationale (required when it differs from the recommendation)"),
                                widget=forms.Textarea(attrs={"rows": 3}), max_length=4000, required=False)

    def __init__(self, *args, choices=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["choice"].choices = list(choices)


class SignForm(forms.Form):
    password = forms.CharField(label=_("Password"), widget=forms.PasswordInput, max_length=200)
    comment = forms.CharField(label=_("Comment"), max_length=1000, required=False)
