"""Fields declared personal data: their values never enter audit entries, signatures, logs or exports.

    full_name = personal(models.CharField(max_length=200))

The audit entry of a change to such a field records that it changed, not the value.
"""

from __future__ import annotations

from typing import Any, TypeVar

F = TypeVar("F")

PERSONAL = "‹personal data›"


def personal(field: F) -> F:
    """Mark a model field as personal data."""
    field.personal_data = True  # type: ignore[attr-defined]
    return field


def is_personal(field: Any) -> bool:
    return bool(getattr(field, "personal_data", False))


def personal_field_names(model: Any) -> frozenset[str]:
    return frozenset(masks(model))


def masks(model: Any) -> dict[str, str]:
    """Each personal or secret field of ``model`` (by name and attname) with the marker shown for it."""
    return {name: mask(f) for f in model._meta.concrete_fields if is_personal(f) for name in (f.name, f.attname)}


SECRET = "‹secret›"


def secret(field: F) -> F:
    """Mark a field as a secret (a password hash, a token digest): only the fact of a change is audited."""
    field.personal_data = True  # type: ignore[attr-defined]
    field.secret = True  # type: ignore[attr-defined]
    return field


def mask(field: Any) -> str:
    return SECRET if getattr(field, "secret", False) else PERSONAL
