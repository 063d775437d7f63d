"""Errors raised when instrument input cannot be scored.

Every error is a ``ValueError`` whose message names the instrument, the field (item number or
entered score) and the allowed range, so a coordinator can correct the entry without help.
"""

from __future__ import annotations

from celltrial.core.errors import InputError


class InstrumentInputError(InputError):
    """Input to an instrument scorer is invalid; the message says which field and what range."""


class ItemCountError(InstrumentInputError):
    """The item vector has the wrong length for the instrument (e.g. 57 items for the 58-item ABC)."""


class ItemValueError(InstrumentInputError):
    """An item or entered score is outside the instrument's allowed values."""


class MissingItemError(InstrumentInputError):
    """Items are missing and the instrument's stated rule is to refuse rather than prorate."""


class ScoringKeyError(InstrumentInputError):
    """A scoring key the instrument needs (and that we do not ship) is absent or malformed."""


class NotEvaluableError(InstrumentInputError):
    """A derived quantity is undefined for this input (e.g. percent change from a baseline of 0)."""
