"""Product forms. Each field says its unit; a refused form keeps what was typed (Django re-renders it)."""

from __future__ import annotations

import math
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from celltrial.core.forms import LocalDateTimeField, NoNulCharField, ZonedForm, reason_field
from celltrial.product.rules.custody import CustodyEvent


class FiniteFloatField(forms.FloatField):
    default_error_messages = {"finite": _("Enter a finite number.")}

    def to_python(self, value: Any) -> float | None:  # type: ignore[override]  # django-stubs types FloatField as IntegerField
        number = super().to_python(value)
        if number is not None and not math.isfinite(number):
            raise forms.ValidationError(self.error_messages["finite"], code="finite")
        return number



def _date() -> forms.DateField:
    return forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))


class DonorForm(forms.Form):
    donor_id = NoNulCharField(label=_("Donor ID"), max_length=20, required=False,
                              help_text=_("Leave empty to issue the next ID (D-YYYY-NNNN-C)."))
    age_years = forms.IntegerField(label=_("Age (completed years)"), min_value=0, max_value=120)
    assessment_date = _date()
    assessment_date.label = _("Assessment date")

    def __init__(self, *args: Any, history: list[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        for code, question in history:
            self.fields[f"history_{code}"] = forms.TypedChoiceField(
                label=question, choices=[("", "—"), ("no", _("no")), ("yes", _("yes"))], required=True,
                coerce=lambda v: v == "yes")

    def history(self) -> dict[str, bool]:
        return {k.removeprefix("history_"): v for k, v in self.cleaned_data.items() if k.startswith("history_")}


class MarkerForm(forms.Form):
    code = forms.ChoiceField(label=_("Marker"))
    method = NoNulCharField(label=_("Method"), max_length=100, help_text=_("e.g. CLIA, ELISA, NAT (PCR), TPPA"))
    result = NoNulCharField(label=_("Result"), max_length=32, help_text=_("e.g. negative, non-reactive, reactive"))
    tested_on = _date()
    tested_on.label = _("Tested on")

    def __init__(self, *args: Any, markers: list[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["code"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = markers


class CollectionForm(forms.Form):
    collected_on = _date()
    collected_on.label = _("Collected on")
    volume_ml = FiniteFloatField(label=_("Bone-marrow volume (mL)"), min_value=0.1, max_value=2000)
    nucleated_cells = FiniteFloatField(label=_("Total nucleated cells"), min_value=1, max_value=1e13,
                                       help_text=_("e.g. 1.2e9"))


class BatchForm(forms.Form):
    started_on = _date()
    started_on.label = _("Started on")
    o2_low_pct = FiniteFloatField(label=_("O2 band low (%)"), initial=1.0, min_value=0, max_value=100)
    o2_high_pct = FiniteFloatField(label=_("O2 band high (%)"), initial=5.0, min_value=0, max_value=100)
    starting_pd = FiniteFloatField(label=_("Starting population doubling level"), initial=0.0, min_value=0,
                                   max_value=200)


class StepForm(ZonedForm):
    kind = forms.ChoiceField(label=_("Step"), choices=[("seeding", _("seeding")), ("passage", _("passage")),
                                                       ("harvest", _("harvest"))])
    passage_number = forms.IntegerField(label=_("Passage number"), min_value=0, max_value=50)
    performed_at = LocalDateTimeField(seconds=True, label=_("Performed at (local time)"))
    seeded_cells = FiniteFloatField(label=_("Cells seeded"), min_value=1, max_value=1e13, help_text=_("e.g. 2.0e6"))
    harvested_cells = FiniteFloatField(label=_("Cells harvested"), required=False, min_value=1, max_value=1e13)
    o2_setpoint_pct = FiniteFloatField(label=_("O2 set-point (%)"), min_value=0, max_value=100)
    o2_readings = NoNulCharField(label=_("O2 readings (%)"), required=False, max_length=2000,
                                 help_text=_("Comma-separated, e.g. 4.8, 5.1, 4.9"))
    notes = NoNulCharField(label=_("Notes"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def clean_o2_readings(self) -> list[float]:
        text = self.cleaned_data.get("o2_readings") or ""
        values = []
        for part in text.replace("，", ",").split(","):
            if not part.strip():
                continue
            try:
                number = float(part)
            except ValueError:
                raise forms.ValidationError(_("%(v)s is not a number.") % {"v": part.strip()}) from None
            if not math.isfinite(number) or not 0 <= number <= 100:
                raise forms.ValidationError(_("Each reading must be between 0 and 100 %."))
            values.append(number)
        if len(values) > 500:
            raise forms.ValidationError(_("At most 500 readings."))
        return values


class MaterialForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=[("medium", _("medium")), ("reagent", _("reagent")),
                                                       ("supplement", _("supplement")),
                                                       ("consumable", _("consumable"))])
    material = NoNulCharField(label=_("Material"), max_length=120)
    lot_number = NoNulCharField(label=_("Material lot"), max_length=60)
    supplier = NoNulCharField(label=_("Supplier"), max_length=120, required=False)


class DeviationForm(forms.Form):
    raised_on = _date()
    raised_on.label = _("Raised on")
    description = NoNulCharField(label=_("Description"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    capa_reference = NoNulCharField(label=_("CAPA reference"), max_length=60, required=False)


class CapaForm(forms.Form):
    deviation = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**62)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31)
    capa_reference = NoNulCharField(label=_("CAPA reference"), max_length=60)
    reason = reason_field()


class LotForm(ZonedForm):
    manufactured_on = _date()
    manufactured_on.label = _("Manufactured on")
    expires_at = LocalDateTimeField(seconds=True, label=_("Expires at (local time)"))
    concentration_cells_per_ml = FiniteFloatField(label=_("Viable cells per mL"), min_value=1, max_value=1e10,
                                                  help_text=_("e.g. 5e6"))
    unit_volume_ml = FiniteFloatField(label=_("Volume per unit (mL)"), min_value=0.1, max_value=1000)


class QcResultForm(forms.Form):
    analyte = forms.ChoiceField(label=_("Analyte"))
    value = NoNulCharField(label=_("Result"), max_length=60,
                           help_text=_("A number, '<X' below the reporting limit, or text such as 'no growth'"))
    unit = NoNulCharField(label=_("Unit"), max_length=20, required=False)
    method = NoNulCharField(label=_("Method"), max_length=120)
    analyst = NoNulCharField(label=_("Analyst"), max_length=120)
    tested_on = _date()
    tested_on.label = _("Tested on")

    def __init__(self, *args: Any, analytes: list[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["analyte"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = analytes


class CorrectResultForm(forms.Form):
    value = NoNulCharField(label=_("Result"), max_length=60)
    unit = NoNulCharField(label=_("Unit"), max_length=20, required=False)
    method = NoNulCharField(label=_("Method"), max_length=120)
    analyst = NoNulCharField(label=_("Analyst"), max_length=120)
    tested_on = _date()
    tested_on.label = _("Tested on")
    reason = reason_field()
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31)


class CloseInvestigationForm(forms.Form):
    conclusion = NoNulCharField(label=_("Conclusion"), max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))
    reason = reason_field()
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31)


class ReleaseForm(forms.Form):
    password = forms.CharField(label=_("Your password"), max_length=256,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    comment = NoNulCharField(label=_("Comment"), required=False, max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 2, "maxlength": 1000}))


class FillForm(forms.Form):
    count = forms.IntegerField(label=_("Number of units"), min_value=1, max_value=99)
    volume_ml = FiniteFloatField(label=_("Volume per unit (mL)"), required=False, min_value=0.1, max_value=1000)


class ShipForm(ZonedForm):
    units = forms.MultipleChoiceField(label=_("Units"), widget=forms.CheckboxSelectMultiple)
    destination = forms.ChoiceField(label=_("Destination site"))
    shipped_at = LocalDateTimeField(seconds=True, label=_("Shipped at (local time)"))
    logger_id = NoNulCharField(label=_("Data logger"), max_length=60, required=False)
    max_c = FiniteFloatField(label=_("Upper temperature limit (°C)"), initial=-150, min_value=-273, max_value=40)

    def __init__(self, *args: Any, units: list[tuple[str, str]], sites: list[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        u, s = self.fields["units"], self.fields["destination"]
        assert isinstance(u, forms.MultipleChoiceField) and isinstance(s, forms.ChoiceField)
        u.choices = units
        s.choices = sites


class TemperatureLogForm(forms.Form):
    log = forms.FileField(label=_("Logger CSV"), help_text=_("The data logger's export: a time column and a temperature column (°C); at most 5 MB."))


class CustodyForm(ZonedForm):
    event = forms.ChoiceField(label=_("Event"))
    occurred_at = LocalDateTimeField(seconds=True, label=_("When (local time)"))
    place = NoNulCharField(label=_("Where"), max_length=200, required=False,
                           help_text=_("e.g. Pharmacy LN2 dewar 2, ward 3 bedside"))
    notes = NoNulCharField(label=_("Notes"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args: Any, allowed: list[CustodyEvent], **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["event"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [(e.value, EVENT_LABELS[e]) for e in allowed]


EVENT_LABELS = {
    CustodyEvent.STORED: _("stored"),
    CustodyEvent.SHIPPED: _("shipped"),
    CustodyEvent.RECEIVED: _("received"),
    CustodyEvent.THAWED: _("thawed"),
    CustodyEvent.PREPARED: _("prepared"),
    CustodyEvent.ADMINISTERED: _("administered"),
    CustodyEvent.DESTROYED: _("destroyed"),
    CustodyEvent.RETURNED: _("returned"),
}


class AllocationForm(forms.Form):
    subject_id = NoNulCharField(label=_("Subject ID"), max_length=20, help_text=_("e.g. ASD-01-0007-Q"))

    def __init__(self, *args: Any, basis: str = "", **kwargs: Any):
        super().__init__(*args, **kwargs)
        if basis:
            self.fields["subject_id"].help_text = basis


class CancelAllocationForm(forms.Form):
    reason = NoNulCharField(label=_("Reason for cancelling"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class ShipmentDecisionForm(forms.Form):
    decision = forms.ChoiceField(label=_("Decision"), choices=[("accept", _("accept: the units may be used")),
                                                               ("reject", _("reject: the units are to be destroyed"))])
    reason = NoNulCharField(label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
    password = forms.CharField(label=_("Your password"), max_length=256,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))


class SpecificationForm(forms.Form):
    file = forms.FileField(label=_("Specification file"),
                           help_text=_("YAML or JSON in the release-specification format; at most 256 KB."))
    reason = NoNulCharField(label=_("Reason"), max_length=1000, required=False,
                            help_text=_("Change-control reference for the new version"))


class BedsideForm(forms.Form):
    site = forms.ChoiceField(label=_("Site"))
    scanned_unit = NoNulCharField(label=_("Scan the unit"), max_length=60,
                                  widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}))
    scanned_subject = NoNulCharField(label=_("Scan the wristband"), max_length=60,
                                     widget=forms.TextInput(attrs={"autocomplete": "off"}))

    def __init__(self, *args: Any, sites: list[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["site"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = sites


class AdministrationForm(ZonedForm):
    started_at = LocalDateTimeField(seconds=True, label=_("Started at (local time)"))
    stopped_at = LocalDateTimeField(seconds=True, label=_("Stopped at (local time)"))
    rate_ml_per_min = FiniteFloatField(label=_("Rate (mL/min)"), min_value=0.01, max_value=100)
    volume_ml = FiniteFloatField(label=_("Volume given (mL)"), min_value=0.01, max_value=1000)
    interruptions = NoNulCharField(label=_("Interruptions"), required=False, max_length=2000,
                                   widget=forms.Textarea(attrs={"rows": 2}),
                                   help_text=_("When, how long and why; empty if none"))
    notes = NoNulCharField(label=_("Notes"), required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2}))


class RecallForm(forms.Form):
    source_kind = forms.ChoiceField(label=_("Start from"), choices=[
        ("donor", _("donor")), ("batch", _("batch")), ("lot", _("lot")), ("material", _("material lot"))])
    source_ref = NoNulCharField(label=_("Reference"), max_length=60, help_text=_("Donor ID, batch code, lot ID or material lot number"))
    reason = NoNulCharField(label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
