"""Errors raised by CTCAE grading: each message names the field, the range and the unit."""

from __future__ import annotations

from celltrial.core.errors import InputError


class CtcaeInputError(InputError):
    """Input that cannot be graded (unknown term or unit, missing reference range, bad number)."""


class UnknownTermError(CtcaeInputError):
    """The term is not one this module grades."""


class UnknownUnitError(CtcaeInputError):
    """The unit is not accepted for this quantity."""


class MissingReferenceError(CtcaeInputError):
    """A reference value (ULN, LLN, duration) is needed to decide the grade but was not given."""
