"""ABC (Aman 1985) — checked against the published subscale key.

Key (item numbers per subscale) from Aman MG, Singh NN, Stewart AW, Field CJ. The Aberrant Behavior
Checklist. Am J Ment Defic 1985;89:485-491 and the ABC manual scoring key: I Irritability 15 items
(0-45), II Lethargy/Social Withdrawal 16 (0-48), III Stereotypic Behavior 7 (0-21),
IV Hyperactivity/Noncompliance 16 (0-48), V Inappropriate Speech 4 (0-12); items 0-3.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from celltrial.capture.instruments.aberrant_behavior_checklist import score_abc_aman
from celltrial.capture.instruments.errors import ItemCountError, ItemValueError, MissingItemError

PUBLISHED_KEY = {
    "irritability": {2, 4, 8, 10, 14, 19, 25, 29, 34, 36, 41, 47, 50, 52, 57},
    "social_withdrawal": {3, 5, 12, 16, 20, 23, 26, 30, 32, 37, 40, 42, 43, 53, 55, 58},
    "stereotypy": {6, 11, 17, 27, 35, 45, 49},
    "hyperactivity": {1, 7, 13, 15, 18, 21, 24, 28, 31, 38, 39, 44, 48, 51, 54, 56},
    "inappropriate_speech": {9, 22, 33, 46},
}
PUBLISHED_MAXIMA = {
    "irritability": 45,
    "social_withdrawal": 48,
    "stereotypy": 21,
    "hyperactivity": 48,
    "inappropriate_speech": 12,
}


def test_published_key_is_a_partition_of_58_items() -> None:
    all_items = [n for items in PUBLISHED_KEY.values() for n in items]
    assert sorted(all_items) == list(range(1, 59))


@pytest.mark.parametrize("item", range(1, 59))
def test_each_item_scores_only_in_its_published_subscale(item: int) -> None:
    vector = [0] * 58
    vector[item - 1] = 3
    result = score_abc_aman(vector)
    for code, numbers in PUBLISHED_KEY.items():
        assert result.subscale(code).score == (3 if item in numbers else 0), code
    assert result.total == 3


def test_subscale_maxima_match_published_ranges() -> None:
    result = score_abc_aman([3] * 58)
    for code, maximum in PUBLISHED_MAXIMA.items():
        assert result.subscale(code).score == maximum
        assert result.subscale(code).maximum == maximum
    assert result.total == 174  # 58 × 3


def test_57_item_vector_is_refused_and_pointed_to_the_krug_checklist() -> None:
    with pytest.raises(ItemCountError, match="ABC_KRUG57"):
        score_abc_aman([0] * 57)


@pytest.mark.parametrize("count", [0, 15, 59, 65])
def test_wrong_item_count_is_refused(count: int) -> None:
    with pytest.raises(ItemCountError, match="exactly 58"):
        score_abc_aman([0] * count)


@pytest.mark.parametrize("bad", [-1, 4, 1.5, True, "2"])
def test_out_of_range_item_is_refused_with_its_number(bad: object) -> None:
    vector: list[object] = [0] * 58
    vector[9] = bad
    with pytest.raises(ItemValueError, match="item 10"):
        score_abc_aman(vector)  # type: ignore[arg-type]


def test_missing_item_is_refused_never_zeroed() -> None:
    vector: list[int | None] = [1] * 58
    vector[4] = None
    with pytest.raises(MissingItemError, match="item\\(s\\) 5 missing"):
        score_abc_aman(vector)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 3), min_size=58, max_size=58))
def test_subscales_sum_to_total(items: list[int]) -> None:
    result = score_abc_aman(items)
    assert sum(s.score for s in result.subscales) == result.total == sum(items)
