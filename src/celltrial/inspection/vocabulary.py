"""The audit trail in the reader's language: actions, record types, field names and stored reasons.

Entries store stable codes and English text (``study.site``, ``principal_investigator``, "declared
by the protocol"); they are translated where they are shown, never rewritten.
"""

from __future__ import annotations

from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from celltrial.accounts.roles import ROLE_LABELS, Role
from celltrial.audit.models import Action

_EVENT_TYPES = {"accounts.login": gettext_lazy("login attempt")}
# Keys of entries that are not model fields (a signature or its voiding).
_KEYS = {"signature": gettext_lazy("signature"), "meaning": gettext_lazy("meaning")}


def action_label(code: str) -> str:
    try:
        return str(Action(code).label)
    except ValueError:
        return code


def role_label(code: str) -> str:
    """The role an entry was made in, in the reader's language; a code no role has (the platform's own
    entries) as stored."""
    try:
        return str(ROLE_LABELS[Role(code)])
    except ValueError:
        return code


def record_type_label(object_type: str) -> str:
    if object_type in _EVENT_TYPES:
        return str(_EVENT_TYPES[object_type])
    try:
        model = apps.get_model(object_type)
    except (LookupError, ValueError):
        return object_type
    return str(model._meta.verbose_name)


def field_label(object_type: str, name: str) -> str:
    try:
        model = apps.get_model(object_type)
        field: Any = model._meta.get_field(name.removesuffix("_id") if name.endswith("_id") else name)
    except (LookupError, ValueError, FieldDoesNotExist):
        return str(_KEYS[name]) if name in _KEYS else name
    return str(getattr(field, "verbose_name", name))



def reason_text(reason: str) -> str:
    """A stored reason: the platform's own (English msgids) translated; a person's words as typed."""
    return _(reason) if reason else ""
