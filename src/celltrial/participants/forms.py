"""Forms of the participants pages. The services validate again; these keep what the user typed and
put each refusal beside its field."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from celltrial.core.forms import NoNulCharField, reason_field
from celltrial.participants.models import (
    AgeBand,
    ConsentMethod,
    DocumentKind,
    IdType,
    Language,
    PrescreenOutcome,
    ReferralSource,
    WithdrawalScope,
)

DATE = {"type": "date"}
DATETIME = {"type": "datetime-local"}


def _date(label: Any, *, required: bool = True, **kwargs: Any) -> forms.DateField:
    return forms.DateField(label=label, required=required, widget=forms.DateInput(attrs=DATE, format="%Y-%m-%d"),
                           **kwargs)


class PrescreeningForm(forms.Form):
    site = forms.ChoiceField(label=_("Site"))
    logged_on = _date(_("Date"))
    referral_source = forms.ChoiceField(label=_("Referral source"), choices=ReferralSource.choices)
    age_band = forms.ChoiceField(label=_("Age band"), choices=AgeBand.choices)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=PrescreenOutcome.choices)
    reason = NoNulCharField(label=_("Reason"), required=False, max_length=500,
                            help_text=_("No names, phone or ID numbers: the log holds no personal data."),
                            widget=forms.Textarea(attrs={"rows": 2, "maxlength": 500}))

    def __init__(self, *args: Any, sites: list[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["site"].choices = sites  # type: ignore[attr-defined]


class IdentityFields(forms.Form):
    full_name = NoNulCharField(label=_("Child's name"), max_length=100)
    date_of_birth = _date(_("Date of birth"))
    sex = forms.ChoiceField(label=_("Sex"), choices=[("1", _("Male")), ("2", _("Female"))])
    id_type = forms.ChoiceField(label=_("Identity document"), choices=IdType.choices)
    id_number = NoNulCharField(label=_("ID number"), max_length=32, required=False)
    address = NoNulCharField(label=_("Address"), max_length=300, required=False)
    guardian1_name = NoNulCharField(label=_("Guardian 1: name"), max_length=100)
    guardian1_relationship = NoNulCharField(label=_("Guardian 1: relationship to the child"), max_length=40)
    guardian1_phone = NoNulCharField(label=_("Guardian 1: phone"), max_length=32,
                                     widget=forms.TextInput(attrs={"inputmode": "tel"}))
    guardian2_name = NoNulCharField(label=_("Guardian 2: name"), max_length=100, required=False)
    guardian2_relationship = NoNulCharField(label=_("Guardian 2: relationship"), max_length=40, required=False)
    guardian2_phone = NoNulCharField(label=_("Guardian 2: phone"), max_length=32, required=False,
                                     widget=forms.TextInput(attrs={"inputmode": "tel"}))

    def identity(self) -> dict[str, Any]:
        data = {k: self.cleaned_data.get(k) for k in IdentityFields.base_fields}
        born = data.get("date_of_birth")
        if born is not None:
            data["date_of_birth"] = born.isoformat()
        return data


class ScreenForm(IdentityFields):
    site = forms.ChoiceField(label=_("Site"))
    screened_on = _date(_("Screening date"))
    consent_language = forms.ChoiceField(label=_("Consent language"), choices=Language.choices)
    prescreening = forms.TypedChoiceField(label=_("Pre-screening entry"), required=False, coerce=int,
                                          empty_value=None)

    field_order = ["site", "screened_on", "consent_language", "prescreening"]

    def __init__(self, *args: Any, sites: list[tuple[str, str]], prescreenings: list[tuple[Any, str]],
                 **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["site"].choices = sites  # type: ignore[attr-defined]
        self.fields["prescreening"].choices = [("", "—"), *prescreenings]  # type: ignore[attr-defined]


class IdentityEditForm(IdentityFields):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)
    reason = reason_field()


class SignForm(forms.Form):
    password = forms.CharField(label=_("Your password"), max_length=256,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    comment = NoNulCharField(label=_("Comment"), required=False, max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 2, "maxlength": 1000}))


class ConsentForm(forms.Form):
    kind = forms.ChoiceField(label=_("Consent of"), choices=[("guardian", _("Guardian")), ("assent", _("Child (assent)"))])
    guardian_slot = forms.TypedChoiceField(label=_("Guardian"), coerce=int, required=False, empty_value=None)
    document = forms.TypedChoiceField(label=_("Form version"), coerce=int)
    obtained_at = forms.DateTimeField(label=_("Obtained at (site time)"),
                                      widget=forms.DateTimeInput(attrs=DATETIME, format="%Y-%m-%dT%H:%M"))
    method = forms.ChoiceField(label=_("Method"), choices=ConsentMethod.choices)
    outcome = forms.ChoiceField(label=_("Outcome"), choices=[
        ("given", _("Given")), ("declined", _("Declined")),
        ("not_obtainable", _("Could not be obtained (child's assent only)"))])
    not_obtainable_reason = NoNulCharField(label=_("Why assent could not be obtained"), required=False,
                                           max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))
    guardian_can_read = forms.BooleanField(label=_("The guardian can read the form"), required=False, initial=True)
    witness_name = NoNulCharField(label=_("Witness"), required=False, max_length=100,
                                  help_text=_("Required for verbal or pictorial assent, and when a guardian cannot read."))
    scan = forms.FileField(label=_("Scan of the signed paper form"), required=False,
                           help_text=_("PDF, JPEG or PNG, at most 20 MB. Or sign below with your password."))
    password = forms.CharField(label=_("Your password (e-signature of the person obtaining consent)"),
                               max_length=256, required=False,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))

    def __init__(self, *args: Any, guardians: list[tuple[int, str]], documents: list[tuple[int, str]],
                 **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["guardian_slot"].choices = [("", "—"), *guardians]  # type: ignore[attr-defined]
        self.fields["document"].choices = documents  # type: ignore[attr-defined]


class ScanForm(forms.Form):
    scan = forms.FileField(label=_("Scan of the signed paper form"))
    reason = reason_field()


class DissentForm(forms.Form):
    occurred_at = forms.DateTimeField(label=_("When (site time)"),
                                      widget=forms.DateTimeInput(attrs=DATETIME, format="%Y-%m-%dT%H:%M"))
    context = NoNulCharField(label=_("During which procedure"), max_length=200)
    description = NoNulCharField(label=_("What the child said or showed"), required=False, max_length=1000,
                                 widget=forms.Textarea(attrs={"rows": 2}))


class ResolveForm(forms.Form):
    note = NoNulCharField(label=_("Why procedures may resume"), max_length=1000,
                          widget=forms.Textarea(attrs={"rows": 2}))


class WithdrawForm(forms.Form):
    withdrawn_on = _date(_("Date of withdrawal"))
    requested_by = forms.ChoiceField(label=_("Requested by"), choices=[
        ("guardian", _("Guardian")), ("child", _("Child")), ("investigator", _("Investigator")),
        ("sponsor", _("Sponsor"))])
    scope = forms.ChoiceField(label=_("Scope"), choices=WithdrawalScope.choices, widget=forms.RadioSelect)
    data_use_allowed = forms.TypedChoiceField(label=_("May the data collected so far be used?"),
                                              choices=[("1", _("Yes")), ("0", _("No"))], coerce=lambda v: v == "1",
                                              widget=forms.RadioSelect)
    reason = NoNulCharField(label=_("Reason"), max_length=1000, widget=forms.Textarea(attrs={"rows": 2}))


class EnrolForm(forms.Form):
    day0 = _date(_("Planned dosing day (Day 0)"), required=False,
                 help_text=_("Optional: the visit calendar is dated once it is set."))


class DosingDayForm(forms.Form):
    day0 = _date(_("Dosing day (Day 0)"))
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)
    reason = reason_field()


class DosedForm(forms.Form):
    dosed_on = _date(_("Dosed on"))


class VisitForm(forms.Form):
    actual_date = _date(_("Date of the visit"), required=False)
    missed = forms.BooleanField(label=_("Missed"), required=False)
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31 - 1)


class RescreenForm(forms.Form):
    screened_on = _date(_("Screening date"))
    reason = NoNulCharField(label=_("Why the child is screened again"), max_length=1000,
                            widget=forms.Textarea(attrs={"rows": 2}))


class ConsentDocumentForm(forms.Form):
    site = forms.ChoiceField(label=_("Site"))
    kind = forms.ChoiceField(label=_("Form"), choices=DocumentKind.choices)
    language = forms.ChoiceField(label=_("Language"), choices=Language.choices)
    version = NoNulCharField(label=_("Version"), max_length=32)
    ec_approved_on = _date(_("Ethics committee approval"))
    valid_from = _date(_("Valid from"))
    valid_until = _date(_("Valid until"), required=False)
    file = forms.FileField(label=_("Approved form (PDF)"))

    def __init__(self, *args: Any, sites: list[tuple[str, str]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["site"].choices = sites  # type: ignore[attr-defined]


def screening_form(form: Any, lang: str, *, data: Any = None, initial: dict[str, Any] | None = None,
                   prefix: str | None = None) -> forms.Form:
    """A page form for one form of the data dictionary (what the services check again)."""
    fields: dict[str, forms.Field] = {}
    for f in form.fields:
        if f.type in ("calc", "descriptive") or f.identifier:
            continue
        label = f.label.get(lang) + (f" ({f.units})" if f.units else "")
        help_text = f.note.get(lang) if f.note else ""
        if f.type in ("yesno",):
            fields[f.name] = forms.ChoiceField(label=label, required=False, help_text=help_text,
                                               choices=[("", "—"), ("1", _("Yes")), ("0", _("No"))])
        elif f.type in ("radio", "dropdown"):
            fields[f.name] = forms.ChoiceField(label=label, required=False, help_text=help_text,
                                               choices=[("", "—"), *[(c.code, c.label.get(lang)) for c in f.choices or ()]])
        elif f.type == "checkbox":
            fields[f.name] = forms.MultipleChoiceField(label=label, required=False, help_text=help_text,
                                                       widget=forms.CheckboxSelectMultiple,
                                                       choices=[(c.code, c.label.get(lang)) for c in f.choices or ()])
        elif f.type == "notes":
            fields[f.name] = forms.CharField(label=label, required=False, help_text=help_text, strip=False,
                                             widget=forms.Textarea(attrs={"rows": 2}))
        elif f.type == "date":
            fields[f.name] = forms.CharField(label=label, required=False, help_text=help_text,
                                             widget=forms.DateInput(attrs=DATE))
        else:
            attrs = {"inputmode": "decimal"} if f.type in ("number", "integer") else {}
            fields[f.name] = forms.CharField(label=label, required=False, help_text=help_text, strip=False,
                                             widget=forms.TextInput(attrs=attrs))
    fields["version"] = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=0, max_value=2**31 - 1)
    fields["reason"] = forms.CharField(label=_("Reason for change"), required=False, max_length=1000,
                                       help_text=_("Required when changing a saved form; at most 1000 characters."),
                                       widget=forms.Textarea(attrs={"rows": 1, "maxlength": 1000}))
    cls = type(f"Form_{form.name}", (forms.Form,), fields)
    return cls(data=data, initial=initial, prefix=prefix)
