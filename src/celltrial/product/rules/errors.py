"""Errors raised by the product rules on bad input (never on a failing result)."""

from __future__ import annotations

from collections.abc import Sequence

from celltrial.core.errors import InputError
from celltrial.study.protocol.errors import Issue


class RuleInputError(InputError):
    """Input to a product rule is unusable; the message names the field, the range and the unit."""


class SpecificationError(RuleInputError):
    """A release specification or donor rule set file is malformed.

    ``issues`` lists every problem found, each with its file, line (None for JSON and for mappings
    built in code) and dotted field, e.g. ``spec.yaml:20: wieght_cap_kg: unknown key``; the message
    is all of them on one line.
    """

    def __init__(self, message: str, issues: Sequence[Issue] = ()):
        self.issues = list(issues)
        super().__init__(message)

    @classmethod
    def from_issues(cls, issues: Sequence[Issue]) -> SpecificationError:
        return cls("; ".join(str(issue) for issue in issues), issues)
