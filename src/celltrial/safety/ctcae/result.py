"""The result of grading: what was graded, the grade, under which CTCAE version, and why."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

CTCAE_VERSION = "5.0"
CTCAE_CITATION = "NCI Common Terminology Criteria for Adverse Events (CTCAE) v5.0, published 27 Nov 2017"


def format_number(value: Decimal) -> str:
    """Plain decimal text without exponent or trailing zeros, at most 4 decimals."""
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -4:
        value = value.quantize(Decimal("0.0001"))
    text = format(value.normalize(), "f")
    return "0" if text == "-0" else text


@dataclass(frozen=True)
class GradeResult:
    """One CTCAE grade with its evidence.

    ``suggested`` is True for clinical terms: the grade is proposed from structured findings and
    the investigator confirms it; laboratory and fever grades are computed from the value.
    """

    term: str
    term_name: str
    grade: int
    criterion: str
    version: str = CTCAE_VERSION
    suggested: bool = False
    value: Decimal | None = None
    unit: str | None = None
    source: str = CTCAE_CITATION
    findings: tuple[str, ...] = field(default_factory=tuple)

    def to_dict(self) -> dict[str, Any]:
        return {
            "term": self.term,
            "term_name": self.term_name,
            "grade": self.grade,
            "version": self.version,
            "suggested": self.suggested,
            "criterion": self.criterion,
            "value": None if self.value is None else format_number(self.value),
            "unit": self.unit,
            "findings": list(self.findings),
            "source": self.source,
        }
