"""The error types every room and command shares.

:class:`InputError` is the one base of "the input was refused": the ``celltrial`` command turns it
into exit status 2 and one line; the web pages show its messages beside the field; the API
answers 422. Each pure library derives its own errors from it (protocol, logic, CTCAE, clocks,
instruments, product rules, identifiers).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any


class InputError(ValueError):
    """Input refused: the message says what was wrong in words a coordinator understands."""


class ValidationFailed(InputError):
    """Input refused field by field; ``errors`` maps each field to its messages."""

    def __init__(self, errors: Mapping[str, list[str]] | str):
        if isinstance(errors, str):
            errors = {"__all__": [errors]}
        self.errors = {k: [str(m) for m in v] for k, v in errors.items()}
        super().__init__("; ".join(f"{k}: {' '.join(v)}" if k != "__all__" else " ".join(v)
                                   for k, v in self.errors.items()))


class NothingChanged(InputError):
    """A save that would change nothing: said so, instead of writing an empty entry."""


@dataclass
class ConflictError(Exception):
    """A save based on a stale version: both versions are kept so the user can compare them."""

    instance_label: str
    expected_version: int
    current_version: int
    current_values: dict[str, Any] = field(default_factory=dict)
    attempted_values: dict[str, Any] = field(default_factory=dict)
    message: str = ""

    def __str__(self) -> str:
        return self.message or (
            f"{self.instance_label} was changed by someone else (you edited version {self.expected_version}, "
            f"it is now version {self.current_version}). Review both versions and save again."
        )


class AccessDenied(PermissionError):
    """The acting user's roles do not allow the operation at that site (deny by default)."""

    def __init__(self, permission: str, site_code: str | None = None):
        self.permission = permission
        self.site_code = site_code
        where = f" at site {site_code}" if site_code else ""
        super().__init__(f"{permission} is not allowed{where}")
