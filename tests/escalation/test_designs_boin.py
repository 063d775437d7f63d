"""BOIN against the R package BOIN 2.7.2 and its published examples.

Sources:
- [LY15] Liu S, Yuan Y. Bayesian optimal interval designs for phase I clinical trials. JRSS-C 2015;64:507-523,
  Table 1 (lambda_e, lambda_d); the same values in Yuan et al., Clin Cancer Res 2016;22:4291-4301, Table 1.
- [TPL] BOIN protocol template (MD Anderson, "Template for Protocol Preparation", Table 1, target 0.3,
  30 patients in cohorts of 3), the table printed by ``get.boundary(target=0.3, ncohort=10, cohortsize=3)``
  (cran/BOIN R/get.boundary.R example).
- [JSS20] Yan F, Zhang L, Zhou Y, Pan H, Liu S, Yuan Y. BOIN: an R package ... JSS 2020;94(13): the worked
  single-agent trial path, used as "BOIN recommendations match published example" in the R package
  escalation's tests (brockk/escalation tests/testthat/test_boin.R).
- [SRC] cran/BOIN R/get.boundary.R, R/get.oc.R, R/select.mtd.R (2.7.x) for the semantics transcribed below.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.stats import beta as beta_dist

from celltrial.escalation.designs import boin, boin_boundaries, boin_lambdas, select_mtd
from celltrial.escalation.designs.boundaries import NA, elimination_counts


@pytest.mark.parametrize(
    ("target", "lam_e", "lam_d"),
    [(0.15, 0.118, 0.179), (0.20, 0.157, 0.238), (0.25, 0.197, 0.298), (0.30, 0.236, 0.359),
     (0.35, 0.276, 0.419), (0.40, 0.316, 0.480)],
)
def test_lambdas_match_published_table(target, lam_e, lam_d):
    # [LY15] Table 1 / CCR 2016 Table 1: p.saf = 0.6 phi, p.tox = 1.4 phi
    e, d = boin_lambdas(target)
    assert round(e, 3) == lam_e
    assert round(d, 3) == lam_d


def test_count_boundaries_target_03_as_printed_by_the_package():
    # [TPL]: escalate <= / de-escalate >= / eliminate >= for n = 3, 6, ..., 30
    b = boin_boundaries(0.3, 30)
    ns = list(range(3, 31, 3))
    rows = b.rows(ns)
    assert rows["escalate_if_le"] == [0, 1, 2, 2, 3, 4, 4, 5, 6, 7]
    assert rows["deescalate_if_ge"] == [2, 3, 4, 5, 6, 7, 8, 9, 10, 11]
    assert rows["eliminate_if_ge"] == [3, 4, 5, 7, 8, 9, 10, 11, 12, 14]


def test_elimination_is_smallest_y_with_posterior_above_cutoff():
    # [SRC] get.boundary: for n >= 3, smallest ntox in 1..n with 1 - pbeta(target, ntox+1, n-ntox+1) > cutoff.eli
    elim = elimination_counts(0.3, 40, 0.95)
    assert list(elim[:3]) == [NA, NA, NA]
    for n in range(3, 41):
        e = int(elim[n])
        assert 1 - beta_dist.cdf(0.3, e + 1, n - e + 1) > 0.95
        assert 1 - beta_dist.cdf(0.3, e, n - e + 2) <= 0.95


def test_deescalation_capped_at_elimination_and_extrasafe_boundary():
    # [SRC] b.d is capped by elim; extrasafe uses cutoff.eli - offset
    b = boin_boundaries(0.5, 12, extrasafe=True)
    ok = b.eliminate != NA
    assert np.all(b.deescalate[ok] <= b.eliminate[ok])
    assert np.all((b.stop[ok] <= b.eliminate[ok]) | (b.stop[ok] == NA))
    assert b.rows([3])["stop_if_ge"] == [int(b.stop[3])]


def test_deescalation_uses_strict_rule_when_lambda_d_n_is_an_integer(monkeypatch):
    # [SRC] BOIN 2.7.2: within 1e-12 of an integer, round() + 1 (strictly greater than lambda_d * n)
    from celltrial.escalation.designs import boundaries

    monkeypatch.setattr(boundaries, "boin_lambdas", lambda t, a=None, b=None: (0.2, 0.5))
    b = boundaries.boin_boundaries(0.3, 6)
    assert int(b.deescalate[2]) == 2  # 0.5 * 2 = 1 exactly: de-escalate at 2, not 1
    assert int(b.deescalate[3]) == 2  # ceiling(1.5)


@pytest.mark.parametrize("kwargs", [{"target": 0.03}, {"target": 0.7}, {"target": 0.3, "p_saf": 0.29},
                                    {"target": 0.3, "p_tox": 0.31}, {"target": 0.3, "offset": 0.6}])
def test_input_checks_as_in_the_package(kwargs):
    # [SRC] get.boundary / get.oc error checks
    with pytest.raises(ValueError):
        boin_boundaries(max_n=9, **kwargs)


JSS_PATH = "1NNN 2NNN 3NTT 2NTN 3NNN 3NNN 4TTT 3NTN 3NNT 3TNN"


def test_published_worked_path_reproduces_dose_sequence():
    # [JSS20]: target 0.3, 5 doses; the dose given to each next cohort is the recommendation after the previous
    design = boin(target=0.3, doses=5)
    cohorts = JSS_PATH.split()
    given = [int(c[0]) for c in cohorts]
    recommended = [design.recommend(" ".join(cohorts[:i])).dose for i in range(len(cohorts) + 1)]
    assert recommended[:-1] == given  # every cohort was treated where BOIN said
    assert recommended[-1] == 3  # escalation's test: dose 3 after the last cohort
    r = design.recommend(JSS_PATH)
    assert r.n == [3, 6, 18, 3, 0] and r.dlts == [0, 1, 5, 3, 0]
    assert r.admissible == [True, True, True, False, False]  # 3/3 at dose 4 eliminated doses 4 and 5


def test_published_worked_path_final_selection():
    # [JSS20] with 30 patients the trial ends; select.mtd picks dose 3 (isotonic estimate closest to 0.3)
    design = boin(target=0.3, doses=5).stop_at_n(30)
    r = design.recommend(JSS_PATH)
    assert not r.continue_trial and r.dose == 3
    sel = design.select(JSS_PATH)
    assert sel.dose == 3
    est = {e["dose"]: e for e in sel.estimates}
    assert est[4]["admissible"] is False
    assert math.isclose(est[3]["estimate"], 5.05 / 18.1, rel_tol=1e-12)  # (y + 0.05) / (n + 0.1), no pooling


def test_select_mtd_help_example():
    # [SRC] select.mtd example: n = (3, 3, 15, 9, 0), y = (0, 0, 4, 4, 0), target 0.3
    # phat = (0.05/3.1, 0.05/3.1, 4.05/15.1, 4.05/9.1): already monotone; 0.268 is closest to 0.3 -> dose 3
    assert select_mtd([3, 3, 15, 9, 0], [0, 0, 4, 4, 0], 0.3) == 2


def test_select_mtd_tie_rule():
    # [SRC] phat + i * 1e-10: among pooled ties the lower dose wins above the target, the higher below it.
    # 2/6 at dose 2 then 1/6 at dose 3 violate monotonicity, so PAVA pools doses 2 and 3 into one value
    n, y = [3, 6, 6], [0, 2, 1]
    from celltrial.escalation.designs.isotonic import _weights, pava

    phat, w = _weights(np.array(n, float), np.array(y, float))
    pooled = pava(phat, w)
    assert pooled[1] == pooled[2]
    sel = select_mtd(n, y, 0.3)
    assert sel == (2 if pooled[1] < 0.3 else 1)
    # the same pooled value on the other side of the target flips the choice
    sel_hi = select_mtd(n, y, pooled[1] - 0.01)
    assert sel_hi == 1
    sel_lo = select_mtd(n, y, pooled[1] + 0.01)
    assert sel_lo == 2


def test_dose_one_eliminated_means_no_mtd():
    # [SRC] select.mtd returns 99 when dose 1 is eliminated
    assert select_mtd([3, 0, 0], [3, 0, 0], 0.3) == -1
    design = boin(target=0.3, doses=3)
    r = design.recommend("1TTT")
    assert not r.continue_trial and r.dose is None


def test_extrasafe_stops_at_dose_one():
    # [SRC] get.oc: d == 1, n1 >= 3 and P(p1 > target) > cutoff.eli - offset -> stop
    plain = boin(target=0.3, doses=3)
    safe = boin(target=0.3, doses=3, extrasafe=True)
    # 2/3 at dose 1: P(p > 0.3 | Beta(3, 2)) = 0.916 (< 0.95, > 0.90)
    assert 0.90 < 1 - beta_dist.cdf(0.3, 3, 2) < 0.95
    assert plain.recommend("1NTT").continue_trial
    r = safe.recommend("1NTT")
    assert not r.continue_trial and r.dose is None
    assert safe.select("1NTT").dose is None
