"""CARS (1988), CARS2-ST and CARS2-HF: items, half points, totals and severity bands.

Published rules:
* 15 items rated 1-4 with midpoints (1.5, 2.5, 3.5) allowed; total 15-60 (Schopler, Reichler &
  Renner, The Childhood Autism Rating Scale, WPS 1988).
* CARS 1988 categories: <30 non-autistic, 30-36.5 mild-to-moderate, 37-60 severe (same source;
  quoted e.g. "scores below 30 … non-autistic range, 30 and 36.5 … mild to moderate, 37 to 60 …
  severe (Schopler et al.)").
* CARS2-ST for age <13 y keeps those cut-offs (Schopler et al., CARS2 manual, WPS 2010; domain note
  §2). Bands for CARS2-ST ≥13 y and CARS2-HF were not verified (module docstring): they must not be
  applied unless the caller opts in.
"""

from __future__ import annotations

import pytest

from celltrial.capture.instruments.cars import score_cars
from celltrial.capture.instruments.errors import (
    InstrumentInputError,
    ItemCountError,
    ItemValueError,
    MissingItemError,
)


def items_with_total(total: float) -> list[float]:
    """Fifteen valid half-point ratings summing to ``total`` (15-60)."""
    steps = round((total - 15) * 2)  # number of half-point increments above all-1s
    items = [1.0] * 15
    for i in range(15):
        add = min(6, steps)
        items[i] += add * 0.5
        steps -= add
    assert steps == 0 and sum(items) == total
    return items


def test_half_point_items_are_accepted_and_summed() -> None:
    items = [1.5, 2.5, 3.5, 4, 1, 2, 3, 1.5, 2.5, 3.5, 4, 1, 2, 3, 1.5]
    assert score_cars("CARS1", items).total == sum(items) == 36.5


@pytest.mark.parametrize("bad", [0.5, 1.25, 4.5, 0, 5, True])
def test_values_off_the_half_point_grid_are_refused(bad: object) -> None:
    items: list[object] = [2] * 15
    items[3] = bad
    with pytest.raises(ItemValueError, match="item 4"):
        score_cars("CARS1", items)  # type: ignore[arg-type]


@pytest.mark.parametrize("count", [14, 16])
def test_item_count_must_be_15(count: int) -> None:
    with pytest.raises(ItemCountError):
        score_cars("CARS2_ST", [2] * count, age_years=5)


def test_missing_item_is_refused() -> None:
    with pytest.raises(MissingItemError):
        score_cars("CARS1", [2] * 14 + [None])


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (15, "non_autistic"),
        (29.5, "non_autistic"),
        (30, "mild_to_moderate"),
        (36.5, "mild_to_moderate"),
        (37, "severe"),
        (60, "severe"),
    ],
)
def test_cars1_bands_both_sides_of_each_boundary(total: float, band: str) -> None:
    result = score_cars("CARS1", items_with_total(total))
    assert result.band is not None and result.band.code == band


@pytest.mark.parametrize(
    ("total", "band"),
    [(29.5, "minimal_to_no"), (30, "mild_to_moderate"), (36.5, "mild_to_moderate"), (37, "severe")],
)
def test_cars2_st_under_13_uses_the_cars_cut_offs(total: float, band: str) -> None:
    result = score_cars("CARS2_ST", items_with_total(total), age_years=12.9)
    assert result.band is not None and result.band.code == band


def test_cars2_st_band_needs_the_age() -> None:
    result = score_cars("CARS2_ST", items_with_total(40))
    assert result.band is None
    assert any("age" in n for n in result.notes)


def test_cars2_st_13_and_over_unverified_table_is_not_applied_by_default() -> None:
    result = score_cars("CARS2_ST", items_with_total(40), age_years=13)
    assert result.band is None
    assert any("not verified" in n for n in result.notes)


@pytest.mark.parametrize(("version", "age"), [("CARS2_ST", 13), ("CARS2_HF", 6)])
def test_unverified_tables_apply_only_on_opt_in_and_say_so(version: str, age: float) -> None:
    assert score_cars(version, items_with_total(40), age_years=age).band is None
    result = score_cars(version, items_with_total(40), age_years=age, allow_unverified_bands=True)
    assert result.band is not None and result.band.code == "severe"
    assert any("UNVERIFIED" in n for n in result.notes)


def test_cars2_hf_is_refused_under_age_6() -> None:
    with pytest.raises(InstrumentInputError, match="age ≥6"):
        score_cars("CARS2_HF", [2] * 15, age_years=5.9)


def test_unknown_version_and_absurd_age_are_refused() -> None:
    with pytest.raises(InstrumentInputError, match="unknown CARS version"):
        score_cars("CARS3", [2] * 15)
    with pytest.raises(InstrumentInputError, match="age"):
        score_cars("CARS1", [2] * 15, age_years=-1)
