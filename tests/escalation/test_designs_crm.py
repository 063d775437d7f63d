"""CRM against dfcrm.

Sources:
- [DFCRM] cran/dfcrm man/crm.Rd, example: prior c(0.05, 0.10, 0.20, 0.35, 0.50, 0.70), target 0.2,
  level c(3, 4, 4, 3, 3, 4, 3, 2, 2, 2), y c(0, 0, 1, 0, 0, 1, 1, 0, 0, 0) (search.r-project.org
  CRAN/refmans/dfcrm/html/crm.html); R/dfcrm.R for the formulas (posterior mean by ``integrate``; plug-in
  ptox; mtd rule; crmsim restrict: no skipping, coherence).
- [ESCDOC] brockk.github.io/escalation reference get_dfcrm and follow_path: with skeleton
  c(0.05, 0.1, 0.25, 0.4, 0.6) and target 0.25, dfcrm recommends dose 2 after '1NNN 2NTN' and after '1NNN 2NT'.
R is not available here, so the dfcrm numbers are reproduced by ``dfcrm_crm``, a transcription of dfcrm's
crm() integrating with QUADPACK (the library behind R's integrate) at R's default tolerance.
"""

from __future__ import annotations

import numpy as np
import pytest

from celltrial.escalation.designs import CRMModel, counts, crm, dfcrm_crm, getprior, parse_outcomes
from celltrial.escalation.designs.exact import run_dp

HELP_PRIOR = [0.05, 0.10, 0.20, 0.35, 0.50, 0.70]
HELP_LEVEL = [3, 4, 4, 3, 3, 4, 3, 2, 2, 2]
HELP_TOX = [0, 0, 1, 0, 0, 1, 1, 0, 0, 0]


def _counts(level, tox, k):
    n = np.zeros(k, int)
    y = np.zeros(k, int)
    for lv, t in zip(level, tox, strict=True):
        n[lv - 1] += 1
        y[lv - 1] += t
    return n, y


@pytest.mark.parametrize("model", ["empiric", "logistic"])
def test_help_page_example_posterior_mean_and_dose(model):
    # [DFCRM] crm(prior, target, y, level): our grid posterior equals the integrate()-based estimate
    ref = dfcrm_crm(HELP_PRIOR, 0.2, HELP_TOX, HELP_LEVEL, model=model)
    tight = dfcrm_crm(HELP_PRIOR, 0.2, HELP_TOX, HELP_LEVEL, model=model, tol=1e-12)
    m = CRMModel(tuple(HELP_PRIOR), 0.2, model)
    n, y = _counts(HELP_LEVEL, HELP_TOX, 6)
    a, v = m.estimate(n[None], y[None])
    assert a[0] == pytest.approx(tight["estimate"], abs=1e-8)
    assert a[0] == pytest.approx(ref["estimate"], abs=1e-4)  # R's integrate works to rel.tol 1.2e-4
    assert v[0] == pytest.approx(tight["post_var"], abs=1e-8)
    np.testing.assert_allclose(m.dose_curve(a)[0], tight["ptox"], atol=1e-8)
    assert int(m.recommend(n[None], y[None])[0]) + 1 == ref["mtd"] == 2


def test_help_page_example_values():
    # [DFCRM] the example's posterior mean of a (empiric) and plug-in toxicity curve
    ref = dfcrm_crm(HELP_PRIOR, 0.2, HELP_TOX, HELP_LEVEL, tol=1e-12)
    assert ref["estimate"] == pytest.approx(-0.2121715, abs=1e-6)
    assert ref["ptox"][1] == pytest.approx(0.10 ** np.exp(ref["estimate"]))
    assert ref["mtd"] == 2  # ptox 0.155 at dose 2 is closest to 0.2 (0.272 at dose 3)


