"""The vectorised time-to-event simulator against a plain one-trial-at-a-time event loop that takes every
decision through the live ``recommend_tite`` (the path the platform uses on real data).

The two are written independently (the loop below knows nothing of the simulator's arrays), under the
simulation model documented in ``designs.tite``: exponential arrival gaps, a DLT with probability p_d at a
time uniform over the window, a cohort's dose decided at its first arrival, a suspended arrival enrolled at
the first event (a DLT, a window closing, or a pending patient reaching TITE-BOIN's minimum follow-up)
after which the design no longer suspends. Selection percentages must agree within 5
standard errors of the difference of two independent binomial estimates (|Z| > 5: p = 6e-7); both runs are
seeded.
"""

from __future__ import annotations

import numpy as np
import pytest

from celltrial.escalation.designs import TitePatient, tite_boin, tite_crm

EPS = 1e-9  # an event at time t has happened at t despite rounding of (entry + delay) - entry


def _loop_trial(design, truth, rng: np.random.Generator):
    window = design.window_days
    wait = getattr(design, "min_followup_fraction", 0.0)  # TITE-BOIN's minimum follow-up (Chen et al. 2025)
    sizes = design.tite_rules().cohort_sizes()
    pts: list[tuple[int, float, bool, float]] = []  # dose (0-based), entry day, DLT, day of DLT after entry
    d = design.start_dose - 1
    clock = 0.0

    def seen(t: float) -> list[TitePatient]:
        out = []
        for dose, entry, z, s in pts:
            if z and entry + s <= t + EPS:
                out.append(TitePatient(dose + 1, True, s))
            elif t - entry >= window - EPS:
                out.append(TitePatient(dose + 1, False))
            else:
                out.append(TitePatient(dose + 1, None, t - entry))
        return out

    for k, size in enumerate(sizes):
        t = clock + (rng.exponential(design.accrual_interval_days) if k else 0.0)
        if k:
            while True:
                rec = design.recommend_tite(seen(t), current_dose=d + 1, last_cohort=sizes[k - 1])
                if rec.action != "suspend":
                    break
                events = [e + (s if z else window) for dose, e, z, s in pts if dose == d]
                events += [e + wait * window for dose, e, _, _ in pts if dose == d and wait > 0]
                t = min(v for v in events if v > t + EPS)
            if not rec.continue_trial:
                if rec.reason.startswith("stop for safety"):
                    return None, True
                break
            d = rec.dose - 1
        for j in range(size):
            if j:
                t += rng.exponential(design.accrual_interval_days)
            pts.append((d, t, bool(rng.random() < truth[d]), float(rng.random() * window)))
        clock = t
    final = " ".join(f"{dose + 1}{'T' if z else 'N'}" for dose, _, z, _ in pts)
    return design.select(final).dose, False


@pytest.mark.parametrize("make", [
    lambda: tite_boin(0.3, 4, max_n=18, window_days=28.0, accrual_interval_days=8.0),
    lambda: tite_crm([0.1, 0.2, 0.32, 0.45], 0.3, cohort_size=2, max_n=12, window_days=28.0,
                     accrual_interval_days=8.0),
    lambda: tite_boin(0.3, 4, max_n=18, window_days=28.0, accrual_interval_days=6.0, max_pending_ratio=0.49,
                      min_followup_fraction=0.25),
], ids=["tite-boin", "tite-crm", "tite-boin minimum follow-up"])
def test_vectorised_simulator_agrees_with_the_live_decision_loop(make):
    design = make()
    truth = [0.06, 0.15, 0.3, 0.5]
    m = 500
    rng = np.random.default_rng(99)
    picks = [_loop_trial(design, truth, rng) for _ in range(m)]
    loop = np.array([sum(1 for dose, _ in picks if dose == j + 1) for j in range(4)] +
                    [sum(1 for dose, _ in picks if dose is None)]) / m
    n_vec = 6000
    oc = design.oc(truth, n_trials=n_vec, seed=5)
    vec = np.append(oc.select, oc.select_none)
    se = np.sqrt(np.maximum(vec * (1 - vec), 1e-4) * (1 / m + 1 / n_vec))
    assert np.all(np.abs(loop - vec) <= 5 * se), (loop, vec)
    stop_loop = np.mean([stopped for _, stopped in picks])
    assert abs(stop_loop - oc.early_stop) <= 5 * np.sqrt(max(oc.early_stop * (1 - oc.early_stop), 1e-4)
                                                         * (1 / m + 1 / n_vec))
