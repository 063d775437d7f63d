"""CGI-S and CGI-I anchors and ranges (Guy W, ECDEU Assessment Manual for Psychopharmacology,
rev. 1976, DHEW Publ No ADM 76-338, pp. 217-222).

CGI-S: 1 normal, not at all ill … 7 among the most extremely ill patients.
CGI-I: 1 very much improved … 4 no change … 7 very much worse; 0 = not assessed.
"""

from __future__ import annotations

import pytest

from celltrial.capture.instruments.cgi import score_cgi_i, score_cgi_s
from celltrial.capture.instruments.errors import ItemValueError, MissingItemError

GUY_1976_CGI_S = {
    1: "Normal, not at all ill",
    2: "Borderline mentally ill",
    3: "Mildly ill",
    4: "Moderately ill",
    5: "Markedly ill",
    6: "Severely ill",
    7: "Among the most extremely ill patients",
}
GUY_1976_CGI_I = {
    1: "Very much improved",
    2: "Much improved",
    3: "Minimally improved",
    4: "No change",
    5: "Minimally worse",
    6: "Much worse",
    7: "Very much worse",
}


@pytest.mark.parametrize(("rating", "anchor"), GUY_1976_CGI_S.items())
def test_cgi_s_anchors(rating: int, anchor: str) -> None:
    result = score_cgi_s(rating)
    assert result.total == rating
    assert result.band is not None and result.band.label_en == anchor and result.band.label_zh


@pytest.mark.parametrize(("rating", "anchor"), GUY_1976_CGI_I.items())
def test_cgi_i_anchors(rating: int, anchor: str) -> None:
    result = score_cgi_i(rating)
    assert result.total == rating
    assert result.band is not None and result.band.label_en == anchor and result.band.label_zh


def test_cgi_i_zero_is_not_assessed_not_a_score() -> None:
    result = score_cgi_i(0)
    assert result.total is None
    assert result.band is not None and result.band.code == "not_assessed"


@pytest.mark.parametrize("bad", [0, 8, -1, 2.5, True, "3", float("nan"), float("inf")])
def test_cgi_s_out_of_range_is_refused(bad: object) -> None:
    with pytest.raises(ItemValueError, match="CGI_S"):
        score_cgi_s(bad)


@pytest.mark.parametrize("bad", [-1, 8, 1.5, float("nan"), float("-inf")])
def test_cgi_i_out_of_range_is_refused(bad: object) -> None:
    with pytest.raises(ItemValueError, match="CGI_I"):
        score_cgi_i(bad)


def test_missing_rating_is_refused() -> None:
    with pytest.raises(MissingItemError):
        score_cgi_s(None)
    with pytest.raises(MissingItemError):
        score_cgi_i(None)
