"""Social Responsiveness Scale, Second Edition (SRS-2; Constantino & Gruber 2012, WPS).

Raw total: 65 items rated 1-4 on the form (not true … almost always true) and scored 0-3; some
items are reverse-scored (3 - x). The reverse-scored item list is on the licensed form; the list
circulating in secondary sources (17 items: 3, 7, 11, 12, 15, 17, 21, 22, 26, 32, 38, 40, 43, 45,
48, 52, 55) could not be verified against the WPS form, so it is NOT shipped: the caller gives the
reverse list (loaded from site configuration) or declares the item scores already keyed.

T-score (mean 50, SD 10) needs the licensed norms: it is entered by the rater (20-150 accepted
range; WPS reports T from the 30s to 90+, so we only refuse impossible values). Band from the
entered T-score: ≤59 within normal limits, 60-65 mild, 66-75 moderate, ≥76 severe (SRS-2 manual
ranges as summarised by 101autism.com "SRS-2 scoring & interpretation"; NINDS Common Data
Elements SRS page gives the same 59/60 and 75/76 boundaries for the SRS with 60-75 as one
"mild to moderate" range).

Missing items: the manual's proration rule is not public; missing items are refused.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from celltrial.capture.instruments.bands import Band, BandRule, BandTable, resolve_band
from celltrial.capture.instruments.errors import InstrumentInputError, ItemValueError, ScoringKeyError
from celltrial.capture.instruments.items import ItemValue, is_whole_number, require_items
from celltrial.capture.instruments.result import InstrumentScore

CODE = "SRS2"
ITEM_COUNT = 65
ITEM_MAX = 3
T_SCORE_RANGE = (20, 150)
SOURCE = "Constantino JN, Gruber CP. Social Responsiveness Scale, Second Edition (SRS-2). WPS 2012"

SRS2_T_BANDS = BandTable(
    "SRS-2 total T",
    (
        BandRule(Band("within_normal_limits", "Within normal limits", "正常范围"), None, 59),
        BandRule(Band("mild", "Mild range", "轻度"), 60, 65),
        BandRule(Band("moderate", "Moderate range", "中度"), 66, 75),
        BandRule(Band("severe", "Severe range", "重度"), 76, None),
    ),
    "SRS-2 manual ranges (101autism SRS-2 interpretation; NINDS CDE SRS)",
    verified=True,
)


def validate_reverse_items(reverse_items: Iterable[int]) -> frozenset[int]:
    """Check a reverse-scored item list (1-based item numbers, each 1-65, no repeats)."""
    items = list(reverse_items)
    bad = [i for i in items if isinstance(i, bool) or not isinstance(i, int) or not 1 <= i <= ITEM_COUNT]
    if bad:
        raise ScoringKeyError(f"{CODE}: reverse-scored item numbers must be 1-{ITEM_COUNT}; got {bad}")
    if len(set(items)) != len(items):
        raise ScoringKeyError(f"{CODE}: reverse-scored item list has repeats")
    return frozenset(items)


def srs2_t_band(t_score: object) -> Band:
    """The published band of a rater-entered SRS-2 total T-score."""
    t = _entered_t(t_score)
    band = resolve_band(SRS2_T_BANDS, t).band
    assert band is not None  # the table is verified, so a band is always derived
    return band


def _entered_t(t_score: object) -> int:
    if not is_whole_number(t_score):
        raise ItemValueError(f"{CODE} T-score: {t_score!r} must be an integer (from the licensed norms)")
    t = int(t_score)
    low, high = T_SCORE_RANGE
    if not low <= t <= high:
        raise ItemValueError(f"{CODE} T-score: {t} is out of range ({low}-{high})")
    return t


def score_srs2(
    items: Sequence[ItemValue] | None = None,
    *,
    reverse_items: Iterable[int] | None = None,
    already_keyed: bool = False,
    t_score: object = None,
) -> InstrumentScore:
    """SRS-2 raw total from 65 item scores (0-3) and/or the band of an entered T-score.

    ``reverse_items`` lists the reverse-scored items; ``already_keyed=True`` says the 0-3 item
    scores were keyed on the form already. One of the two is required when items are given.
    """
    if items is None and t_score is None:
        raise InstrumentInputError(f"{CODE}: give the 65 item scores, the rater-entered T-score, or both")
    total: float | None = None
    notes: list[str] = []
    if items is not None:
        values = require_items(CODE, items, ITEM_COUNT, range(ITEM_MAX + 1), allowed_text="integers 0-3")
        if already_keyed and reverse_items is not None:
            raise InstrumentInputError(f"{CODE}: give either reverse_items or already_keyed, not both")
        if already_keyed:
            reverse: frozenset[int] = frozenset()
            notes.append("item scores entered already keyed (reverse items keyed on the form)")
        elif reverse_items is None:
            raise ScoringKeyError(
                f"{CODE}: the reverse-scored item list is not shipped (licensed form); "
                "load it from site configuration or enter already-keyed item scores"
            )
        else:
            reverse = validate_reverse_items(reverse_items)
            notes.append(f"{len(reverse)} reverse-scored items from site configuration")
        total = int(sum(ITEM_MAX - v if n in reverse else v for n, v in enumerate(values, start=1)))
    band = None
    table = None
    extra: tuple[tuple[str, object], ...] = ()
    if t_score is not None:
        t = _entered_t(t_score)
        band = srs2_t_band(t)
        table = SRS2_T_BANDS.name
        extra = (("t_score", t),)
    notes.append("T-score requires licensed WPS norms: entered by the rater, never computed here")
    return InstrumentScore(
        instrument=CODE,
        total=total,
        band=band,
        band_table=table,
        notes=tuple(notes),
        source=SOURCE,
        extra=extra,
    )
