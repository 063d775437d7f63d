"""Web forms: login, audit-trail filters, e-signature, site edit."""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _

from celltrial.accounts.models import Meaning
from celltrial.audit.models import Action


class LoginForm(AuthenticationForm):
    error_messages = {
        **AuthenticationForm.error_messages,
        "invalid_login": _("The username or password is not correct."),
        "locked": _("This account is locked after repeated failed attempts. Try again later or ask an administrator."),
    }

    def clean(self) -> dict[str, Any]:
        try:
            return super().clean()
        except forms.ValidationError:
            if getattr(self.request, "celltrial_locked", False):
                raise forms.ValidationError(self.error_messages["locked"], code="locked") from None
            raise


class AuditFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), required=False)
    username = forms.CharField(label=_("User"), required=False)
    action = forms.ChoiceField(label=_("Action"), required=False, choices=[("", "—"), *Action.choices])
    object_type = forms.CharField(label=_("Record type"), required=False)
    site = forms.CharField(label=_("Site"), required=False)
    date_from = forms.DateField(label=_("From (date)"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label=_("To (date)"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            self.add_error("date_to", _("The end date is before the start date."))
        return data


class SignForm(forms.Form):
    meaning = forms.ChoiceField(label=_("Meaning of signature"), choices=Meaning.choices, initial=Meaning.APPROVED)
    password = forms.CharField(label=_("Your password"), widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    comment = forms.CharField(label=_("Comment"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class SiteEditForm(forms.Form):
    principal_investigator = forms.CharField(label=_("Principal investigator"), max_length=200)
    name_en = forms.CharField(label=_("Name (English)"), max_length=200)
    name_zh = forms.CharField(label=_("Name (Chinese)"), max_length=200, required=False)
    timezone = forms.CharField(label=_("Time zone (IANA)"), max_length=64)
    reason = forms.CharField(label=_("Reason for change"), widget=forms.Textarea(attrs={"rows": 2}))
    version = forms.IntegerField(widget=forms.HiddenInput)

    def clean_timezone(self) -> str:
        import zoneinfo

        value = self.cleaned_data["timezone"].strip()
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise forms.ValidationError(_("Unknown time zone: use an IANA name such as Asia/Shanghai.")) from None
        return value
