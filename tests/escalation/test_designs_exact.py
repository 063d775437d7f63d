"""Exact operating characteristics: the state-merging DP against brute force, the precompute against the
direct DP, and both against Monte Carlo.

Sources:
- [SRC] cran/BOIN R/get.oc.R (2.7.x): the per-trial loop transcribed in ``_boin_trial`` below (last cohort
  added with no elimination check and no decision; elimination; extrasafe; n.earlystop; escalate /
  de-escalate / stay), and select.mtd for the final choice.
- [DOM] /work/shared/domain/escalation.md section 4: exact DP over distinct states and the precompute trick
  OC(p) = sum_s coef_s prod_j p_j^y (1 - p_j)^(n - y).
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import comb
from scipy.stats import beta as beta_dist

from celltrial.escalation.designs import boin, i3plus3, keyboard, mtpi2, select_mtd
from celltrial.escalation.designs.boundaries import NA, boin_boundaries


def _boin_trial_enumeration(target, truth, cohort_size, ncohort, n_earlystop=100, extrasafe=False,
                            offset=0.05, cutoff=0.95):
    """Every outcome sequence of BOIN's get.oc loop, enumerated without merging ([SRC] transcription)."""
    k = len(truth)
    npts = cohort_size * ncohort
    b = boin_boundaries(target, npts, elimination_cutoff=cutoff, extrasafe=extrasafe, offset=offset)
    b_e, b_d, b_elim = b.escalate, b.deescalate, b.eliminate
    out = {"sel": np.zeros(k + 1), "n": np.zeros(k), "y": np.zeros(k), "stop": 0.0, "paths": 0}

    def finish(n, y, prob, earlystop):
        d_sel = -1 if earlystop else select_mtd(n, y, target, elimination_cutoff=cutoff, extrasafe=extrasafe, offset=offset)
        out["sel"][d_sel + 1] += prob
        out["n"] += prob * n
        out["y"] += prob * y
        out["stop"] += prob * earlystop
        out["paths"] += 1

    def walk(d, n, y, elimi, prob):
        for t in range(cohort_size + 1):
            pr = prob * comb(cohort_size, t) * truth[d] ** t * (1 - truth[d]) ** (cohort_size - t)
            if pr == 0:
                continue
            n2, y2, el = n.copy(), y.copy(), elimi.copy()
            if n.sum() + cohort_size >= npts:  # last cohort: add and break
                n2[d] += npts - n.sum()
                y2[d] += t
                finish(n2, y2, pr, 0)
                continue
            n2[d] += cohort_size
            y2[d] += t
            nd = int(n2[d])
            if b_elim[nd] != NA:
                if y2[d] >= b_elim[nd]:
                    el[d:] = 1
                    if d == 0:
                        finish(n2, y2, pr, 1)
                        continue
                if extrasafe and d == 0 and n2[0] >= 3 and (
                        1 - beta_dist.cdf(target, y2[0] + 1, n2[0] - y2[0] + 1) > cutoff - offset):
                    finish(n2, y2, pr, 1)
                    continue
            if nd >= n_earlystop and ((b_e[nd] < y2[d] < b_d[nd]) or (d == 0 and y2[d] >= b_d[nd]) or
                                      ((d == k - 1 or el[d + 1] == 1) and y2[d] <= b_e[nd])):
                finish(n2, y2, pr, 0)
                continue
            if y2[d] <= b_e[nd] and d != k - 1:
                nd_next = d + 1 if el[d + 1] == 0 else d
            elif y2[d] >= b_d[nd] and d != 0:
                nd_next = d - 1
            else:
                nd_next = d
            walk(nd_next, n2, y2, el, pr)

    walk(0, np.zeros(k), np.zeros(k), np.zeros(k, dtype=int), 1.0)
    return out


@pytest.mark.parametrize(
    ("truth", "kw"),
    [([0.05, 0.25, 0.5], {}),
     ([0.3, 0.45, 0.6], {"n_earlystop": 9}),
     ([0.5, 0.6, 0.7], {"extrasafe": True}),
     ([0.1, 0.2, 0.3, 0.5], {"n_earlystop": 6}),
     ([0.45, 0.5, 0.55], {"extrasafe": True, "n_earlystop": 9})],
)
def test_boin_dp_equals_brute_force_enumeration(truth, kw):
    # [SRC] + [DOM]: same OCs from every path enumerated one by one and from the merged DP
    ncohort = 5 if len(truth) == 3 else 4
    ref = _boin_trial_enumeration(0.3, truth, 3, ncohort, **kw)
    design = boin(target=0.3, doses=len(truth), extrasafe=kw.get("extrasafe", False)).stop_at_n(3 * ncohort)
    if "n_earlystop" in kw:
        design = design.stop_when_n_at_dose(kw["n_earlystop"])
    for oc in (design.oc(truth, precompute=False), design.oc(truth)):
        np.testing.assert_allclose(oc.select, ref["sel"][1:], atol=1e-12)
        assert oc.select_none == pytest.approx(ref["sel"][0], abs=1e-12)
        np.testing.assert_allclose(oc.n_mean, ref["n"], atol=1e-12)
        np.testing.assert_allclose(oc.dlt_mean, ref["y"], atol=1e-12)
        assert oc.early_stop == pytest.approx(ref["stop"], abs=1e-12)


