"""ADOS-2 CSS levels and Vineland-3 entered standard scores.

ADOS-2 (Lord et al., ADOS-2 manual, WPS 2012; CSS metric from Gotham, Pickles & Lord, J Autism Dev
Disord 2009;39:693): CSS 1-10; 1-2 minimal-to-no evidence, 3-4 low, 5-7 moderate, 8-10 high.
Vineland-3 (Sparrow, Cicchetti & Saulnier 2016): standard scores mean 100, SD 15 (20-140),
v-scale mean 15, SD 3 (1-24). Adaptive levels are unverified [M] and must not apply by default.
"""

from __future__ import annotations

import pytest

from celltrial.capture.instruments.ados2 import score_ados2
from celltrial.capture.instruments.errors import ItemValueError, MissingItemError
from celltrial.capture.instruments.vineland3 import score_vineland3


@pytest.mark.parametrize(
    ("css", "level"),
    [
        (1, "minimal_to_no"),
        (2, "minimal_to_no"),
        (3, "low"),
        (4, "low"),
        (5, "moderate"),
        (7, "moderate"),
        (8, "high"),
        (10, "high"),
    ],
)
def test_ados2_css_levels_both_sides(css: int, level: str) -> None:
    result = score_ados2(css)
    assert result.band is not None and result.band.code == level


@pytest.mark.parametrize("bad", [0, 11, 5.5, True])
def test_ados2_css_out_of_range_is_refused(bad: object) -> None:
    with pytest.raises(ItemValueError, match="1-10"):
        score_ados2(bad)


def test_ados2_module_and_classification_are_validated() -> None:
    ok = score_ados2(6, module="3", classification="autism_spectrum").as_dict()
    assert ok["module"] == "3" and ok["classification"] == "autism_spectrum"
    with pytest.raises(ItemValueError, match="module"):
        score_ados2(6, module="5")
    with pytest.raises(ItemValueError, match="classification"):
        score_ados2(6, classification="asd")
    with pytest.raises(MissingItemError):
        score_ados2(None)


@pytest.mark.parametrize("ss", [20, 100, 140])
def test_vineland_standard_score_range_accepts_limits(ss: int) -> None:
    assert score_vineland3({"abc": ss}).total == ss


@pytest.mark.parametrize("bad", [19, 141, 85.5])
def test_vineland_standard_score_out_of_range_is_refused(bad: object) -> None:
    with pytest.raises(ItemValueError, match="abc"):
        score_vineland3({"abc": bad})


def test_vineland_composite_required_and_domains_known() -> None:
    with pytest.raises(MissingItemError, match="Composite"):
        score_vineland3({"communication": 80})
    with pytest.raises(ItemValueError, match="unknown domain"):
        score_vineland3({"abc": 80, "iq": 90})


@pytest.mark.parametrize("bad", [0, 25])
def test_vineland_v_scale_range(bad: int) -> None:
    assert score_vineland3({"abc": 80}, v_scale_scores={"receptive": 12}).as_dict()["v_scale_scores"] == {
        "receptive": 12
    }
    with pytest.raises(ItemValueError, match="v-scale"):
        score_vineland3({"abc": 80}, v_scale_scores={"receptive": bad})


def test_vineland_unverified_levels_only_on_opt_in() -> None:
    assert score_vineland3({"abc": 70}).band is None
    pairs = [
        (70, "low"),
        (71, "moderately_low"),
        (85, "moderately_low"),
        (86, "adequate"),
        (114, "adequate"),
        (115, "moderately_high"),
        (129, "moderately_high"),
        (130, "high"),
    ]
    for ss, level in pairs:
        result = score_vineland3({"abc": ss}, allow_unverified_bands=True)
        assert result.band is not None and result.band.code == level
        assert any("UNVERIFIED" in n for n in result.notes)


# Entered scores are integers on a bounded scale (ADOS-2 CSS 1-10, Lord et al. 2012; Vineland-3
# standard scores 20-140, Sparrow et al. 2016). NaN/infinity are not scores: they must be refused
# with the field named, never crash in int() (OverflowError/ValueError traceback).
@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_ados2_css_non_finite_is_refused(bad: float) -> None:
    with pytest.raises(ItemValueError, match="calibrated severity score"):
        score_ados2(bad)


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), float("-inf")])
def test_vineland3_non_finite_standard_score_is_refused(bad: float) -> None:
    with pytest.raises(ItemValueError, match="abc"):
        score_vineland3({"abc": bad})
