"""Study forms: e-signature of a site's activation, site edit."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from celltrial.core.forms import NoNulCharField, reason_field


class SignForm(forms.Form):
    meaning = forms.ChoiceField(label=_("Meaning of signature"))
    password = forms.CharField(label=_("Your password"), max_length=256,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    comment = NoNulCharField(label=_("Comment"), required=False, max_length=1000,
                             widget=forms.Textarea(attrs={"rows": 2, "maxlength": 1000}))

    def __init__(self, *args: Any, meanings: list[tuple[str, Any]], **kwargs: Any):
        super().__init__(*args, **kwargs)
        field = self.fields["meaning"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = meanings
        field.initial = meanings[0][0] if meanings else None


class SiteEditForm(forms.Form):
    principal_investigator = NoNulCharField(label=_("Principal investigator"), max_length=200)
    name_en = NoNulCharField(label=_("Name (English)"), max_length=200)
    name_zh = NoNulCharField(label=_("Name (Chinese)"), max_length=200, required=False)
    timezone = NoNulCharField(label=_("Time zone (IANA)"), max_length=64)
    reason = reason_field()
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=2**31)
    confirm = forms.BooleanField(required=False, widget=forms.HiddenInput)

    def clean_timezone(self) -> str:
        value = self.cleaned_data["timezone"].strip()
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            raise forms.ValidationError(_("Unknown time zone: use an IANA name such as Asia/Shanghai.")) from None
        return value
