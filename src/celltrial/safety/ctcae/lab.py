"""CTCAE v5.0 laboratory grading for the analytes this trial monitors.

Source of every threshold: NCI CTCAE v5.0 (27 Nov 2017), SOC "Investigations" and "Blood and
lymphatic system disorders", as transcribed in pharmaverse/admiral
``data-raw/adlb_grading/ncictcaev5.json`` (read to confirm boundaries; no code taken).

Conventions, from the CTCAE table layout:
- ">a – b" means a < x ≤ b, so an increased-term threshold is strict ("> 3.0 × ULN");
- "<a – b" means b ≤ x < a, so a decreased-term threshold is strict ("< 1.5 × 10^9/L");
- the one inclusive lower edge is ALT/AST Grade 1 with abnormal baseline, "1.5 – 3.0 × baseline"
  (no ">"), i.e. x ≥ 1.5 × baseline;
- the grade is the highest grade whose criterion is met; no criterion met is Grade 0.

Reference values: ULN/LLN must be the site laboratory's age- and sex-specific limits (children's
creatinine ULN is far below the adult one, which is why the creatinine baseline multiple often
gives the higher grade). ULN/LLN are demanded only when the grade depends on them (e.g. an ANC of
0.4 × 10^9/L is Grade 4 whatever the LLN). A baseline is optional: for ALT, AST and bilirubin it
switches to the "baseline abnormal" series when it is above the ULN; for creatinine its multiples
are a second route to Grades 2–3.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from types import MappingProxyType

from celltrial.safety.ctcae.errors import CtcaeInputError, MissingReferenceError
from celltrial.safety.ctcae.result import CTCAE_CITATION, GradeResult, format_number
from celltrial.safety.ctcae.units import Quantity, canonical_unit, to_canonical, to_decimal


class Direction(Enum):
    INCREASED = "increased"
    DECREASED = "decreased"


class Reference(Enum):
    """What a threshold multiplies."""

    ULN = "ULN"
    LLN = "LLN"
    BASELINE = "baseline"
    ABSOLUTE = "absolute"


class BaselineState(Enum):
    """When a threshold applies (ALT, AST, bilirubin switch series on an abnormal baseline)."""

    ANY = "any"
    NORMAL = "baseline normal"
    ABNORMAL = "baseline abnormal"


@dataclass(frozen=True)
class Threshold:
    grade: int
    reference: Reference
    factor: Decimal  # multiple of the reference; for ABSOLUTE the limit in the canonical unit
    inclusive: bool = False
    when: BaselineState = BaselineState.ANY


@dataclass(frozen=True)
class LabTerm:
    key: str
    name: str
    soc: str
    direction: Direction
    quantity: Quantity
    thresholds: tuple[Threshold, ...]
    grade_text: Mapping[int, str]  # CTCAE v5.0 row, grade by grade (criteria, not prose)
    baseline_switches_series: bool = False
    note: str = ""

    @property
    def unit(self) -> str:
        return canonical_unit(self.quantity)


def _t(
    grade: int,
    reference: Reference,
    factor: str,
    *,
    inclusive: bool = False,
    when: BaselineState = BaselineState.ANY,
) -> Threshold:
    return Threshold(grade, reference, Decimal(factor), inclusive, when)


_N, _A = BaselineState.NORMAL, BaselineState.ABNORMAL
_ULN, _LLN, _BL, _ABS = Reference.ULN, Reference.LLN, Reference.BASELINE, Reference.ABSOLUTE


def _aminotransferase(key: str, name: str, short: str) -> LabTerm:
    # CTCAE v5.0 "Alanine/Aspartate aminotransferase increased" rows.
    return LabTerm(
        key=key,
        name=name,
        soc="Investigations",
        direction=Direction.INCREASED,
        quantity=Quantity.ENZYME_ACTIVITY,
        thresholds=(
            _t(1, _ULN, "1", when=_N),
            _t(2, _ULN, "3.0", when=_N),
            _t(3, _ULN, "5.0", when=_N),
            _t(4, _ULN, "20.0", when=_N),
            _t(1, _BL, "1.5", inclusive=True, when=_A),
            _t(2, _BL, "3.0", when=_A),
            _t(3, _BL, "5.0", when=_A),
            _t(4, _BL, "20.0", when=_A),
        ),
        grade_text=MappingProxyType(
            {
                1: ">ULN – 3.0 × ULN if baseline normal; 1.5 – 3.0 × baseline if baseline abnormal",
                2: ">3.0 – 5.0 × ULN if baseline normal; >3.0 – 5.0 × baseline if baseline abnormal",
                3: ">5.0 – 20.0 × ULN if baseline normal; >5.0 – 20.0 × baseline if baseline abnormal",
                4: ">20.0 × ULN if baseline normal; >20.0 × baseline if baseline abnormal",
            }
        ),
        baseline_switches_series=True,
        note=f"{short}: baseline counts as abnormal when it is above the ULN.",
    )


def _count_decreased(
    key: str, name: str, soc: str, limits: tuple[str, str, str], row: Mapping[int, str]
) -> LabTerm:
    g2, g3, g4 = limits
    return LabTerm(
        key=key,
        name=name,
        soc=soc,
        direction=Direction.DECREASED,
        quantity=Quantity.CELL_COUNT,
        thresholds=(
            _t(1, _LLN, "1"),
            _t(2, _ABS, g2),
            _t(3, _ABS, g3),
            _t(4, _ABS, g4),
        ),
        grade_text=MappingProxyType(dict(row)),
        note="LLN gates Grade 1 only; Grades 2–4 are absolute counts.",
    )


LAB_TERMS: Mapping[str, LabTerm] = MappingProxyType(
    {
        "alt": _aminotransferase("alt", "Alanine aminotransferase increased", "ALT"),
        "ast": _aminotransferase("ast", "Aspartate aminotransferase increased", "AST"),
        "bilirubin": LabTerm(
            key="bilirubin",
            name="Blood bilirubin increased",
            soc="Investigations",
            direction=Direction.INCREASED,
            quantity=Quantity.BILIRUBIN,
            thresholds=(
                _t(1, _ULN, "1", when=_N),
                _t(2, _ULN, "1.5", when=_N),
                _t(3, _ULN, "3.0", when=_N),
                _t(4, _ULN, "10.0", when=_N),
                _t(1, _BL, "1.0", when=_A),
                _t(2, _BL, "1.5", when=_A),
                _t(3, _BL, "3.0", when=_A),
                _t(4, _BL, "10.0", when=_A),
            ),
            grade_text=MappingProxyType(
                {
                    1: ">ULN – 1.5 × ULN if baseline normal; >1.0 – 1.5 × baseline if baseline abnormal",
                    2: ">1.5 – 3.0 × ULN if baseline normal; >1.5 – 3.0 × baseline if baseline abnormal",
                    3: ">3.0 – 10.0 × ULN if baseline normal; >3.0 – 10.0 × baseline if baseline abnormal",
                    4: ">10.0 × ULN if baseline normal; >10.0 × baseline if baseline abnormal",
                }
            ),
            baseline_switches_series=True,
            note="Total bilirubin; baseline counts as abnormal when it is above the ULN.",
        ),
        "creatinine": LabTerm(
            key="creatinine",
            name="Creatinine increased",
            soc="Investigations",
            direction=Direction.INCREASED,
            quantity=Quantity.CREATININE,
            thresholds=(
                _t(1, _ULN, "1"),
                _t(2, _ULN, "1.5"),
                _t(2, _BL, "1.5"),
                _t(3, _ULN, "3.0"),
                _t(3, _BL, "3.0"),
                _t(4, _ULN, "6.0"),
            ),
            grade_text=MappingProxyType(
                {
                    1: ">ULN – 1.5 × ULN",
                    2: ">1.5 – 3.0 × baseline; >1.5 – 3.0 × ULN",
                    3: ">3.0 × baseline; >3.0 – 6.0 × ULN",
                    4: ">6.0 × ULN",
                }
            ),
            note=(
                "The baseline multiples (Grades 2–3) apply whenever a baseline is given; with a "
                "child's low baseline they often give a higher grade than the ULN multiples."
            ),
        ),
        "neutrophils": _count_decreased(
            "neutrophils",
            "Neutrophil count decreased",
            "Investigations",
            ("1.5", "1.0", "0.5"),
            {
                1: "<LLN – 1500/mm³; <LLN – 1.5 × 10^9/L",
                2: "<1500 – 1000/mm³; <1.5 – 1.0 × 10^9/L",
                3: "<1000 – 500/mm³; <1.0 – 0.5 × 10^9/L",
                4: "<500/mm³; <0.5 × 10^9/L",
            },
        ),
        "platelets": _count_decreased(
            "platelets",
            "Platelet count decreased",
            "Investigations",
            ("75.0", "50.0", "25.0"),
            {
                1: "<LLN – 75,000/mm³; <LLN – 75.0 × 10^9/L",
                2: "<75,000 – 50,000/mm³; <75.0 – 50.0 × 10^9/L",
                3: "<50,000 – 25,000/mm³; <50.0 – 25.0 × 10^9/L",
                4: "<25,000/mm³; <25.0 × 10^9/L",
            },
        ),
        "wbc": _count_decreased(
            "wbc",
            "White blood cell decreased",
            "Investigations",
            ("3.0", "2.0", "1.0"),
            {
                1: "<LLN – 3000/mm³; <LLN – 3.0 × 10^9/L",
                2: "<3000 – 2000/mm³; <3.0 – 2.0 × 10^9/L",
                3: "<2000 – 1000/mm³; <2.0 – 1.0 × 10^9/L",
                4: "<1000/mm³; <1.0 × 10^9/L",
            },
        ),
        "lymphocytes": _count_decreased(
            "lymphocytes",
            "Lymphocyte count decreased",
            "Investigations",
            ("0.8", "0.5", "0.2"),
            {
                1: "<LLN – 800/mm³; <LLN – 0.8 × 10^9/L",
                2: "<800 – 500/mm³; <0.8 – 0.5 × 10^9/L",
                3: "<500 – 200/mm³; <0.5 – 0.2 × 10^9/L",
                4: "<200/mm³; <0.2 × 10^9/L",
            },
        ),
        "anemia": LabTerm(
            key="anemia",
            name="Anemia",
            soc="Blood and lymphatic system disorders",
            direction=Direction.DECREASED,
            quantity=Quantity.HAEMOGLOBIN,
            thresholds=(
                _t(1, _LLN, "1"),
                _t(2, _ABS, "100"),
                _t(3, _ABS, "80"),
            ),
            grade_text=MappingProxyType(
                {
                    1: "Hgb <LLN – 10.0 g/dL; <LLN – 100 g/L",
                    2: "Hgb <10.0 – 8.0 g/dL; <100 – 80 g/L",
                    3: "Hgb <8.0 g/dL; <80 g/L; transfusion indicated",
                    4: "Life-threatening consequences; urgent intervention indicated",
                }
            ),
            note=(
                "Grade 4 is clinical (life-threatening consequences), never a haemoglobin value: "
                "the highest grade a value alone can give is 3."
            ),
        ),
    }
)


def _reference_value(
    reference: Reference,
    factor: Decimal,
    refs: Mapping[Reference, Decimal | None],
) -> Decimal | None:
    if reference is Reference.ABSOLUTE:
        return factor
    base = refs[reference]
    return None if base is None else factor * base


def _met(value: Decimal, limit: Decimal, threshold: Threshold, direction: Direction) -> bool:
    if direction is Direction.INCREASED:
        return value >= limit if threshold.inclusive else value > limit
    return value <= limit if threshold.inclusive else value < limit


def _row_text(term: LabTerm, grade: int, state: BaselineState) -> str:
    """The CTCAE row text of ``grade``, narrowed to the series in use for baseline-switching terms."""
    text = term.grade_text[grade]
    if term.baseline_switches_series and "; " in text:
        normal, abnormal = text.split("; ", 1)
        return abnormal if state is BaselineState.ABNORMAL else normal
    return text


def _describe(
    term: LabTerm,
    shown_value: str,
    threshold: Threshold,
    limit: Decimal,
    refs: Mapping[Reference, Decimal | None],
    state: BaselineState,
) -> str:
    unit = term.unit
    op = (">=" if threshold.inclusive else ">") if term.direction is Direction.INCREASED else "<"
    shown = f"{shown_value} {op} "
    if threshold.reference is Reference.ABSOLUTE:
        shown += f"{format_number(limit)} {unit}"
    else:
        base = refs[threshold.reference]
        assert base is not None  # a met threshold had its reference
        if threshold.factor == 1:
            shown += f"{threshold.reference.value} ({format_number(base)} {unit})"
        else:
            shown += (
                f"{threshold.factor} × {threshold.reference.value} "
                f"({format_number(base)} {unit}) = {format_number(limit)} {unit}"
            )
    return f"{shown}: CTCAE v5.0 Grade {threshold.grade} ({_row_text(term, threshold.grade, state)})"


def _checked(value: object, field: str, unit: str, quantity: Quantity, *, positive: bool) -> Decimal:
    number = to_decimal(value, field)
    canonical = to_canonical(number, unit, quantity)
    if positive and canonical <= 0:
        raise CtcaeInputError(f"{field}: must be greater than 0 {unit}, got {format_number(number)}")
    if canonical < 0:
        raise CtcaeInputError(f"{field}: must not be negative, got {format_number(number)} {unit}")
    return canonical


def grade_lab(
    term: str | LabTerm,
    value: object,
    unit: str,
    *,
    uln: object | None = None,
    lln: object | None = None,
    baseline: object | None = None,
) -> GradeResult:
    """Grade one laboratory value against CTCAE v5.0.

    ``uln``, ``lln`` and ``baseline`` are in the same ``unit`` as ``value``. Raises
    :class:`MissingReferenceError` when the grade depends on a ULN/LLN that was not given, and
    :class:`CtcaeInputError` for unknown units or impossible numbers.
    """
    from celltrial.safety.ctcae.terms import resolve_lab_term

    lab = term if isinstance(term, LabTerm) else resolve_lab_term(term)
    measured = _checked(value, "value", unit, lab.quantity, positive=False)
    shown_value = f"{format_number(measured)} {lab.unit}"
    typed = f"{format_number(to_decimal(value, 'value'))} {unit}"
    if typed != shown_value:
        shown_value = f"{typed} = {shown_value}"
    refs: dict[Reference, Decimal | None] = {
        Reference.ULN: None if uln is None else _checked(uln, "ULN", unit, lab.quantity, positive=True),
        Reference.LLN: None if lln is None else _checked(lln, "LLN", unit, lab.quantity, positive=True),
        Reference.BASELINE: (
            None if baseline is None else _checked(baseline, "baseline", unit, lab.quantity, positive=True)
        ),
    }
    uln_c, lln_c = refs[Reference.ULN], refs[Reference.LLN]
    if uln_c is not None and lln_c is not None and lln_c >= uln_c:
        raise CtcaeInputError("LLN must be below ULN (same unit)")

    state = BaselineState.NORMAL
    if lab.baseline_switches_series and refs[Reference.BASELINE] is not None:
        if uln_c is None:
            raise MissingReferenceError(
                f"{lab.name}: ULN is needed to tell whether the baseline was abnormal (give --uln in {unit})"
            )
        baseline_c = refs[Reference.BASELINE]
        assert baseline_c is not None
        state = BaselineState.ABNORMAL if baseline_c > uln_c else BaselineState.NORMAL

    for grade in sorted({t.grade for t in lab.thresholds}, reverse=True):
        for threshold in (t for t in lab.thresholds if t.grade == grade):
            if threshold.when not in (BaselineState.ANY, state):
                continue
            limit = _reference_value(threshold.reference, threshold.factor, refs)
            if limit is None:
                if threshold.reference is Reference.BASELINE:
                    continue  # a baseline is optional: its criteria simply do not apply
                raise MissingReferenceError(
                    f"{lab.name}: {threshold.reference.value} is needed to decide Grade {grade} "
                    f"(give --{threshold.reference.value.lower()} in {unit})"
                )
            if _met(measured, limit, threshold, lab.direction):
                return GradeResult(
                    term=lab.key,
                    term_name=lab.name,
                    grade=grade,
                    criterion=_describe(lab, shown_value, threshold, limit, refs, state),
                    value=measured,
                    unit=lab.unit,
                    source=f"{CTCAE_CITATION}, term '{lab.name}' ({lab.soc})",
                )
    return GradeResult(
        term=lab.key,
        term_name=lab.name,
        grade=0,
        criterion=(f"{shown_value}: no CTCAE v5.0 criterion met; Grade 1 needs {_row_text(lab, 1, state)}"),
        value=measured,
        unit=lab.unit,
        source=f"{CTCAE_CITATION}, term '{lab.name}' ({lab.soc})",
    )
