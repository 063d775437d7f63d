"""The instrument registry: one stable code per instrument, and one entry point to score any of them.

Codes are stable identifiers stored with every score (they never change meaning): a 58-item
Aberrant Behavior Checklist is ``ABC_AMAN58`` and the 57-item Autism Behavior Checklist is
``ABC_KRUG57``, so the two "ABC"s can never be confused in the data.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

from celltrial.capture.instruments import (
    aberrant_behavior_checklist,
    ados2,
    autism_behavior_checklist,
    cars,
    cgi,
    srs2,
    vineland3,
)
from celltrial.capture.instruments.autism_behavior_checklist import KrugKey
from celltrial.capture.instruments.errors import InstrumentInputError, ItemCountError
from celltrial.capture.instruments.items import ItemValue
from celltrial.capture.instruments.result import InstrumentScore


@dataclass(frozen=True)
class InstrumentSpec:
    """What an instrument code means and what input it takes."""

    code: str
    name_en: str
    name_zh: str
    expects: str
    item_count: int | None
    missing_rule: str
    source: str


REFUSE = "refuse: publisher's proration rule not public"

REGISTRY: Mapping[str, InstrumentSpec] = {
    spec.code: spec
    for spec in (
        InstrumentSpec(
            "ABC_AMAN58",
            "Aberrant Behavior Checklist",
            "异常行为量表",
            "58 items, 0-3",
            58,
            REFUSE,
            aberrant_behavior_checklist.SOURCE,
        ),
        InstrumentSpec(
            "ABC_KRUG57",
            "Autism Behavior Checklist",
            "孤独症行为量表",
            "57 items, 0/1 (site-loaded key)",
            57,
            REFUSE,
            autism_behavior_checklist.SOURCE,
        ),
        InstrumentSpec(
            "CARS1",
            "Childhood Autism Rating Scale (1988)",
            "儿童孤独症评定量表",
            "15 items, 1-4 by 0.5",
            15,
            "refuse: every item must be rated",
            cars.SOURCES["CARS1"],
        ),
        InstrumentSpec(
            "CARS2_ST",
            "CARS2 Standard Version",
            "CARS2 标准版",
            "15 items, 1-4 by 0.5; --age for band",
            15,
            "refuse: every item must be rated",
            cars.SOURCES["CARS2_ST"],
        ),
        InstrumentSpec(
            "CARS2_HF",
            "CARS2 High-Functioning Version",
            "CARS2 高功能版",
            "15 items, 1-4 by 0.5 (age ≥6)",
            15,
            "refuse: every item must be rated",
            cars.SOURCES["CARS2_HF"],
        ),
        InstrumentSpec(
            "CGI_S",
            "Clinical Global Impression - Severity",
            "临床总体印象-严重程度",
            "one rating 1-7",
            1,
            "refuse",
            cgi.SOURCE,
        ),
        InstrumentSpec(
            "CGI_I",
            "Clinical Global Impression - Improvement",
            "临床总体印象-改善",
            "one rating 0-7 (0 = not assessed)",
            1,
            "0 = not assessed",
            cgi.SOURCE,
        ),
        InstrumentSpec(
            "SRS2",
            "Social Responsiveness Scale, 2nd ed.",
            "社交反应量表第二版",
            "65 items 0-3 (+ reverse list or keyed) and/or --t-score",
            65,
            REFUSE,
            srs2.SOURCE,
        ),
        InstrumentSpec(
            "ADOS2",
            "ADOS-2 calibrated severity score",
            "ADOS-2 校准严重度分",
            "examiner-entered CSS 1-10",
            1,
            "refuse",
            ados2.SOURCE,
        ),
        InstrumentSpec(
            "VINELAND3",
            "Vineland Adaptive Behavior Scales, 3rd ed.",
            "文兰适应行为量表第三版",
            "rater-entered standard scores: abc=SS[,communication=SS,…]",
            None,
            "refuse",
            vineland3.SOURCE,
        ),
    )
}


def instrument(code: str) -> InstrumentSpec:
    """Look up an instrument by code (case-insensitive), with a clear error for an unknown code."""
    spec = REGISTRY.get(code.upper())
    if spec is None:
        raise InstrumentInputError(f"unknown instrument {code!r}; known: {', '.join(REGISTRY)}")
    return spec


def _single(code: str, items: Sequence[ItemValue]) -> ItemValue:
    if len(items) != 1:
        raise ItemCountError(f"{code} takes exactly one rating, got {len(items)}")
    return items[0]


def score(
    code: str,
    items: Sequence[ItemValue] | Mapping[str, object],
    *,
    age_years: float | None = None,
    krug_key: KrugKey | None = None,
    srs2_reverse_items: Iterable[int] | None = None,
    srs2_already_keyed: bool = False,
    t_score: object = None,
    ados2_module: str | None = None,
    ados2_classification: str | None = None,
    allow_unverified_bands: bool = False,
) -> InstrumentScore:
    """Score any registered instrument; options that do not apply to ``code`` are ignored.

    ``items`` is the item vector in form order, or (for ``VINELAND3``) a mapping of domain code
    to standard score.
    """
    spec = instrument(code)
    if spec.code == "VINELAND3":
        if not isinstance(items, Mapping):
            if len(items) != 1:
                raise InstrumentInputError(
                    "VINELAND3 takes domain=standard-score pairs, or one composite score"
                )
            items = {"abc": items[0]}
        return vineland3.score_vineland3(items, allow_unverified_bands=allow_unverified_bands)
    if isinstance(items, Mapping):
        raise InstrumentInputError(f"{spec.code} takes an item list, not named values")
    if spec.code == "ABC_AMAN58":
        return aberrant_behavior_checklist.score_abc_aman(items)
    if spec.code == "ABC_KRUG57":
        return autism_behavior_checklist.score_abc_krug(items, krug_key)
    if spec.code in cars.VERSIONS:
        return cars.score_cars(
            spec.code, items, age_years=age_years, allow_unverified_bands=allow_unverified_bands
        )
    if spec.code == "CGI_S":
        return cgi.score_cgi_s(_single(spec.code, items))
    if spec.code == "CGI_I":
        return cgi.score_cgi_i(_single(spec.code, items))
    if spec.code == "SRS2":
        return srs2.score_srs2(
            items if items else None,
            reverse_items=srs2_reverse_items,
            already_keyed=srs2_already_keyed,
            t_score=t_score,
        )
    if spec.code == "ADOS2":
        return ados2.score_ados2(
            _single(spec.code, items), module=ados2_module, classification=ados2_classification
        )
    raise AssertionError(f"registered instrument {spec.code} has no scorer")  # pragma: no cover
