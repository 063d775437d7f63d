"""The terms this module grades, their aliases, and a one-call dispatcher."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from types import MappingProxyType

from celltrial.safety.ctcae.clinical import CLINICAL_TERMS, ClinicalTerm, suggest_grade
from celltrial.safety.ctcae.errors import CtcaeInputError, UnknownTermError
from celltrial.safety.ctcae.fever import FEVER_NAME, FEVER_SOC, grade_fever
from celltrial.safety.ctcae.lab import LAB_TERMS, LabTerm, grade_lab
from celltrial.safety.ctcae.result import GradeResult

# Everyday names a coordinator types, mapped to the term key.
ALIASES: Mapping[str, str] = MappingProxyType(
    {
        "sgpt": "alt",
        "alanine_aminotransferase": "alt",
        "sgot": "ast",
        "aspartate_aminotransferase": "ast",
        "tbil": "bilirubin",
        "total_bilirubin": "bilirubin",
        "cr": "creatinine",
        "scr": "creatinine",
        "anc": "neutrophils",
        "neutrophil": "neutrophils",
        "plt": "platelets",
        "platelet": "platelets",
        "anaemia": "anemia",
        "haemoglobin": "anemia",
        "hemoglobin": "anemia",
        "hb": "anemia",
        "hgb": "anemia",
        "white_blood_cells": "wbc",
        "leukocytes": "wbc",
        "alc": "lymphocytes",
        "lymphocyte": "lymphocytes",
        "temperature": "fever",
        "irr": "infusion_related_reaction",
        "infusion_reaction": "infusion_related_reaction",
        "allergy": "allergic_reaction",
        "isr": "injection_site_reaction",
    }
)


@dataclass(frozen=True)
class TermSummary:
    key: str
    name: str
    kind: str  # "laboratory", "vital sign" or "clinical"
    unit: str | None
    verified: bool
    note: str


def _key(name: str) -> str:
    text = name.strip().lower().replace("-", "_").replace(" ", "_")
    return ALIASES.get(text, text)


def all_term_keys() -> tuple[str, ...]:
    return (*LAB_TERMS, "fever", *CLINICAL_TERMS)


def resolve_term(name: str) -> str:
    """Term key for ``name`` (a key, alias or CTCAE term name, any case, - or _ or spaces)."""
    key = _key(name)
    if key in LAB_TERMS or key in CLINICAL_TERMS or key == "fever":
        return key
    for lab in LAB_TERMS.values():
        if _key(lab.name) == key:
            return lab.key
    for clinical in CLINICAL_TERMS.values():
        if _key(clinical.name) == key:
            return clinical.key
    raise UnknownTermError(f"unknown CTCAE term {name!r}; known: {', '.join(all_term_keys())}")


def resolve_lab_term(name: str) -> LabTerm:
    key = resolve_term(name)
    if key not in LAB_TERMS:
        raise UnknownTermError(f"{name!r} is not a laboratory term; known: {', '.join(LAB_TERMS)}")
    return LAB_TERMS[key]


def resolve_clinical_term(name: str) -> ClinicalTerm:
    key = resolve_term(name)
    if key not in CLINICAL_TERMS:
        raise UnknownTermError(f"{name!r} is not a clinical term; known: {', '.join(CLINICAL_TERMS)}")
    return CLINICAL_TERMS[key]


def list_terms() -> tuple[TermSummary, ...]:
    """Every gradable term, laboratory first, with its canonical unit and provenance flag."""
    rows = [
        TermSummary(lab.key, lab.name, "laboratory", lab.unit, True, lab.note) for lab in LAB_TERMS.values()
    ]
    rows.append(
        TermSummary(
            "fever", FEVER_NAME, "vital sign", "°C", True, f"{FEVER_SOC}; duration needed above 40.0 °C"
        )
    )
    rows.extend(
        TermSummary(c.key, c.name, "clinical", None, c.verified, c.note or c.provenance)
        for c in CLINICAL_TERMS.values()
    )
    return tuple(rows)


def grade(
    term: str,
    value: object | None = None,
    unit: str | None = None,
    *,
    uln: object | None = None,
    lln: object | None = None,
    baseline: object | None = None,
    duration_hours: object | None = None,
    findings: Iterable[str] = (),
) -> GradeResult:
    """Grade any supported term: a lab value, a temperature, or clinical findings."""
    key = resolve_term(term)
    findings = tuple(findings)
    if key in CLINICAL_TERMS:
        if value is not None:
            raise CtcaeInputError(f"{CLINICAL_TERMS[key].name} is graded from findings, not a value")
        return suggest_grade(key, findings)
    if findings:
        raise CtcaeInputError(f"{key} is graded from a value; findings apply to clinical terms only")
    if value is None:
        raise CtcaeInputError(f"{key}: a value is required")
    if key == "fever":
        return grade_fever(value, unit or "°C", duration_hours=duration_hours)
    lab = LAB_TERMS[key]
    if unit is None:
        raise CtcaeInputError(f"{lab.name}: a unit is required (e.g. {lab.unit})")
    return grade_lab(lab, value, unit, uln=uln, lln=lln, baseline=baseline)
