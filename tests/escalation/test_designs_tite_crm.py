"""TITE-CRM against the published rule.

Sources:
- [CC00] Cheung YK, Chappell R. Sequential designs for phase I clinical trials with late-onset toxicities.
  Biometrics 2000;56:1177-1182: weighted likelihood prod F(d_i, a)^y_i (1 - w_i F(d_i, a))^(1 - y_i),
  linear weight w = u / T, and the adaptive weight (m + (u - t_m) / (t_(m+1) - t_m)) / (z + 1) over the
  z ordered DLT times (t_0 = 0, t_(z+1) = T).
- [DFCRM] R package dfcrm (Cheung), ``titecrm``: linear weights followup / obswin, weight 1 for a DLT, the
  empiric model skeleton^exp(a), prior a ~ N(0, 1.34), estimate = posterior mean of a; ``titesim``:
  ``restrict = TRUE`` "avoid(s) (1) skipping doses in escalation and (2) escalation immediately after a
  toxic outcome" (man/titesim.Rd). Its ``crm`` help
  example (prior c(0.05, 0.10, 0.20, 0.35, 0.50, 0.70), target 0.2, level c(3, 4, 4, 3, 3, 4, 3, 2, 2, 2),
  y c(0, 0, 1, 0, 0, 1, 1, 0, 0, 0)) gives a posterior mean of a = -0.21217 (man/crm.Rd): with every
  window complete TITE-CRM is that CRM.
- The weighted posterior is also checked against a direct QUADPACK integration of [DFCRM]'s likelihood,
  written here independently of the engine's grid.
- [CRM] With arrivals one window apart nobody is pending at a decision: the simulated trial is the
  complete-data CRM, whose OCs the engine computes exactly.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import integrate

from celltrial.escalation.designs import TitePatient, crm, tite_crm, tite_weights
from celltrial.escalation.designs.tite import TrialState

HELP_PRIOR = [0.05, 0.10, 0.20, 0.35, 0.50, 0.70]
HELP_LEVEL = [3, 4, 4, 3, 3, 4, 3, 2, 2, 2]
HELP_TOX = [0, 0, 1, 0, 0, 1, 1, 0, 0, 0]


def _quad_posterior_mean(skeleton, levels, tox, weights, variance=1.34):
    """[DFCRM]'s titecrm estimate, by adaptive quadrature over the whole real line."""
    x = np.asarray(skeleton)[np.asarray(levels) - 1]
    y = np.asarray(tox, dtype=float)
    w = np.where(y == 1, 1.0, np.asarray(weights, dtype=float))

    def h(a, power):
        if a > 50:  # exp(a) overflows; F = 0 there and the prior is exp(-1000)
            return 0.0
        f = x ** math.exp(a)
        return a**power * math.exp(-(a**2) / 2 / variance) * float(np.prod(f**y * (1 - w * f) ** (1 - y)))

    opts = {"epsabs": 1e-12, "epsrel": 1e-12, "limit": 200}
    return integrate.quad(h, -np.inf, np.inf, args=(1,), **opts)[0] / integrate.quad(h, -np.inf, np.inf,
                                                                                     args=(0,), **opts)[0]


def test_complete_windows_give_the_dfcrm_help_example():
    design = tite_crm(HELP_PRIOR, 0.2, window_days=28.0)
    pts = [TitePatient(lv, bool(t), 10.0 if t else 0.0) for lv, t in zip(HELP_LEVEL, HELP_TOX, strict=True)]
    assert design.posterior_mean(pts) == pytest.approx(-0.21217, abs=5e-5)


@pytest.mark.parametrize("followups", [[28, 28, 6, 28, 14, 9, 21, 3, 27, 1], [28] * 7 + [2, 1, 0.5]])
def test_linear_weights_posterior_matches_quadrature(followups):
    # the [DFCRM] example's outcomes; patients without a DLT followed for u of a 28-day window
    window = 28.0
    design = tite_crm(HELP_PRIOR, 0.2, window_days=window)
    pts = [TitePatient(lv, True, 5.0) if t else TitePatient(lv, False if u >= window else None, u)
           for lv, t, u in zip(HELP_LEVEL, HELP_TOX, followups, strict=True)]
    weights = [min(u / window, 1.0) for u in followups]
    ref = _quad_posterior_mean(HELP_PRIOR, HELP_LEVEL, HELP_TOX, weights)
    assert design.posterior_mean(pts) == pytest.approx(ref, abs=1e-6)
    # less follow-up is less evidence of tolerance: a lower a, i.e. higher DLT estimates than the complete CRM
    assert design.posterior_mean(pts) < -0.21217


