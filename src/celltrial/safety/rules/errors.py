"""The one input error of the pure safety rules."""

from __future__ import annotations

from celltrial.core.errors import InputError


class SafetyRuleError(InputError):
    """Input the safety rules cannot work with; the message names the field."""
