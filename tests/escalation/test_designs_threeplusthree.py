"""3+3 in its two named variants.

Sources:
- [STORER89] Storer BE. Design and analysis of phase I clinical trials. Biometrics 1989;45:925-937:
  P(escalate from a dose with true DLT rate p) = (1 - p)^3 [1 + 3p(1 - p)^2].
- [BCRM] Sweeting, Mander, Sabin. bcrm, JSS 2013;54(13); cran/bcrm R/threep3.R: exact 3+3 OCs by enumerating
  every path (esc.only = TRUE is variant A, FALSE is variant B); /work/shared/domain/escalation.md 4 gives
  379 (A) and 2,314 (B) terminal paths for 6 doses.
- [ESC] brockk/escalation R/three_plus_three.R: 0/3 at the top dose stops with the top dose, no expansion.
"""

from __future__ import annotations

import numpy as np
import pytest

from celltrial.escalation.designs import enumerate_paths, storer_escalation_probability, three_plus_three
from celltrial.escalation.designs.threeplusthree import enumeration_oc


@pytest.mark.parametrize("p", [0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.8, 1.0])
@pytest.mark.parametrize("variant", ["3+3A", "3+3B"])
def test_storer_escalation_probability(p, variant):
    # [STORER89]: with dose 2 certain to be toxic, a trial reaches dose 2 exactly when it escalates from dose 1
    design = three_plus_three(2, variant)
    oc = design.oc([p, 1.0])
    p_escalate = oc.n_mean[1] / 3  # dose 2 always gets exactly one cohort of 3 (3/3 DLTs)
    assert p_escalate == pytest.approx((1 - p) ** 3 * (1 + 3 * p * (1 - p) ** 2), abs=1e-12)
    assert p_escalate == pytest.approx(storer_escalation_probability(p), abs=1e-15)


@pytest.mark.parametrize(("variant", "paths"), [("3+3A", 379), ("3+3B", 2314)])
def test_terminal_path_counts_for_six_doses(variant, paths):
    # [BCRM] / domain note: 379 (variant A) and 2,314 (variant B) terminal paths for 6 doses
    assert len(enumerate_paths(6, variant)) == paths


@pytest.mark.parametrize("variant", ["3+3A", "3+3B"])
def test_exact_dp_equals_path_enumeration(variant):
    # [BCRM]: the DP (merged states) and the path enumeration give the same OCs
    rng = np.random.default_rng(5)
    paths = enumerate_paths(5, variant)
    design = three_plus_three(5, variant)
    for truth in ([0.05, 0.1, 0.2, 0.35, 0.5], np.sort(rng.uniform(0, 0.7, 5)), [0.3] * 5):
        ref = enumeration_oc(paths, truth, 0.3)
        for oc in (design.oc(truth), design.oc(truth, precompute=False)):
            np.testing.assert_allclose(oc.select, ref["select"], atol=1e-13)
            assert oc.select_none == pytest.approx(ref["select_none"], abs=1e-13)
            np.testing.assert_allclose(oc.n_mean, ref["n_mean"], atol=1e-12)
            np.testing.assert_allclose(oc.dlt_mean, ref["dlt_mean"], atol=1e-12)
            assert oc.early_stop == pytest.approx(ref["early_stop"], abs=1e-13)


def test_variants_differ_and_monte_carlo_agrees():
    truth = [0.05, 0.1, 0.2, 0.3, 0.45, 0.6]
    a = three_plus_three(6, "3+3A").oc(truth)
    b = three_plus_three(6, "3+3B").oc(truth)
    assert b.total_n > a.total_n  # B re-treats lower doses
    mc = three_plus_three(6, "3+3B").oc(truth, method="mc", n_trials=20_000, seed=1)
    assert np.all(np.abs(mc.select - b.select) <= 4.5 * np.maximum(mc.se_select, 1e-3))
    assert np.all(np.abs(mc.n_mean - b.n_mean) <= 4.5 * np.maximum(mc.se_n_mean, 1e-3))


def test_rules_variant_a():
    d = three_plus_three(3, "3+3A")
    assert d.recommend("").dose == 1
    assert d.recommend("1NNN").dose == 2
    assert d.recommend("1NNN 2NTN").dose == 2  # 1/3: 3 more at the same dose
    r = d.recommend("1NNN 2NTN 2NNN")
    assert r.dose == 3 and r.continue_trial  # 1/6: escalate
    r = d.recommend("1NNN 2TTN")
    assert not r.continue_trial and r.dose == 1  # >= 2/3: MTD = next lower dose
    r = d.recommend("1TNT")
    assert not r.continue_trial and r.dose is None
    r = d.recommend("1NNN 2NNN 3NNN")
    assert not r.continue_trial and r.dose == 3  # [ESC] top dose 0/3: stop, MTD = top dose, no expansion


def test_rules_variant_b_de_escalates_to_complete_six():
    d = three_plus_three(3, "3+3B")
    r = d.recommend("1NNN 2NNN 3TTN")
    assert r.continue_trial and r.dose == 2  # dose 2 had only 3: treat 3 more there
    r = d.recommend("1NNN 2NNN 3TTN 2NTN")
    assert not r.continue_trial and r.dose == 2  # 1/6 at dose 2 after coming down: MTD
    r = d.recommend("1NNN 2NNN 3TTN 2TTN")
    assert r.continue_trial and r.dose == 1  # 2/6 at dose 2: down again
    r = d.recommend("1NTN 1NNN 2TTN")
    assert not r.continue_trial and r.dose == 1  # dose 1 already has 6: MTD
    assert d.select("1NNN 2NNN 3TTN 2NTN").dose == 2


def test_not_a_three_plus_three_trial():
    with pytest.raises(ValueError):
        three_plus_three(3).recommend("1NNN 1NNN 1NNN")


@pytest.mark.parametrize("outcomes", ["2TTN 1NNN", "2TTN 1NTN"])
def test_3p3b_confirms_a_dose_reached_by_de_escalation_with_six(outcomes):
    """Korn et al. (J Clin Oncol 1994; 3+3 with de-escalation): the MTD is the highest dose at which 6
    patients were treated with at most 1 DLT. Starting above dose 1, a de-escalation reaches an untreated
    dose: its first 3 patients cannot make it the MTD; 3 more are treated there."""
    design = three_plus_three(3, "3+3B").start_at(2)
    rec = design.recommend(outcomes)
    assert (rec.action, rec.dose, rec.continue_trial) == ("stay", 1, True)
    done = design.recommend(outcomes + " 1NNN")
    assert (done.action, done.dose, done.continue_trial) == ("stop", 1, False)