@pytest.mark.parametrize(("outcomes", "dose"), [("1NNN 2NTN", 2), ("1NNN 2NT", 2)])
def test_escalation_documentation_examples(outcomes, dose):
    # [ESCDOC]
    sk = (0.05, 0.1, 0.25, 0.4, 0.6)
    m = CRMModel(sk, 0.25)
    n, y = counts(parse_outcomes(outcomes), 5)
    assert int(m.recommend(n[None], y[None])[0]) + 1 == dose
    cohorts = parse_outcomes(outcomes)
    tox = [1 if ch == "T" else 0 for c in cohorts for ch in c.outcomes]
    lev = [c.dose for c in cohorts for _ in c.outcomes]
    assert dfcrm_crm(list(sk), 0.25, tox, lev)["mtd"] == dose
    assert crm(sk, 0.25).recommend("1NNN 2NTN").dose == 2


def test_grid_matches_quadrature_on_every_state_of_a_trial():
    # every (n, y) state the exact DP meets for 5 doses x 10 cohorts of 3: same dose as the quad reference
    sk = (0.05, 0.12, 0.25, 0.40, 0.55)
    design = crm(sk, 0.25).stop_at_n(30)
    n, y, _, _, _ = run_dp(design.rules(), None)
    m = design.crm_model
    a, _ = m.estimate(n, y)
    fine = CRMModel(sk, 0.25, grid_points=6401)
    af, _ = fine.estimate(n, y)
    assert np.abs(a - af).max() < 1e-10
    rng = np.random.default_rng(0)
    for i in rng.choice(len(n), 25, replace=False):
        lev = [j + 1 for j in range(5) for _ in range(n[i, j])]
        tox = [1 if t < y[i, j] else 0 for j in range(5) for t in range(n[i, j])]
        ref = dfcrm_crm(list(sk), 0.25, tox, lev, tol=1e-11)
        assert a[i] == pytest.approx(ref["estimate"], abs=1e-7)
        assert int(m.recommend(n[i:i + 1], y[i:i + 1])[0]) + 1 == ref["mtd"]


def test_restrictions_no_skipping_and_coherence():
    # [DFCRM] crmsim restrict = TRUE
    sk = (0.02, 0.04, 0.06, 0.08, 0.5)
    d = crm(sk, 0.3)
    assert d.recommend("1NNN").dose == 2  # the model would jump to dose 4; no skipping
    assert d.unrestricted().recommend("1NNN").dose > 2
    d2 = crm((0.25, 0.3, 0.35, 0.4, 0.45), 0.3)
    assert d2.recommend("1NNN 1NNN 1NNN 2TNN").dose <= 2  # coherence: 1/3 >= target, no escalation


def test_exact_crm_and_monte_carlo_agree():
    design = crm((0.05, 0.12, 0.25, 0.40, 0.55), 0.25).stop_at_n(30)
    truth = [0.05, 0.10, 0.25, 0.40, 0.55]
    ex = design.oc(truth, precompute=False)
    pre = design.oc(truth)
    np.testing.assert_allclose(ex.select, pre.select, atol=1e-12)
    mc = design.oc(truth, method="mc", n_trials=20_000, seed=2)
    assert np.all(np.abs(mc.select - ex.select) <= 4.5 * np.maximum(mc.se_select, 1e-3))
    assert np.all(np.abs(mc.n_mean - ex.n_mean) <= 4.5 * np.maximum(mc.se_n_mean, 1e-3))


def test_stop_when_too_toxic():
    d = crm((0.25, 0.35, 0.45), 0.25).stop_when_too_toxic(0.9)
    r = d.recommend("1TTT")
    assert not r.continue_trial and r.dose is None
    oc = d.stop_at_n(12).oc([0.7, 0.8, 0.9])
    assert oc.early_stop > 0.5


def test_getprior_indifference_interval():
    # [DFCRM] getprior(halfwidth, target, nu, nlevel): skeleton whose neighbours are target -/+ halfwidth
    # at the same value of a (Lee & Cheung 2009)
    sk = getprior(0.05, 0.25, 3, 5)
    assert sk[2] == pytest.approx(0.25)
    assert all(np.diff(sk) > 0)
    for k in range(1, 5):
        # a at which dose k+1 has P = target - h gives dose k... dose k at target + h: same exp(a)
        e = np.log(0.25 + 0.05) / np.log(sk[k - 1]) if k - 1 < 2 else None
        if e is not None:
            assert sk[k] ** e == pytest.approx(0.25 - 0.05) or sk[k - 1] ** e == pytest.approx(0.30)
