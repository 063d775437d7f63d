"""TITE-BOIN against the published rule and tables.

Sources:
- [Y18] Yuan Y, Lin R, Li D, Nie L, Warren KE. Time-to-event Bayesian optimal interval design to accelerate
  phase I trials. Clin Cancer Res 2018;24(20):4921-4930. Table 1 (target 0.2, up to 15 patients at a dose)
  and Supplementary Table S1 (target 0.3): for n patients at the current dose, y DLTs observed and c
  pending, the decision, or the standardised total follow-up time (STFT) from which the design escalates
  (E/S) or up to which it de-escalates (S/D); SUS suspends accrual, DE eliminates the dose. Transcribed
  below in our own layout from the tables as reproduced entry by entry (and checked there against the
  paper) in the fixture tests/testthat/fixtures/yuan2018-tables.csv of the R package simFastBOIN 2.1.0
  (github.com/gosukehommaEX/simFastBOIN); the values are the paper's, rounded to 2 decimals as printed.
- [Y18] Supplementary Appendix A: estimate (y + q (c - STFT)) / n with q = p~ / (1 - p~),
  p~ = (y + target/2) / (n - c + 1); suspension when more than half of the patients at the dose are pending.
- [BOIN] With no pending patient TITE-BOIN is BOIN (Liu & Yuan 2015), so with arrivals one window apart the
  simulated TITE trial is the complete-data BOIN trial, whose OCs the engine computes exactly.
"""

from __future__ import annotations

import numpy as np
import pytest

from celltrial.escalation.designs import TitePatient, boin, tite_boin, tite_boin_estimate

# n  y_min y_max c_min c_max decision [STFT boundary]; "+" in y_max / c_max: "and above" (up to y + c <= n)
Y18_TABLE_1 = """
3 0 0 0 1 E
3 0 0 2 + SUS
3 1 1 0 2 D
3 2 + 0 1 DE
6 0 0 0 3 E
6 0 0 4 + SUS
6 1 1 0 3 S
6 1 1 4 + SUS
6 2 2 0 4 D
6 3 + 0 3 DE
9 0 0 0 4 E
9 0 0 5 + SUS
9 1 1 0 2 E
9 1 1 3 3 ES 0.77
9 1 1 4 4 ES 2.15
9 1 1 5 + SUS
9 2 2 0 0 S
9 2 2 1 1 SD 0.52
9 2 2 2 2 SD 1.59
9 2 2 3 3 SD 2.66
9 2 2 4 4 SD 3.73
9 2 2 5 + SUS
9 3 3 0 6 D
9 4 + 0 5 DE
12 0 0 0 6 E
12 0 0 7 + SUS
12 1 1 0 5 E
12 1 1 6 6 ES 1.24
12 1 1 7 + SUS
12 2 2 0 6 S
12 2 2 7 + SUS
12 3 4 0 9 D
12 5 + 0 7 DE
15 0 0 0 7 E
15 0 0 8 + SUS
15 1 1 0 7 E
15 1 1 8 + SUS
15 2 2 0 2 E
15 2 2 3 3 ES 1.14
15 2 2 4 4 ES 2.31
15 2 2 5 5 ES 3.48
15 2 2 6 6 ES 4.65
15 2 2 7 7 ES 5.82
15 2 2 8 + SUS
15 3 3 0 2 S
15 3 3 3 3 SD 1.16
15 3 3 4 4 SD 2.34
15 3 3 5 5 SD 3.53
15 3 3 6 6 SD 4.72
15 3 3 7 7 SD 5.90
15 3 3 8 + SUS
15 4 5 0 11 D
15 6 + 0 9 DE
"""

