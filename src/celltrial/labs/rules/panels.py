"""The lab panels of the default protocol's ``labs`` form and the analytes the CTCAE grader knows.

Each analyte names the ``labs`` form field it comes from (``forms/labs.yaml``), its SI unit (the unit it is
stored, flagged and graded in), the units a site may enter, the CTCAE v5.0 term the grader applies (none
for BUN, INR and APTT: the grading library has no row for them), and a plausible range in SI that refuses
typing errors (a value outside it is not a lab result: check the value and the unit).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from types import MappingProxyType

from celltrial.labs.rules import units as u


@dataclass(frozen=True)
class Analyte:
    code: str
    field: str  # the protocol's labs-form field
    panel: str
    label_en: str
    label_zh: str
    si_unit: str
    units: Mapping[str, tuple[str, Decimal]]
    plausible: tuple[Decimal, Decimal]
    ctcae_term: str = ""  # key in celltrial.safety.ctcae.LAB_TERMS
    decimals: int = 1

    @property
    def accepted_units(self) -> tuple[str, ...]:
        return u.accepted(self.units)

    def to_si(self, value: object, unit: str) -> Decimal:
        return u.to_si(value, unit, self.units)


@dataclass(frozen=True)
class Panel:
    code: str
    label_en: str
    label_zh: str
    analytes: tuple[str, ...]


def _a(code: str, field: str, panel: str, en: str, zh: str, si: str, units: Mapping[str, tuple[str, Decimal]],
       low: str, high: str, term: str = "", decimals: int = 1) -> Analyte:
    return Analyte(code, field, panel, en, zh, si, units, (Decimal(low), Decimal(high)), term, decimals)


ANALYTES: Mapping[str, Analyte] = MappingProxyType({a.code: a for a in (
    _a("WBC", "wbc", "haematology", "White blood cells", "白细胞计数", "×10⁹/L", u.CELL_COUNT, "0", "200", "wbc", 2),
    _a("ANC", "anc", "haematology", "Absolute neutrophil count", "中性粒细胞绝对计数", "×10⁹/L", u.CELL_COUNT,
       "0", "100", "neutrophils", 2),
    _a("ALC", "alc", "haematology", "Absolute lymphocyte count", "淋巴细胞绝对计数", "×10⁹/L", u.CELL_COUNT,
       "0", "100", "lymphocytes", 2),
    _a("HB", "hb", "haematology", "Haemoglobin", "血红蛋白", "g/L", u.HAEMOGLOBIN, "10", "250", "anemia", 0),
    _a("PLT", "plt", "haematology", "Platelets", "血小板计数", "×10⁹/L", u.CELL_COUNT, "0", "3000", "platelets", 0),
    _a("ALT", "alt", "chemistry", "ALT", "丙氨酸氨基转移酶（ALT）", "U/L", u.ENZYME, "0", "20000", "alt", 0),
    _a("AST", "ast", "chemistry", "AST", "天门冬氨酸氨基转移酶（AST）", "U/L", u.ENZYME, "0", "20000", "ast", 0),
    _a("TBIL", "tbil", "chemistry", "Total bilirubin", "总胆红素", "µmol/L", u.BILIRUBIN, "0", "1500", "bilirubin", 1),
    _a("CREAT", "creat", "chemistry", "Creatinine", "肌酐", "µmol/L", u.CREATININE, "1", "3000", "creatinine", 0),
    _a("BUN", "bun", "chemistry", "Blood urea nitrogen", "尿素氮", "mmol/L", u.UREA, "0", "150", "", 1),
    _a("INR", "inr", "coagulation", "INR", "国际标准化比值（INR）", "", u.RATIO, "0.3", "20", "", 2),
    _a("APTT", "aptt", "coagulation", "APTT", "活化部分凝血活酶时间（APTT）", "s", u.SECONDS, "5", "300", "", 1),
)})

PANELS: Mapping[str, Panel] = MappingProxyType({p.code: p for p in (
    Panel("haematology", "Haematology", "血常规", ("WBC", "ANC", "ALC", "HB", "PLT")),
    Panel("chemistry", "Blood chemistry", "血生化", ("ALT", "AST", "TBIL", "CREAT", "BUN")),
    Panel("coagulation", "Coagulation", "凝血功能", ("INR", "APTT")),
)})


def analyte(code: str) -> Analyte:
    found = ANALYTES.get((code or "").strip().upper())
    if found is None:
        raise u.UnitError(f"unknown analyte {code!r}; use one of: {', '.join(ANALYTES)}")
    return found


def analytes_of(panel: str | None = None) -> list[Analyte]:
    """Every analyte, in panel order (or those of one panel)."""
    codes = [c for p in PANELS.values() if panel in (None, p.code) for c in p.analytes]
    return [ANALYTES[c] for c in codes]