def test_last_cohort_is_never_checked_for_elimination():
    # [SRC] get.oc: the cohort that fills npts is added and the loop breaks; select.mtd may still return 99,
    # which BOIN counts in percentstop but which is not an early stop here
    design = boin(target=0.3, doses=2).stop_at_n(3)
    oc = design.oc([0.5, 0.6])
    assert oc.early_stop == 0.0
    assert oc.select_none == pytest.approx(0.5**3)  # 3/3 at dose 1 -> eliminated at selection


def test_precompute_equals_direct_dp_six_doses():
    # [DOM] 6 doses, cohorts of 3, 12 cohorts: one precompute serves every scenario exactly
    design = boin(target=0.3, doses=6).stop_at_n(36)
    tp = design.terminal_states()
    assert 25_000 < len(tp) < 45_000
    rng = np.random.default_rng(7)
    for truth in ([0.05, 0.10, 0.20, 0.30, 0.45, 0.60], np.sort(rng.uniform(0, 0.8, 6)), [0.0, 0.0, 0.1, 0.3, 1, 1]):
        a = design.oc(truth)
        b = design.oc(truth, precompute=False)
        np.testing.assert_allclose(a.select, b.select, atol=1e-12)
        np.testing.assert_allclose(a.n_mean, b.n_mean, atol=1e-10)
        np.testing.assert_allclose(a.dlt_mean, b.dlt_mean, atol=1e-10)
        assert a.select.sum() + a.select_none == pytest.approx(1.0, abs=1e-12)


def _within(exact, mc, z=4.5):
    def close(a, b, se):
        return np.all(np.abs(np.asarray(a) - np.asarray(b)) <= z * np.maximum(se, 1e-3))

    assert close(exact.select, mc.select, mc.se_select), (exact.select, mc.select)
    assert close(exact.select_none, mc.select_none, mc.se_select_none)
    assert close(exact.n_mean, mc.n_mean, mc.se_n_mean), (exact.n_mean, mc.n_mean)
    assert close(exact.dlt_mean, mc.dlt_mean, mc.se_dlt_mean)
    assert close(exact.early_stop, mc.early_stop, mc.se_early_stop)
    assert close(exact.pct_above_mtd, mc.pct_above_mtd, mc.se_pct_above_mtd)


@pytest.mark.parametrize("make", [
    lambda: boin(target=0.3, doses=6).stop_at_n(36),
    lambda: boin(target=0.25, doses=5, extrasafe=True).stop_at_n(30).stop_when_n_at_dose(12),
    lambda: mtpi2(target=0.3, doses=5).stop_at_n(30),
    lambda: i3plus3(target=0.3, doses=5).stop_at_n(30),
    lambda: keyboard(target=0.3, doses=5).stop_at_n(30),
    lambda: boin(target=0.3, doses=5, bound_mtd=True).stop_at_n(24).start_at(3).cohorts_of(2),
])
def test_exact_and_monte_carlo_agree_within_error(make):
    design = make()
    truth = [0.05, 0.10, 0.20, 0.30, 0.45, 0.60][: design.n_doses]
    exact = design.oc(truth)
    mc = design.oc(truth, method="mc", n_trials=20_000, seed=11)
    _within(exact, mc)


def test_monte_carlo_is_reproducible_and_chunking_keeps_totals():
    design = boin(target=0.3, doses=4).stop_at_n(18)
    truth = [0.1, 0.2, 0.35, 0.5]
    a = design.oc(truth, method="mc", n_trials=5000, seed=3)
    b = design.oc(truth, method="mc", n_trials=5000, seed=3)
    c = design.oc(truth, method="mc", n_trials=5000, seed=3, chunk=700)
    np.testing.assert_array_equal(a.select, b.select)
    assert c.n_trials == 5000
    _within(design.oc(truth), c)