Y18_TABLE_S1 = """
3 0 0 0 1 E
3 0 0 2 + SUS
3 1 1 0 0 S
3 1 1 1 1 SD 0.88
3 1 1 2 + SUS
3 2 2 0 1 D
3 3 3 0 0 DE
6 0 0 0 3 E
6 0 0 4 + SUS
6 1 1 0 1 E
6 1 1 2 2 ES 0.60
6 1 1 3 3 ES 1.96
6 1 1 4 + SUS
6 2 2 0 0 S
6 2 2 1 1 SD 0.73
6 2 2 2 2 SD 1.80
6 2 2 3 3 SD 2.87
6 2 2 4 + SUS
6 3 3 0 3 D
6 4 + 0 2 DE
9 0 0 0 4 E
9 0 0 5 + SUS
9 1 1 0 4 E
9 1 1 5 + SUS
9 2 2 0 0 E
9 2 2 1 1 ES 0.59
9 2 2 2 2 ES 1.65
9 2 2 3 3 ES 2.71
9 2 2 4 4 ES 3.77
9 2 2 5 + SUS
9 3 3 0 0 S
9 3 3 1 1 SD 0.58
9 3 3 2 2 SD 1.65
9 3 3 3 3 SD 2.72
9 3 3 4 4 SD 3.79
9 3 3 5 + SUS
9 4 4 0 5 D
9 5 + 0 4 DE
12 0 0 0 6 E
12 0 0 7 + SUS
12 1 1 0 6 E
12 1 1 7 + SUS
12 2 2 0 3 E
12 2 2 4 4 ES 1.33
12 2 2 5 5 ES 2.72
12 2 2 6 6 ES 4.11
12 2 2 7 + SUS
12 3 3 0 6 S
12 3 3 7 + SUS
12 4 4 0 0 S
12 4 4 1 1 SD 0.43
12 4 4 2 2 SD 1.50
12 4 4 3 3 SD 2.57
12 4 4 4 4 SD 3.65
12 4 4 5 5 SD 4.72
12 4 4 6 6 SD 5.79
12 4 4 7 + SUS
12 5 6 0 7 D
12 7 + 0 5 DE
15 0 0 0 7 E
15 0 0 8 + SUS
15 1 1 0 7 E
15 1 1 8 + SUS
15 2 2 0 5 E
15 2 2 6 6 ES 0.35
15 2 2 7 7 ES 2.07
15 2 2 8 + SUS
15 3 3 0 1 E
15 3 3 2 2 ES 0.11
15 3 3 3 3 ES 1.29
15 3 3 4 4 ES 2.46
15 3 3 5 5 ES 3.64
15 3 3 6 6 ES 4.81
15 3 3 7 7 ES 5.98
15 3 3 8 + SUS
15 4 4 0 7 S
15 4 4 8 + SUS
15 5 5 0 0 S
15 5 5 1 1 SD 0.28
15 5 5 2 2 SD 1.35
15 5 5 3 3 SD 2.42
15 5 5 4 4 SD 3.50
15 5 5 5 5 SD 4.57
15 5 5 6 6 SD 5.64
15 5 5 7 7 SD 6.72
15 5 5 8 + SUS
15 6 7 0 9 D
15 8 + 0 7 DE
"""

NAMES = {"E": "E", "S": "S", "D": "D", "DE": "DU", "SUS": "SUS", "ES": "E/S", "SD": "S/D"}


def _cells(text: str):
    for line in text.strip().splitlines():
        n, y0, y1, c0, c1, code, *bound = line.split()
        n, y0, c0 = int(n), int(y0), int(c0)
        ys = range(y0, (n if y1 == "+" else int(y1)) + 1)
        for y in ys:
            top = n - y if c1 == "+" else min(int(c1), n - y)
            for c in range(c0, top + 1):
                yield n, y, c, NAMES[code], float(bound[0]) if bound else None


