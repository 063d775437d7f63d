"""Childhood Autism Rating Scale: CARS (1988), CARS2-ST and CARS2-HF (WPS 2010).

15 items, each rated 1 to 4 in half points (1, 1.5, …, 4); total = sum (15-60). Item descriptors
are copyrighted and not stored. Severity bands:

* CARS (Schopler, Reichler & Renner 1988): <30 non-autistic, 30-36.5 mild-to-moderate, ≥37 severe.
* CARS2-ST, age < 13 y (Schopler, Van Bourgondien, Wellman & Love 2010): 15-29.5 minimal-to-no
  symptoms, 30-36.5 mild-to-moderate, ≥37 severe — the CARS cut-offs.
* CARS2-ST, age ≥ 13 y and CARS2-HF: the manual's cut-offs (28 rather than 30) could not be
  verified in a public source; the tables below are shipped UNVERIFIED and are applied only when
  the caller opts in. Enter the band from the WPS manual otherwise.

Missing items: the manual asks the rater to rate every item; a missing item is refused.
"""

from __future__ import annotations

from collections.abc import Sequence

from celltrial.capture.instruments.bands import Band, BandRule, BandTable, resolve_band
from celltrial.capture.instruments.errors import InstrumentInputError
from celltrial.capture.instruments.items import ItemValue, require_items
from celltrial.capture.instruments.result import InstrumentScore

ITEM_COUNT = 15
HALF_POINTS = tuple(1 + 0.5 * i for i in range(7))  # 1.0, 1.5, …, 4.0
ST_AGE_SPLIT_YEARS = 13
HF_MIN_AGE_YEARS = 6

SOURCES = {
    "CARS1": "Schopler E, Reichler RJ, Renner BR. The Childhood Autism Rating Scale (CARS). WPS 1988",
    "CARS2_ST": "Schopler E, Van Bourgondien ME, Wellman GJ, Love SR. CARS2 Standard Version. WPS 2010",
    "CARS2_HF": "Schopler E, Van Bourgondien ME, Wellman GJ, Love SR. CARS2 High-Functioning Version. WPS 2010",
}

NON_AUTISTIC = Band("non_autistic", "Non-autistic", "非孤独症")
MINIMAL = Band("minimal_to_no", "Minimal-to-no symptoms of ASD", "无或极轻微孤独症症状")
MILD_MODERATE = Band("mild_to_moderate", "Mild-to-moderate symptoms of ASD", "轻-中度孤独症症状")
SEVERE = Band("severe", "Severe symptoms of ASD", "重度孤独症症状")


def _table(
    name: str, low: Band, mild_from: float, severe_from: float, source: str, verified: bool
) -> BandTable:
    return BandTable(
        name,
        (
            BandRule(low, 15, mild_from - 0.5),
            BandRule(MILD_MODERATE, mild_from, severe_from - 0.5),
            BandRule(SEVERE, severe_from, 60),
        ),
        source,
        verified,
    )


CARS1_BANDS = _table("CARS1", NON_AUTISTIC, 30, 37, SOURCES["CARS1"], verified=True)
CARS2_ST_UNDER_13_BANDS = _table("CARS2-ST <13 y", MINIMAL, 30, 37, SOURCES["CARS2_ST"], verified=True)
CARS2_ST_13_PLUS_BANDS = _table(
    "CARS2-ST ≥13 y", MINIMAL, 28, 35, "domain note [M]; WPS CARS2 manual not checked", verified=False
)
CARS2_HF_BANDS = _table(
    "CARS2-HF", MINIMAL, 28, 34, "domain note [M]; WPS CARS2 manual not checked", verified=False
)

VERSIONS = ("CARS1", "CARS2_ST", "CARS2_HF")


def band_table_for(version: str, age_years: float | None) -> BandTable | None:
    """The cut-off table for a version and age; ``None`` when the age needed is unknown."""
    if version == "CARS1":
        return CARS1_BANDS
    if version == "CARS2_HF":
        return CARS2_HF_BANDS
    if version == "CARS2_ST":
        if age_years is None:
            return None
        return CARS2_ST_UNDER_13_BANDS if age_years < ST_AGE_SPLIT_YEARS else CARS2_ST_13_PLUS_BANDS
    raise InstrumentInputError(f"unknown CARS version {version!r}; expected one of {', '.join(VERSIONS)}")


def score_cars(
    version: str,
    items: Sequence[ItemValue],
    *,
    age_years: float | None = None,
    allow_unverified_bands: bool = False,
) -> InstrumentScore:
    """Score CARS/CARS2: the total and, where the version's band table is known, its band."""
    if version not in VERSIONS:
        raise InstrumentInputError(f"unknown CARS version {version!r}; expected one of {', '.join(VERSIONS)}")
    if age_years is not None and not 0 < age_years < 120:
        raise InstrumentInputError(f"{version}: age {age_years:g} years is out of range (0-120)")
    if version == "CARS2_HF" and age_years is not None and age_years < HF_MIN_AGE_YEARS:
        raise InstrumentInputError(
            f"CARS2_HF is for age ≥{HF_MIN_AGE_YEARS} y (IQ ≥80, fluent speech); age {age_years:g} y — use CARS2_ST"
        )
    values = require_items(
        version,
        items,
        ITEM_COUNT,
        HALF_POINTS,
        allowed_text="1 to 4 in steps of 0.5",
        missing_reason="every CARS item must be rated",
    )
    total = sum(values)
    table = band_table_for(version, age_years)
    if table is None:
        notes: tuple[str, ...] = (
            "CARS2-ST bands depend on age (<13 / ≥13 y): give the age to derive the band",
        )
        band = None
        table_name = None
    else:
        resolved = resolve_band(table, total, allow_unverified=allow_unverified_bands)
        band, table_name = resolved.band, resolved.table
        notes = (resolved.note,) if resolved.note else ()
    extra: tuple[tuple[str, object], ...] = (("age_years", age_years),)
    return InstrumentScore(
        instrument=version,
        total=total,
        band=band,
        band_table=table_name,
        notes=(*notes, "T-scores and percentiles need the licensed WPS tables; not computed"),
        source=SOURCES[version],
        extra=extra,
    )
