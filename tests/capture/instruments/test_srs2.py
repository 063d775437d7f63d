"""SRS-2: raw total with a configurable reverse-item list, and bands of an entered T-score.

Bands (SRS-2 manual, Constantino & Gruber 2012, as summarised by 101autism.com "SRS-2 scoring &
interpretation" and consistent with the NINDS Common Data Elements SRS page): T ≤59 within normal
limits, 60-65 mild, 66-75 moderate, ≥76 severe. Items are scored 0-3; reverse-scored items score
3 - x (manual scoring instructions); the reverse list itself is site configuration.
"""

from __future__ import annotations

import pytest

from celltrial.capture.instruments.errors import (
    InstrumentInputError,
    ItemCountError,
    ItemValueError,
    MissingItemError,
    ScoringKeyError,
)
from celltrial.capture.instruments.srs2 import score_srs2, srs2_t_band


@pytest.mark.parametrize(
    ("t", "band"),
    [
        (20, "within_normal_limits"),
        (59, "within_normal_limits"),
        (60, "mild"),
        (65, "mild"),
        (66, "moderate"),
        (75, "moderate"),
        (76, "severe"),
        (120, "severe"),
    ],
)
def test_t_score_bands_both_sides_of_each_boundary(t: int, band: str) -> None:
    assert srs2_t_band(t).code == band
    assert score_srs2(t_score=t).band == srs2_t_band(t)


@pytest.mark.parametrize("bad", [19, 151, 60.5, True, "70", float("nan"), float("inf")])
def test_t_score_out_of_range_is_refused(bad: object) -> None:
    with pytest.raises(ItemValueError, match="T-score"):
        srs2_t_band(bad)


def test_reverse_scored_items_score_three_minus_x() -> None:
    items = [0] * 65
    items[2] = 1  # item 3, reversed → 2
    result = score_srs2(items, reverse_items=[3, 7])  # item 7 is 0 → 3
    assert result.total == 2 + 3


def test_already_keyed_items_are_summed_as_entered() -> None:
    assert score_srs2([3] * 65, already_keyed=True).total == 195  # 65 × 3 (SRS-2 raw range 0-195)


def test_reverse_list_or_keyed_is_required() -> None:
    with pytest.raises(ScoringKeyError, match="not shipped"):
        score_srs2([0] * 65)
    with pytest.raises(InstrumentInputError, match="not both"):
        score_srs2([0] * 65, reverse_items=[1], already_keyed=True)


@pytest.mark.parametrize("bad", [[0], [66], [3, 3]])
def test_bad_reverse_list_is_refused(bad: list[int]) -> None:
    with pytest.raises(ScoringKeyError):
        score_srs2([0] * 65, reverse_items=bad)


def test_item_count_range_and_missing() -> None:
    with pytest.raises(ItemCountError):
        score_srs2([0] * 64, already_keyed=True)
    with pytest.raises(ItemValueError, match="item 1"):
        score_srs2([4] + [0] * 64, already_keyed=True)
    with pytest.raises(MissingItemError):
        score_srs2([None] + [0] * 64, already_keyed=True)


def test_nothing_given_is_refused() -> None:
    with pytest.raises(InstrumentInputError):
        score_srs2()
