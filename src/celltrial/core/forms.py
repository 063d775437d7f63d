"""Form helpers every room's pages share."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from celltrial.core.errors import ValidationFailed

REASON_MAX = 1000


def show_errors(form: forms.Form, exc: ValidationFailed) -> None:
    """Put a service's field errors on the form, so the page shows them beside what the user typed."""
    for name, errs in exc.errors.items():
        form.add_error(name if name in form.fields else None, errs)


def reason_field(**kwargs: Any) -> forms.CharField:
    """The reason for a change: required, with its limit stated beside it."""
    return forms.CharField(
        label=_("Reason for change"), max_length=REASON_MAX,
        help_text=_("Required; at most 1000 characters."),
        widget=forms.Textarea(attrs={"rows": 2, "maxlength": REASON_MAX}), **kwargs)


class NoNulCharField(forms.CharField):
    """A text field that refuses NUL and other control characters with a message, not a 500."""

    default_error_messages = {"control": _("Remove the control characters from this text.")}

    def to_python(self, value: Any) -> Any:
        text = super().to_python(value)
        if isinstance(text, str) and any(ord(c) < 32 and c not in "\t\n\r" for c in text):
            raise forms.ValidationError(self.error_messages["control"], code="control")
        return text