@pytest.mark.parametrize(("target", "text"), [(0.2, Y18_TABLE_1), (0.3, Y18_TABLE_S1)], ids=["table1", "tableS1"])
def test_decision_table_reproduces_the_published_tables(target, text):
    design = tite_boin(target, 5, max_n=36)
    ours = {(r["n"], r["dlts"], r["pending"]): r for r in design.tite_decision_table(15)}
    checked = 0
    for n, y, c, code, bound in _cells(text):
        row = ours[(n, y, c)]
        assert row["decision"] == code, (n, y, c, row)
        if code == "E/S":
            assert round(row["escalate_if_stft_at_least"], 2) == bound, (n, y, c)
        if code == "S/D":
            assert round(row["deescalate_if_stft_at_most"], 2) == bound, (n, y, c)
        checked += 1
    # every state with n in {3, 6, ..., 15} is covered by the published table
    assert checked == sum((n + 1) * (n + 2) // 2 for n in (3, 6, 9, 12, 15))


def _at_dose_2(n: int, y: int, c: int, stft: float) -> list[TitePatient]:
    """Dose 1: three patients without DLT; dose 2 (current): y DLTs, n - y - c complete, c pending with
    follow-up adding up to ``stft`` windows (28 days)."""
    pts = [TitePatient(1, False)] * 3 + [TitePatient(2, True, 5.0)] * y + [TitePatient(2, False)] * (n - y - c)
    each = stft / c
    return pts + [TitePatient(2, None, each * 28.0)] * c


@pytest.mark.parametrize(("n", "y", "c", "stft", "action"), [
    # [Y18] Table 1, n = 9, y = 1, c = 4: escalate once STFT reaches 2.15
    (9, 1, 4, 2.16, "escalate"), (9, 1, 4, 2.14, "stay"),
    # [Y18] Table 1, n = 9, y = 2, c = 3: de-escalate while STFT <= 2.66
    (9, 2, 3, 2.65, "de-escalate"), (9, 2, 3, 2.67, "stay"),
    # [Y18] suspension: 5 of 9 pending is more than half; 4 of 9 is not
    (9, 0, 5, 4.9, "suspend"), (9, 0, 4, 0.1, "escalate"),
])
def test_live_decisions_at_the_published_boundaries(n, y, c, stft, action):
    design = tite_boin(0.2, 4, max_n=36)
    rec = design.recommend_tite(_at_dose_2(n, y, c, stft))
    assert rec.action == action, rec.reason
    assert rec.pending[1] == c and rec.followup_fraction[1] == pytest.approx(stft)
    if action == "suspend":
        assert rec.dose is None and rec.continue_trial and rec.suspended
    else:
        assert rec.dose == {"escalate": 3, "stay": 2, "de-escalate": 1}[action]


def test_estimate_is_the_appendix_formula():
    # [Y18] Appendix A: n = 9, y = 1, c = 4, STFT 2: p~ = 1.1 / 6, q = p~ / (1 - p~), (1 + 2 q) / 9
    pt = 1.1 / 6
    assert float(tite_boin_estimate(9, 1, 4, 2.0, 0.2)) == pytest.approx((1 + 2 * pt / (1 - pt)) / 9, rel=1e-12)
    # no pending patient: the observed rate
    assert float(tite_boin_estimate(6, 2, 0, 0.0, 0.3)) == pytest.approx(2 / 6)


def test_elimination_counts_pending_patients_as_without_dlt():
    # [Y18] Table 1: n = 3 with 2 DLTs eliminates (DE) even with the third patient pending
    design = tite_boin(0.2, 3, max_n=36)
    pts = [TitePatient(1, False)] * 3 + [TitePatient(2, True, 3.0)] * 2 + [TitePatient(2, None, 10.0)]
    rec = design.recommend_tite(pts)
    assert rec.action == "eliminate" and rec.dose == 1
    assert rec.admissible == [True, False, False]
    # and at dose 1 the trial stops with no MTD
    rec = design.recommend_tite([TitePatient(1, True, 3.0)] * 2 + [TitePatient(1, None, 10.0)])
    assert rec.action == "stop" and rec.dose is None and not rec.continue_trial


def test_complete_data_is_boin():
    design = tite_boin(0.3, 4, max_n=18)
    ref = boin(0.3, 4, max_n=18)
    for outcomes in ["1NNN", "1NNN 2NTN", "1NNN 2TTN", "1NNN 2NNN 3TNN 3NNT"]:
        pts = [TitePatient(int(tok[0]), ch == "T") for tok in outcomes.split() for ch in tok[1:]]
        live = design.recommend_tite(pts)
        assert (live.dose, live.action) == (ref.recommend(outcomes).dose, ref.recommend(outcomes).action)
        assert design.recommend(outcomes) == ref.recommend(outcomes)


def test_max_n_reached_with_pending_windows_waits_for_them():
    design = tite_boin(0.3, 3, max_n=6)
    pts = [TitePatient(1, False)] * 3 + [TitePatient(2, False)] * 2 + [TitePatient(2, None, 7.0)]
    rec = design.recommend_tite(pts)
    assert rec.action == "complete-followup" and rec.dose is None and not rec.continue_trial
    done = design.recommend_tite([*pts[:-1], TitePatient(2, False)])
    assert done.action == "stop" and done.dose == design.select("1NNN 2NNN").dose


def test_simulated_with_arrivals_one_window_apart_is_the_exact_boin():
    # [BOIN]: no patient is pending at any decision, so the simulated OCs estimate the exact BOIN OCs.
    # Tolerance: 5 binomial / Monte Carlo standard errors of 4,000 seeded trials (|Z| > 5: p = 6e-7).
    design = tite_boin(0.25, 4, max_n=18, accrual="fixed", accrual_interval_days=28.0, window_days=28.0)
    truth = [0.08, 0.2, 0.35, 0.5]
    exact = boin(0.25, 4, max_n=18).oc(truth)
    mc = design.oc(truth, n_trials=4000, seed=7)
    p = np.append(exact.select, exact.select_none)
    se = np.sqrt(p * (1 - p) / 4000)
    assert np.all(np.abs(np.append(mc.select, mc.select_none) - p) <= 5 * se + 1e-12)
    assert np.all(np.abs(mc.n_mean - exact.n_mean) <= 5 * mc.se_n_mean + 1e-9)


def test_enrolling_during_windows_shortens_the_trial_and_is_seeded():
    # [Y18] the point of the design: with accrual faster than the window the trial finishes sooner than
    # one that waits for every window (arrivals one window apart, the complete-data design).
    truth = [0.05, 0.12, 0.25, 0.4]
    fast = tite_boin(0.25, 4, max_n=24, accrual_interval_days=7.0, window_days=28.0)
    wait = tite_boin(0.25, 4, max_n=24, accrual="fixed", accrual_interval_days=28.0, window_days=28.0)
    a = fast.oc(truth, n_trials=3000, seed=3)
    b = wait.oc(truth, n_trials=3000, seed=3)
    assert a.extra["duration_mean_days"] < 0.6 * b.extra["duration_mean_days"]
    again = fast.oc(truth, n_trials=3000, seed=3)
    assert np.array_equal(again.select, a.select) and again.extra == a.extra
    assert a.select.sum() + a.select_none == pytest.approx(1.0)


def test_simulated_trial_never_skips_and_respects_max_n():
    design = tite_boin(0.3, 5, max_n=30, accrual_interval_days=5.0)
    for seed in range(20):
        path = design.simulate_tite_trial([0.02, 0.05, 0.1, 0.2, 0.4], seed=seed)
        highest = 0
        for dose, _, _, _ in path.cohorts:
            assert dose <= highest + 1 or dose == design.start_dose
            highest = max(highest, dose)
        assert sum(c for _, c, _, _ in path.cohorts) <= 30
        days = [day for *_, day in path.cohorts]
        assert days == sorted(days)


# [C25] Chen K, Chen T-Y, Zhang Y, Lin R, Yuan Y. Practical considerations for using the TITE-BOIN design to
# handle late-onset toxicity or fast accrual in phase I trials. Clin Cancer Res 2025;31(13):2573-2580,
# Table 1 (target 0.3, up to 6 patients): rule 1 suspends unless at least 51% of the patients at the dose
# have completed (max_pending_ratio 0.49); rule 2 lets an escalation with pending patients happen only once
# each of them has been followed for a quarter of the window (marked * below). Transcribed from the
# fixture tests/testthat/fixtures/chen2025-2026-tables.csv of simFastBOIN 2.1.0 (as for [Y18] above).
C25_TABLE_1 = """
3 0 0 0 0 E
3 0 0 1 1 E *
3 0 0 2 + SUS
3 1 1 0 0 S
3 1 1 1 1 SD 0.88
3 1 1 2 + SUS
3 2 2 0 1 D
3 3 3 0 0 DE
6 0 0 0 0 E
6 0 0 1 2 E *
6 0 0 3 + SUS
6 1 1 0 0 E
6 1 1 1 1 E *
6 1 1 2 2 ES 0.60 *
6 1 1 3 + SUS
6 2 2 0 0 S
6 2 2 1 1 SD 0.73
6 2 2 2 2 SD 1.80
6 2 2 3 + SUS
6 3 3 0 3 D
6 4 + 0 2 DE
"""


def test_chen_2025_table_1_and_the_minimum_follow_up_rule():
    design = tite_boin(0.3, 4, max_n=36, max_pending_ratio=0.49, min_followup_fraction=0.25)
    ours = {(r["n"], r["dlts"], r["pending"]): r for r in design.tite_decision_table(6)}
    starred = set()
    for line in C25_TABLE_1.strip().splitlines():
        if line.endswith("*"):
            n, y, _, c0, c1, *_ = line.split()
            starred |= {(int(n), int(y), c) for c in range(int(c0), int(c1) + 1)}
    for n, y, c, code, bound in _cells(C25_TABLE_1.replace(" *", "")):
        row = ours[(n, y, c)]
        assert row["decision"] == code, (n, y, c, row)
        if bound is not None:
            key = "escalate_if_stft_at_least" if code == "E/S" else "deescalate_if_stft_at_most"
            assert round(row[key], 2) == bound, (n, y, c)
    # rule 2 on live data: n = 6, y = 0, c = 2 (starred): escalate only once both pending have 7 of 28 days
    assert (6, 0, 2) in starred
    base = [TitePatient(1, False)] * 3 + [TitePatient(2, False)] * 4
    early = design.recommend_tite([*base, TitePatient(2, None, 20.0), TitePatient(2, None, 6.9)])
    assert early.action == "suspend" and "minimum follow-up" in early.reason
    ready = design.recommend_tite([*base, TitePatient(2, None, 20.0), TitePatient(2, None, 7.0)])
    assert ready.action == "escalate" and ready.dose == 3
    # the rule delays escalations only: n = 6, y = 2, c = 1 de-escalates while STFT <= 0.73 ([C25]), even
    # though the pending patient has been followed for one day only
    down = design.recommend_tite([TitePatient(1, False)] * 3 + [TitePatient(2, True, 3.0), TitePatient(2, True, 4.0)]
                                 + [TitePatient(2, False)] * 3 + [TitePatient(2, None, 1.0)])
    assert down.action == "de-escalate" and down.dose == 1


def test_minimum_follow_up_slows_the_simulated_trial_but_keeps_it_whole():
    truth = [0.05, 0.12, 0.25, 0.4]
    plain = tite_boin(0.25, 4, max_n=24, accrual_interval_days=7.0)
    chen = tite_boin(0.25, 4, max_n=24, accrual_interval_days=7.0, max_pending_ratio=0.49, min_followup_fraction=0.25)
    a = plain.oc(truth, n_trials=3000, seed=8)
    b = chen.oc(truth, n_trials=3000, seed=8)
    assert b.extra["duration_mean_days"] > a.extra["duration_mean_days"]
    assert b.n_mean.sum() == pytest.approx(24.0, abs=0.5)  # suspensions delay patients, they do not drop them
    assert b.select.sum() + b.select_none == pytest.approx(1.0)