def test_adaptive_weights_follow_the_published_formula():
    # [CC00] DLTs observed 10 and 30 days after dosing (z = 2), window 60
    window = 60.0
    pts = [TitePatient(1, True, 10.0), TitePatient(1, True, 30.0), TitePatient(1, None, 5.0),
           TitePatient(1, None, 20.0), TitePatient(1, None, 45.0), TitePatient(1, False)]
    s = TrialState.from_patients(pts, 2, window, 0, range(3, 6))
    w = tite_weights(s, "adaptive")[0]
    expected = [1.0, 1.0, (0 + 5 / 10) / 3, (1 + (20 - 10) / (30 - 10)) / 3, (2 + (45 - 30) / (60 - 30)) / 3, 1.0]
    assert w == pytest.approx(expected, abs=1e-12)
    linear = tite_weights(s, "linear")[0]
    assert linear == pytest.approx([1, 1, 5 / 60, 20 / 60, 45 / 60, 1], abs=1e-12)
    # without any DLT the adaptive weight is the linear one
    s0 = TrialState.from_patients(pts[2:], 2, window, 0, range(4))
    assert tite_weights(s0, "adaptive")[0] == pytest.approx(tite_weights(s0, "linear")[0], abs=1e-12)


def test_adaptive_posterior_matches_quadrature_with_those_weights():
    window = 60.0
    design = tite_crm([0.1, 0.25, 0.4], 0.25, window_days=window, weights="adaptive")
    pts = [TitePatient(1, True, 10.0), TitePatient(1, True, 30.0), TitePatient(1, None, 5.0),
           TitePatient(2, None, 20.0), TitePatient(2, None, 45.0), TitePatient(1, False)]
    w = [1, 1, 0.5 / 3, 1.5 / 3, 2.5 / 3, 1]
    ref = _quad_posterior_mean([0.1, 0.25, 0.4], [1, 1, 1, 2, 2, 1], [1, 1, 0, 0, 0, 0], w)
    assert design.posterior_mean(pts, current_dose=2) == pytest.approx(ref, abs=1e-6)


def test_no_skipping_and_coherence_restrictions():
    # [DFCRM] titesim(restrict = TRUE) documents both restrictions; both are the defaults
    design = tite_crm([0.05, 0.1, 0.2, 0.35, 0.5], 0.3, window_days=28.0)
    assert design.no_skipping and design.coherent
    # very safe data: the model would jump, the restriction allows one level above the current dose
    safe = [TitePatient(1, False)] * 6 + [TitePatient(2, None, 20.0)]
    rec = design.recommend_tite(safe, last_cohort=1)
    assert rec.dose == 3 and rec.action == "escalate"
    # a DLT in the last cohort: no escalation, whatever the model says
    clean = [TitePatient(1, False)] * 6 + [TitePatient(2, False)] * 5
    assert design.recommend_tite([*clean, TitePatient(2, False)], last_cohort=1).dose == 3
    rec = design.recommend_tite([*clean, TitePatient(2, True, 3.0)], last_cohort=1)
    assert rec.dose == 2 and rec.action == "stay"
    # without the restrictions (dfcrm restrict = FALSE) the same data jump ahead
    unrestricted = design.unrestricted()
    assert unrestricted.design == "tite-crm"
    assert unrestricted.recommend_tite(safe, last_cohort=1).dose > 3
    assert unrestricted.recommend_tite([*clean, TitePatient(2, True, 3.0)], last_cohort=1).dose > 2


def test_simulated_with_arrivals_one_window_apart_is_the_exact_crm():
    # [CRM]: tolerance 5 binomial / Monte Carlo SEs of 4,000 seeded trials (|Z| > 5: p = 6e-7)
    truth = [0.05, 0.15, 0.3, 0.5]
    design = tite_crm([0.1, 0.2, 0.3, 0.45], 0.25, cohort_size=2, max_n=12, accrual="fixed",
                      accrual_interval_days=30.0, window_days=30.0)
    exact = crm([0.1, 0.2, 0.3, 0.45], 0.25, cohort_size=2, max_n=12).oc(truth)
    mc = design.oc(truth, n_trials=4000, seed=11)
    p = np.append(exact.select, exact.select_none)
    se = np.sqrt(p * (1 - p) / 4000)
    assert np.all(np.abs(np.append(mc.select, mc.select_none) - p) <= 5 * se + 1e-12)
    assert np.all(np.abs(mc.n_mean - exact.n_mean) <= 5 * mc.se_n_mean + 1e-9)


def test_complete_oc_is_the_crm_and_bad_parameters_fail():
    design = tite_crm([0.1, 0.2, 0.3], 0.25, max_n=9, cohort_size=3)
    a = design.oc([0.1, 0.25, 0.4], method="complete")
    b = crm([0.1, 0.2, 0.3], 0.25, max_n=9, cohort_size=3).oc([0.1, 0.25, 0.4])
    assert np.allclose(a.select, b.select, atol=1e-14)
    with pytest.raises(ValueError):
        tite_crm([0.1, 0.2], 0.25, weights="kaplan-meier")
    with pytest.raises(ValueError):
        tite_crm([0.1, 0.2], 0.25, window_days=0)
    with pytest.raises(ValueError):
        design.recommend_tite([TitePatient(4, False)])
