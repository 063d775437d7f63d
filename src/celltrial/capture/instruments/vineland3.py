"""Vineland Adaptive Behavior Scales, Third Edition (Sparrow, Cicchetti & Saulnier 2016, Pearson).

Norms are proprietary, so standard scores are entered by the rater. Domain standard scores and
the Adaptive Behavior Composite have mean 100, SD 15 (accepted range 20-140); subdomain v-scale
scores have mean 15, SD 3 (accepted range 1-24). The adaptive levels (≥130 high, 115-129
moderately high, 86-114 adequate, 71-85 moderately low, ≤70 low) are from memory in the domain
note [M] and not verified against the Pearson manual: the table is shipped UNVERIFIED and applied
only on request.
"""

from __future__ import annotations

from collections.abc import Mapping

from celltrial.capture.instruments.bands import Band, BandRule, BandTable, resolve_band
from celltrial.capture.instruments.errors import ItemValueError, MissingItemError
from celltrial.capture.instruments.items import is_whole_number
from celltrial.capture.instruments.result import InstrumentScore, Subscale

CODE = "VINELAND3"
SOURCE = "Sparrow SS, Cicchetti DV, Saulnier CA. Vineland-3 Manual. Pearson 2016"
STANDARD_SCORE_RANGE = (20, 140)
V_SCALE_RANGE = (1, 24)

DOMAINS: tuple[tuple[str, str, str], ...] = (
    ("abc", "Adaptive Behavior Composite", "适应行为综合分"),
    ("communication", "Communication", "沟通"),
    ("daily_living_skills", "Daily Living Skills", "日常生活技能"),
    ("socialization", "Socialization", "社会化"),
    ("motor_skills", "Motor Skills", "运动技能"),
)

VINELAND3_ADAPTIVE_LEVELS = BandTable(
    "Vineland-3 adaptive level",
    (
        BandRule(Band("low", "Low", "低"), 20, 70),
        BandRule(Band("moderately_low", "Moderately low", "中等偏低"), 71, 85),
        BandRule(Band("adequate", "Adequate", "适当"), 86, 114),
        BandRule(Band("moderately_high", "Moderately high", "中等偏高"), 115, 129),
        BandRule(Band("high", "High", "高"), 130, 140),
    ),
    "domain note [M]; Pearson Vineland-3 manual not checked",
    verified=False,
)


def _standard_score(field: str, value: object, bounds: tuple[int, int], what: str) -> int:
    if value is None:
        raise MissingItemError(f"{CODE} {field}: {what} missing")
    low, high = bounds
    if not is_whole_number(value):
        raise ItemValueError(f"{CODE} {field}: {value!r} must be an integer {what} ({low}-{high})")
    if not low <= value <= high:
        raise ItemValueError(f"{CODE} {field}: {int(value)} is out of range for a {what} ({low}-{high})")
    return int(value)


def score_vineland3(
    standard_scores: Mapping[str, object],
    *,
    v_scale_scores: Mapping[str, object] | None = None,
    allow_unverified_bands: bool = False,
) -> InstrumentScore:
    """Validate rater-entered domain standard scores (and optional v-scale scores).

    ``standard_scores`` maps domain codes (``abc`` = Adaptive Behavior Composite, and the four
    domains) to standard scores; ``abc`` is required. The band is derived from the composite.
    """
    known = {code for code, _, _ in DOMAINS}
    unknown = sorted(set(standard_scores) - known)
    if unknown:
        raise ItemValueError(f"{CODE}: unknown domain(s) {unknown}; expected {sorted(known)}")
    if "abc" not in standard_scores:
        raise MissingItemError(f"{CODE}: the Adaptive Behavior Composite ('abc') standard score is required")
    subscales = []
    for code, en, zh in DOMAINS:
        if code in standard_scores:
            ss = _standard_score(code, standard_scores[code], STANDARD_SCORE_RANGE, "standard score")
            subscales.append(Subscale(code, en, zh, ss, STANDARD_SCORE_RANGE[1]))
    v_scales: dict[str, int] = {}
    for name, value in (v_scale_scores or {}).items():
        v_scales[name] = _standard_score(f"subdomain {name}", value, V_SCALE_RANGE, "v-scale score")
    composite = int(subscales[0].score)
    level = resolve_band(VINELAND3_ADAPTIVE_LEVELS, composite, allow_unverified=allow_unverified_bands)
    notes = ["standard scores from licensed Pearson norms, entered by the rater"]
    if level.note:
        notes.append(level.note)
    return InstrumentScore(
        instrument=CODE,
        total=composite,
        subscales=tuple(subscales),
        band=level.band,
        band_table=level.table,
        notes=tuple(notes),
        source=SOURCE,
        extra=(("v_scale_scores", v_scales),),
    )
