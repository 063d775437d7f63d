"""Benchmark of the time-to-event designs (TITE-BOIN, TITE-CRM) of celltrial.escalation.designs.

    .venv/bin/python bench/tite.py            # 10,000 vectorised trials per design, 300 looped
    .venv/bin/python bench/tite.py --quick    # 2,000 and 100

Baseline, measured in the same run: a plain one-trial-at-a-time event loop that takes every decision
through the design's live ``recommend_tite`` (the path used on real data), under the same simulation
model. Times are wall-clock on one core (BLAS threads pinned to 1); the machine is shared, so compare the
ratios. Nothing here is asserted by the test suite (tests/escalation/test_designs_tite_live.py checks that
the two agree statistically).
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import platform  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402

from celltrial.escalation.designs import TitePatient, tite_boin, tite_crm  # noqa: E402

EPS = 1e-9  # an event at time t has happened at t despite rounding of (entry + delay) - entry


def loop_trial(design, truth, rng: np.random.Generator):
    window = design.window_days
    sizes = design.tite_rules().cohort_sizes()
    pts: list[tuple[int, float, bool, float]] = []
    d = design.start_dose - 1
    clock = 0.0

    def seen(t: float) -> list[TitePatient]:
        return [TitePatient(dose + 1, True, s) if z and e + s <= t + EPS else
                TitePatient(dose + 1, False) if t - e >= window - EPS else TitePatient(dose + 1, None, t - e)
                for dose, e, z, s in pts]

    for k, size in enumerate(sizes):
        t = clock + (rng.exponential(design.accrual_interval_days) if k else 0.0)
        if k:
            while True:
                rec = design.recommend_tite(seen(t), current_dose=d + 1, last_cohort=sizes[k - 1])
                if rec.action != "suspend":
                    break
                t = min(e + (s if z else window) for dose, e, z, s in pts if dose == d and e + (s if z else window) > t + EPS)
            if not rec.continue_trial:
                return None if rec.reason.startswith("stop for safety") else rec.dose
            d = rec.dose - 1
        for j in range(size):
            if j:
                t += rng.exponential(design.accrual_interval_days)
            pts.append((d, t, bool(rng.random() < truth[d]), float(rng.random() * window)))
        clock = t
    return design.select(" ".join(f"{dose + 1}{'T' if z else 'N'}" for dose, _, z, _ in pts)).dose


def best(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quick", action="store_true")
    args = ap.parse_args()
    n_vec, n_loop, repeats = (2000, 100, 2) if args.quick else (10_000, 300, 3)
    cases = [
        ("TITE-BOIN, 6 doses, target 0.3, 12 cohorts of 3, window 28 d, one arrival every 7 d (mean)",
         tite_boin(0.3, 6, max_n=36, window_days=28.0, accrual_interval_days=7.0),
         [0.05, 0.10, 0.20, 0.30, 0.45, 0.60]),
        ("TITE-CRM (empiric, linear weights), 5 doses, target 0.25, 30 patients one at a time, window 28 d, "
         "one arrival every 7 d",
         tite_crm([0.05, 0.12, 0.25, 0.40, 0.55], 0.25, max_n=30, window_days=28.0, accrual_interval_days=7.0),
         [0.05, 0.10, 0.25, 0.40, 0.55]),
    ]
    print(f"# bench/tite.py  ({platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} CPUs, "
          f"load {os.getloadavg()[0]:.1f}; best of {repeats})")
    for title, design, truth in cases:
        print(f"\n## {title}")
        vec = best(lambda d=design, p=truth: d.oc(p, n_trials=n_vec, seed=1), repeats)
        rng = np.random.default_rng(1)
        loop = best(lambda d=design, p=truth, r=rng: [loop_trial(d, p, r) for _ in range(n_loop)], 1)
        per_vec, per_loop = vec / n_vec, loop / n_loop
        oc = design.oc(truth, n_trials=n_vec, seed=1)
        print(f"vectorised: {n_vec:,} trials in {vec:.3f} s ({1e3 * per_vec:.3f} ms/trial); selection % "
              + " ".join(f"{100 * v:.1f}" for v in oc.select)
              + f"; mean duration {oc.extra['duration_mean_days']:.0f} d")
        print(f"live-decision loop (baseline): {n_loop:,} trials in {loop:.3f} s ({1e3 * per_loop:.2f} ms/trial)")
        print(f"ratio: vectorised is {per_loop / per_vec:.0f}x faster per trial")


if __name__ == "__main__":
    main()
