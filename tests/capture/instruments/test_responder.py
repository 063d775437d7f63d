"""RUPP responder rule and change helpers.

RUPP Autism Network, McCracken JT et al., N Engl J Med 2002;347:314-321: positive response =
≥25 % reduction of the ABC Irritability subscale from baseline AND CGI-I 1 or 2 (as tabulated in
Neuropsychiatr Dis Treat 2018;14:1811, Table 1). Percent change is undefined at a baseline of 0.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from celltrial.capture.instruments.errors import ItemValueError, NotEvaluableError
from celltrial.capture.instruments.responder import (
    ResponderStatus,
    change_from_baseline,
    percent_change,
    rupp_responder,
)


@pytest.mark.parametrize(
    ("baseline", "now", "cgi_i", "status"),
    [
        (20, 15, 2, ResponderStatus.RESPONDER),  # exactly 25 % and much improved
        (12, 9, 1, ResponderStatus.RESPONDER),  # exactly 25 % with a non-round baseline
        (20, 16, 1, ResponderStatus.NON_RESPONDER),  # 20 % reduction
        (20, 5, 3, ResponderStatus.NON_RESPONDER),  # large reduction, CGI-I minimally improved
        (20, 25, 2, ResponderStatus.NON_RESPONDER),  # worse on ABC-I
        (0, 0, 1, ResponderStatus.NOT_EVALUABLE),  # baseline 0
        (20, 10, 0, ResponderStatus.NOT_EVALUABLE),  # CGI-I not assessed
    ],
)
def test_rupp_rule(baseline: int, now: int, cgi_i: int, status: ResponderStatus) -> None:
    assert rupp_responder(baseline, now, cgi_i).status is status


def test_rupp_inputs_are_range_checked() -> None:
    with pytest.raises(ItemValueError, match="0-45"):
        rupp_responder(46, 10, 2)
    with pytest.raises(ItemValueError, match="CGI-I"):
        rupp_responder(20, 10, 8)


def test_percent_change_from_zero_baseline_is_not_evaluable() -> None:
    with pytest.raises(NotEvaluableError):
        percent_change(0, 5)


def test_change_and_percent_change_examples() -> None:
    assert change_from_baseline(40, 30) == -10
    assert percent_change(40, 30) == -25.0


@settings(max_examples=100, deadline=None)
@given(st.integers(-200, 200), st.integers(-200, 200))
def test_percent_change_consistent_with_change(baseline: int, value: int) -> None:
    assume(baseline != 0)
    change = change_from_baseline(baseline, value)
    pct = percent_change(baseline, value)
    assert math.isclose(pct * baseline / 100, change, abs_tol=1e-9)
    assert (pct == 0) == (change == 0)


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 45), st.integers(0, 45), st.integers(1, 7))
def test_responder_iff_quarter_reduction_and_cgi_i_at_most_2(base: int, now: int, cgi_i: int) -> None:
    result = rupp_responder(base, now, cgi_i)
    expected = 4 * (base - now) >= base and cgi_i <= 2
    assert (result.status is ResponderStatus.RESPONDER) == expected
