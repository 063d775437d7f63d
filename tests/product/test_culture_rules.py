"""Population doublings and the hypoxic-culture O2 band.

PD definition: one doubling is a two-fold increase, so N_H = N_S × 2**PD, i.e. PD = log2(N_H / N_S);
cumulative PD (population doubling level) is the running sum over passages (RoosterBio best-practice
note on PDL, 2014/2019; ICH Q5D asks for population doublings to be estimated). Hypoxic MSC culture is
typically 1–5 % O2 (domain note §4; ILLUSTRATIVE alarm band).
"""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from celltrial.product.rules import (
    OxygenBand,
    OxygenStatus,
    PassageCount,
    RuleInputError,
    check_oxygen,
    cumulative_population_doublings,
    population_doublings,
)


def test_eightfold_expansion_is_three_doublings() -> None:
    assert population_doublings(1.0e5, 8.0e5) == pytest.approx(3.0)
    assert population_doublings(2.0e6, 2.0e6) == 0.0


def test_cumulative_pd_across_passages() -> None:
    passages = [PassageCount(1.0e5, 8.0e5), PassageCount(2.0e5, 4.0e5), PassageCount(1.0e6, 4.0e6)]
    assert cumulative_population_doublings(passages) == pytest.approx(3 + 1 + 2)
    assert cumulative_population_doublings(passages, starting_pd=10) == pytest.approx(16)


@pytest.mark.parametrize(("seeded", "harvested", "field"), [(0, 1e6, "seeded"), (1e5, -1, "harvested"), (1e5, float("inf"), "harvested")])
def test_non_positive_counts_are_refused(seeded: float, harvested: float, field: str) -> None:
    with pytest.raises(RuleInputError, match=field):
        population_doublings(seeded, harvested)


def test_bad_passage_is_named() -> None:
    with pytest.raises(RuleInputError, match="passage 2"):
        cumulative_population_doublings([PassageCount(1e5, 2e5), PassageCount(0, 2e5)])


@given(st.lists(st.floats(1e2, 1e9), min_size=2, max_size=8))
def test_pd_is_additive_across_passages(counts: list[float]) -> None:
    # Harvest of one passage seeds the next: the sum of PDs equals the PD from first to last count.
    passages = [PassageCount(a, b) for a, b in itertools.pairwise(counts)]
    assert math.isclose(
        cumulative_population_doublings(passages), population_doublings(counts[0], counts[-1]), abs_tol=1e-9
    )


@pytest.mark.parametrize(("o2", "status"), [
    (0.5, OxygenStatus.BELOW_BAND), (1.0, OxygenStatus.IN_BAND), (3.0, OxygenStatus.IN_BAND),
    (5.0, OxygenStatus.IN_BAND), (5.1, OxygenStatus.ABOVE_BAND), (21.0, OxygenStatus.ABOVE_BAND),
])
def test_default_hypoxic_band(o2: float, status: OxygenStatus) -> None:
    check = check_oxygen(o2)
    assert check.status is status
    assert check.alarm is (status is not OxygenStatus.IN_BAND)


def test_band_is_configurable_and_validated() -> None:
    assert check_oxygen(6.5, OxygenBand(2.0, 7.0)).status is OxygenStatus.IN_BAND
    with pytest.raises(RuleInputError, match="low < high"):
        OxygenBand(5.0, 1.0)
    with pytest.raises(RuleInputError, match="between 0 and 100"):
        check_oxygen(120)
