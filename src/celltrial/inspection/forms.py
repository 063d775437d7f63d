from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from celltrial.audit.models import Action
from celltrial.core.forms import NoNulCharField


class AuditFilterForm(forms.Form):
    q = NoNulCharField(label=_("Search"), required=False, max_length=200,
                       help_text=_("Finds records, reasons and changed values."))
    username = NoNulCharField(label=_("User"), required=False, max_length=150)
    action = forms.ChoiceField(label=_("Action"), required=False, choices=[("", "—"), *Action.choices])
    object_type = NoNulCharField(label=_("Record type"), required=False, max_length=100)
    site = NoNulCharField(label=_("Site"), required=False, max_length=32)
    date_from = forms.DateField(label=_("From (date)"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To (date)"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end date is before the start date."))
        return data
