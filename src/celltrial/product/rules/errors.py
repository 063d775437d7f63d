"""Errors raised by the product rules on bad input (never on a failing result)."""

from __future__ import annotations


class RuleInputError(ValueError):
    """Input to a product rule is unusable; the message names the field, the range and the unit."""


class SpecificationError(RuleInputError):
    """A release specification or donor rule set file is malformed."""
