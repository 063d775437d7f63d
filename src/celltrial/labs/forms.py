"""Labs forms. Each value says its unit; a refused form keeps what was typed (Django re-renders it).

Values are read as text and checked by the services (number, unit, plausible range), so a refusal names
the analyte, its range and its unit beside the field.
"""

from __future__ import annotations

from typing import Any, cast

from django import forms
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from celltrial.core.forms import LocalDateTimeField, NoNulCharField, ZonedForm, reason_field
from celltrial.labs.models import TimePoint
from celltrial.labs.rules import ANALYTES, analytes_of


def _unit_choices(code: str) -> list[tuple[str, str]]:
    return [(u, u or "—") for u in ANALYTES[code].accepted_units]


class PanelForm(ZonedForm):
    """One draw: when, and a value and unit per analyte; empty values are not entered. The child's age at
    sampling and sex, which choose the reference range, come from the participant's record (not typed)."""

    collected_at = LocalDateTimeField(label=_("Sample collected at (local time)"))

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        zh = (get_language() or "en").startswith("zh")
        for code in analytes_of():
            label = code.label_zh if zh else code.label_en
            self.fields[code.field] = NoNulCharField(label=label, required=False, max_length=30,
                                                     widget=forms.TextInput(attrs={"inputmode": "decimal"}))
            self.fields[f"{code.field}_unit"] = forms.ChoiceField(
                label=_("Unit"), choices=_unit_choices(code.code), initial=code.si_unit, required=False)
        self.fields["comment"] = NoNulCharField(label=_("Comment"), required=False, max_length=500)

    def rows(self) -> list[tuple[Any, Any, Any]]:
        """(analyte, value field, unit field) in panel order, for the template."""
        return [(code, self[code.field], self[f"{code.field}_unit"]) for code in analytes_of()]

    def values(self) -> dict[str, tuple[str, str]]:
        data = self.cleaned_data
        return {code.code: (data.get(code.field) or "", data.get(f"{code.field}_unit") or "")
                for code in analytes_of() if (data.get(code.field) or "").strip()}


class CorrectForm(forms.Form):
    value = NoNulCharField(label=_("Value"), max_length=30, widget=forms.TextInput(attrs={"inputmode": "decimal"}))
    unit = forms.ChoiceField(label=_("Unit"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = reason_field()

    def __init__(self, *args: Any, analyte: str, **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["unit"]).choices = _unit_choices(analyte)


VITAL_FIELDS = (
    ("temperature_c", _("Temperature (°C)")),
    ("heart_rate", _("Heart rate (beats/min)")),
    ("systolic_bp", _("Systolic BP (mmHg)")),
    ("diastolic_bp", _("Diastolic BP (mmHg)")),
    ("resp_rate", _("Respiratory rate (breaths/min)")),
    ("spo2", _("SpO2 (%)")),
)


class VitalsForm(ZonedForm):
    time_point = forms.ChoiceField(label=_("Time point"), choices=TimePoint.choices)
    infusion_started_at = LocalDateTimeField(label=_("Infusion started at (local time)"))
    measured_at = LocalDateTimeField(label=_("Measured at (local time)"))

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for name, label in VITAL_FIELDS:
            self.fields[name] = NoNulCharField(label=label, max_length=10,
                                               widget=forms.TextInput(attrs={"inputmode": "decimal"}))

    def readings(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(name) or "" for name, _label in VITAL_FIELDS}


class VitalsCorrectForm(ZonedForm):
    measured_at = LocalDateTimeField(label=_("Measured at (local time)"))
    version = forms.IntegerField(widget=forms.HiddenInput)
    reason = reason_field()

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        for name, label in VITAL_FIELDS:
            self.fields[name] = NoNulCharField(label=label, max_length=10,
                                               widget=forms.TextInput(attrs={"inputmode": "decimal"}))

    def readings(self) -> dict[str, str]:
        return {name: self.cleaned_data.get(name) or "" for name, _label in VITAL_FIELDS}


class RangesForm(forms.Form):
    site = forms.ChoiceField(label=_("Site"))
    file = forms.FileField(label=_("Reference-range file (CSV or YAML)"),
                           help_text=_("Columns analyte, sex, age_from, age_to, low, high, unit; at most 1 MB."))

    def __init__(self, *args: Any, sites: list[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        cast(forms.ChoiceField, self.fields["site"]).choices = sites
