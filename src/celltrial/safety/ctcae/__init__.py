"""CTCAE v5.0 grading (pure): laboratory values, fever, and clinical terms by suggested grade.

Every result carries the CTCAE version ("5.0"), the term, the grade and the criterion that
matched, in words. Source: NCI CTCAE v5.0 (27 Nov 2017); laboratory boundaries confirmed against
pharmaverse/admiral ``ncictcaev5.json``. See docs/rules.md.
"""

from __future__ import annotations

from celltrial.safety.ctcae.clinical import (
    CLINICAL_TERMS,
    ClinicalTerm,
    Finding,
    GradeDefinition,
    suggest_grade,
)
from celltrial.safety.ctcae.errors import (
    CtcaeInputError,
    MissingReferenceError,
    UnknownTermError,
    UnknownUnitError,
)
from celltrial.safety.ctcae.fever import grade_fever
from celltrial.safety.ctcae.lab import LAB_TERMS, Direction, LabTerm, grade_lab
from celltrial.safety.ctcae.result import CTCAE_VERSION, GradeResult
from celltrial.safety.ctcae.terms import TermSummary, grade, list_terms, resolve_term
from celltrial.safety.ctcae.units import Quantity, convert

__all__ = [
    "CLINICAL_TERMS",
    "CTCAE_VERSION",
    "LAB_TERMS",
    "ClinicalTerm",
    "CtcaeInputError",
    "Direction",
    "Finding",
    "GradeDefinition",
    "GradeResult",
    "LabTerm",
    "MissingReferenceError",
    "Quantity",
    "TermSummary",
    "UnknownTermError",
    "UnknownUnitError",
    "convert",
    "grade",
    "grade_fever",
    "grade_lab",
    "list_terms",
    "resolve_term",
    "suggest_grade",
]
