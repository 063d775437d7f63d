"""Autism Behavior Checklist (Krug, Arick & Almond 1980): scoring mechanics with a site-loaded key.

The rule under test is the published scoring method (Krug et al., J Child Psychol Psychiatry
1980;21:221): each of 57 behaviours is marked present or absent; a present behaviour scores its
fixed weight (1-4); area scores are sums over the five areas (sensory, relating, body and object
use, language, social and self-help) and the total is their sum. The key itself is not shipped
(see module docstring), so these tests build a well-formed key of their own.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from celltrial.capture.instruments.autism_behavior_checklist import (
    AREAS,
    KEY_ENV,
    KrugKey,
    load_krug_key,
    score_abc_krug,
)
from celltrial.capture.instruments.errors import (
    ItemCountError,
    ItemValueError,
    MissingItemError,
    ScoringKeyError,
)

AREA_CODES = [code for code, _, _ in AREAS]


def key_data(**overrides: object) -> dict[str, object]:
    items = [{"item": n, "weight": 1 + (n % 4), "area": AREA_CODES[n % 5]} for n in range(1, 58)]
    data: dict[str, object] = {"source": "test key", "items": items}
    data.update(overrides)
    return data


KEY = KrugKey.from_mapping(key_data())


def test_present_items_score_their_weight_in_their_area() -> None:
    vector = [0] * 57
    vector[0] = 1  # item 1: weight 2, area index 1
    vector[6] = 1  # item 7: weight 4, area index 2
    result = score_abc_krug(vector, KEY)
    assert result.total == 2 + 4
    assert result.subscale(AREA_CODES[1]).score == 2
    assert result.subscale(AREA_CODES[2]).score == 4
    assert result.subscale(AREA_CODES[0]).score == 0


def test_all_present_gives_sum_of_weights() -> None:
    expected = sum(1 + (n % 4) for n in range(1, 58))
    assert score_abc_krug([1] * 57, KEY).total == expected


def test_no_key_is_refused_with_a_clear_reason(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(KEY_ENV, raising=False)
    with pytest.raises(ScoringKeyError, match="no scoring key loaded"):
        load_krug_key()
    with pytest.raises(ScoringKeyError, match="no scoring key loaded"):
        score_abc_krug([0] * 57, None)


def test_key_loads_from_env_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "krug.json"
    path.write_text(json.dumps(key_data()), encoding="utf-8")
    monkeypatch.setenv(KEY_ENV, str(path))
    assert load_krug_key() == KEY


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"source": ""}, "source"),
        ({"items": [{"item": 1, "weight": 1, "area": "sensory"}] * 57}, "repeated"),
        ({"items": [{"item": n, "weight": 5, "area": "sensory"} for n in range(1, 58)]}, "weight 5"),
        ({"items": [{"item": n, "weight": 1, "area": "motor"} for n in range(1, 58)]}, "area 'motor'"),
        ({"items": [{"item": n, "weight": 1, "area": "sensory"} for n in range(1, 57)]}, "exactly 57"),
    ],
)
def test_malformed_key_is_refused(override: dict[str, object], message: str) -> None:
    with pytest.raises(ScoringKeyError, match=message):
        KrugKey.from_mapping(key_data(**override))


def test_58_item_vector_is_refused_and_pointed_to_the_aman_checklist() -> None:
    with pytest.raises(ItemCountError, match="ABC_AMAN58"):
        score_abc_krug([0] * 58, KEY)


@pytest.mark.parametrize("bad", [2, -1, 0.5])
def test_items_are_present_or_absent_only(bad: object) -> None:
    vector: list[object] = [0] * 57
    vector[56] = bad
    with pytest.raises(ItemValueError, match="item 57"):
        score_abc_krug(vector, KEY)  # type: ignore[arg-type]


def test_missing_item_is_refused() -> None:
    with pytest.raises(MissingItemError):
        score_abc_krug([None] + [0] * 56, KEY)


def test_bands_come_only_from_the_loaded_key() -> None:
    assert score_abc_krug([0] * 57, KEY).band is None
    banded = KrugKey.from_mapping(
        key_data(
            bands=[
                {"code": "low", "label_en": "below cut-off", "label_zh": "低于界值", "min": 0, "max": 52},
                {
                    "code": "high",
                    "label_en": "at/above cut-off",
                    "label_zh": "达到界值",
                    "min": 53,
                    "max": None,
                },
            ]
        )
    )
    low = score_abc_krug([0] * 57, banded)
    high = score_abc_krug([1] * 57, banded)
    assert low.band is not None and low.band.code == "low"
    assert high.band is not None and high.band.code == "high"


@settings(max_examples=60, deadline=None)
@given(st.lists(st.integers(0, 1), min_size=57, max_size=57))
def test_area_scores_sum_to_total(items: list[int]) -> None:
    result = score_abc_krug(items, KEY)
    assert sum(s.score for s in result.subscales) == result.total
