"""Form helpers every room's pages share."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from collections.abc import Callable
from typing import Any

from django import forms
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from celltrial.core.errors import AccessDenied, ConflictError, ValidationFailed

REASON_MAX = 1000


def show_errors(form: forms.Form, exc: ValidationFailed) -> None:
    """Put a service's field errors on the form, so the page shows them beside what the user typed."""
    for name, errs in exc.errors.items():
        form.add_error(name if name in form.fields else None, errs)


def attempt(form: forms.Form, action: Callable[[], Any], *, conflict_on_form: bool = False) -> tuple[bool, Any]:
    """Run a service call for a page: ``(True, result)``, or ``(False, None)`` with the refusal put beside the
    fields it names. A refused permission is a 403. A stale save (ConflictError) goes to the form as an error
    with ``conflict_on_form``; otherwise it is the caller's, to show both versions."""
    try:
        return True, action()
    except ValidationFailed as exc:
        show_errors(form, exc)
        return False, None
    except ConflictError as exc:
        if not conflict_on_form:
            raise
        form.add_error(None, str(exc))
        return False, None
    except AccessDenied as exc:
        raise PermissionDenied(str(exc)) from exc


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


class LocalDateTimeField(forms.DateTimeField):
    """A date and time typed in the site's zone (``datetime-local``), stored in UTC; ``seconds`` for records
    whose order within a minute matters (a custody event may follow the one before it by seconds)."""

    input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]

    def __init__(self, *args: Any, seconds: bool = False, **kwargs: Any):
        if "widget" not in kwargs:
            kwargs["widget"] = forms.DateTimeInput(
                attrs={"type": "datetime-local", **({"step": "1"} if seconds else {})},
                format="%Y-%m-%dT%H:%M:%S" if seconds else "%Y-%m-%dT%H:%M")
        super().__init__(*args, **kwargs)
        self.zone: dt.tzinfo = dt.UTC  # set by ZonedForm to the site's zone

    def to_python(self, value: Any) -> dt.datetime | None:
        parsed = super().to_python(value)
        if parsed is None:
            return None
        if timezone.is_aware(parsed):
            parsed = timezone.make_naive(parsed, dt.UTC)
        return parsed.replace(tzinfo=self.zone)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, dt.datetime) and timezone.is_aware(value):
            return value.astimezone(self.zone).replace(tzinfo=None)
        return value


class ZonedForm(forms.Form):
    """A form whose date-times are read in ``zone`` (the site's, or Asia/Shanghai for the manufacturer)."""

    def __init__(self, *args: Any, zone: str = "Asia/Shanghai", **kwargs: Any):
        super().__init__(*args, **kwargs)
        tz = zoneinfo.ZoneInfo(zone)
        for field in self.fields.values():
            if isinstance(field, LocalDateTimeField):
                field.zone = tz

