"""Benchmarks of the dose-escalation design engine (celltrial.escalation.designs).

    .venv/bin/python bench/designs.py                     # everything, with clintrials if its venv exists
    .venv/bin/python bench/designs.py --setup-clintrials  # first create bench/.venv-clintrials (gitignored)
    .venv/bin/python bench/designs.py --quick             # fewer repeats, no 1,000,000-trial run

Every number is a wall-clock time measured in this run on one core (BLAS threads pinned to 1), and every
speed is printed as a ratio against a baseline measured in the same run: a plain per-trial Python loop
of the same design, and clintrials 0.1.4 (the only Python package with these designs; it needs three
runtime shims to import on current Python/NumPy/SciPy, applied here and nowhere else). The machine is
shared, so compare ratios, not absolute times. Nothing here is asserted by the test suite.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import json  # noqa: E402
import math  # noqa: E402
import platform  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
import tracemalloc  # noqa: E402
from pathlib import Path  # noqa: E402

import numpy as np  # noqa: E402

from celltrial.escalation.designs import boin, crm, select_mtd, three_plus_three  # noqa: E402
from celltrial.escalation.designs.base import _PRECOMPUTED  # noqa: E402
from celltrial.escalation.designs.boundaries import boin_boundaries  # noqa: E402
from celltrial.escalation.designs.exact import TerminalStates  # noqa: E402

ROOT = Path(__file__).resolve().parent
CLINTRIALS_VENV = ROOT / ".venv-clintrials"
BOIN_TRUTH = [0.05, 0.10, 0.20, 0.30, 0.45, 0.60]
CRM_SKELETON = [0.05, 0.12, 0.25, 0.40, 0.55]
CRM_TRUTH = [0.05, 0.10, 0.25, 0.40, 0.55]
TPT_TRUTH = [0.05, 0.10, 0.20, 0.30, 0.45]


def timed(fn, repeat: int = 3) -> tuple[float, object]:
    """Best wall time of ``repeat`` runs (the least disturbed by other jobs) and the last result."""
    best, out = math.inf, None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def fmt(sec: float) -> str:
    return f"{sec * 1e3:.1f} ms" if sec < 1 else f"{sec:.2f} s"


def ratio(base: float, ours: float) -> str:
    return f"{base / ours:,.0f}x" if base / ours >= 10 else f"{base / ours:.1f}x"


# ---- plain per-trial Python loops: the baselines ---------------------------------------------------------
def boin_loop(truth, n_trials: int, seed: int, target=0.3, cohort=3, ncohort=12) -> np.ndarray:
    """BOIN get.oc's loop, one trial at a time, in plain Python (select.mtd transcription at the end)."""
    rng = np.random.default_rng(seed)
    k, npts = len(truth), cohort * ncohort
    b = boin_boundaries(target, npts)
    b_e, b_d, b_el = b.escalate.tolist(), b.deescalate.tolist(), b.eliminate.tolist()
    sel = np.zeros(k + 1)
    for _ in range(n_trials):
        n, y, el, d, stop = [0] * k, [0] * k, [0] * k, 0, False
        for _c in range(ncohort):
            t = int((rng.random(cohort) < truth[d]).sum())
            n[d] += cohort
            y[d] += t
            if sum(n) >= npts:
                break
            nd = n[d]
            if b_el[nd] != -1 and y[d] >= b_el[nd]:
                for j in range(d, k):
                    el[j] = 1
                if d == 0:
                    stop = True
                    break
            if y[d] <= b_e[nd] and d != k - 1:
                d = d + 1 if el[d + 1] == 0 else d
            elif y[d] >= b_d[nd] and d != 0:
                d -= 1
        m = -1 if stop else select_mtd(n, y, target)
        sel[m + 1] += 1
    return sel / n_trials


def crm_loop(design, truth, n_trials: int, seed: int) -> np.ndarray:
    """The same CRM, one trial at a time (posterior on the same grid, but one state per call)."""
    rng = np.random.default_rng(seed)
    model, k, c = design.crm_model, design.n_doses, design.cohort_size
    sel = np.zeros(k)
    for _ in range(n_trials):
        n, y, d = np.zeros((1, k), int), np.zeros((1, k), int), 0
        for step in range(design.max_n // c):
            t = int((rng.random(c) < truth[d]).sum())
            n[0, d] += c
            y[0, d] += t
            if step == design.max_n // c - 1:
                break
            rec = int(model.recommend(n, y)[0])
            rec = min(rec, d + 1)
            if t / c >= design.target:
                rec = min(rec, d)
            d = rec
        sel[int(model.recommend(n, y)[0])] += 1
    return sel / n_trials


def tpt_loop(truth, n_trials: int, seed: int) -> np.ndarray:
    """3+3 variant A, one trial at a time."""
    rng = np.random.default_rng(seed)
    k = len(truth)
    sel = np.zeros(k + 1)
    for _ in range(n_trials):
        d, mtd = 0, None
        while mtd is None:
            t = int((rng.random(3) < truth[d]).sum())
            if t == 1:
                t += int((rng.random(3) < truth[d]).sum())
            if t >= 2:
                mtd = d - 1
            elif d == k - 1:
                mtd = d
            else:
                d += 1
        sel[mtd + 1] += 1
    return sel / n_trials


# ---- clintrials, in its own throwaway venv ----------------------------------------------------------------
CLINTRIALS_CODE = r"""
import collections, collections.abc, json, sys, time
import numpy as np, scipy.integrate
collections.Iterable = collections.abc.Iterable          # removed in Python 3.10
scipy.integrate.trapz = scipy.integrate.trapezoid         # removed in SciPy 1.14
np.asscalar = lambda a: a.item()                          # removed in NumPy 1.23
from clintrials.dosefinding import ThreePlusThree, simulate_dose_finding_trial
from clintrials.dosefinding.crm import CRM
args = json.loads(sys.argv[1])
out = {}
np.random.seed(1)
d = ThreePlusThree(len(args["tpt_truth"]))
t = time.perf_counter()
rec = [0] * (len(args["tpt_truth"]) + 1)
for _ in range(args["tpt_trials"]):
    r = simulate_dose_finding_trial(d, args["tpt_truth"], cohort_size=3)
    rec[r["RecommendedDose"] if r["RecommendedDose"] is not None else 0] += 1
out["tpt_seconds"] = time.perf_counter() - t
out["tpt_trials"] = args["tpt_trials"]
c = CRM(args["skeleton"], args["target"], 1, 30, avoid_skipping_untried_escalation=True, coherency_threshold=args["target"])
t = time.perf_counter()
for _ in range(args["crm_trials"]):
    simulate_dose_finding_trial(c, args["crm_truth"], cohort_size=3)
out["crm_seconds"] = time.perf_counter() - t
out["crm_trials"] = args["crm_trials"]
print(json.dumps(out))
"""


def setup_clintrials() -> None:
    subprocess.run([sys.executable, "-m", "venv", str(CLINTRIALS_VENV)], check=True)
    subprocess.run([str(CLINTRIALS_VENV / "bin" / "pip"), "install", "-q", "clintrials==0.1.4", "numpy", "scipy"],
                   check=True)


def run_clintrials(tpt_trials: int, crm_trials: int) -> dict | str:
    py = CLINTRIALS_VENV / "bin" / "python"
    if not py.exists():
        return "not run: bench/.venv-clintrials is missing (run with --setup-clintrials)"
    args = {"tpt_truth": TPT_TRUTH, "tpt_trials": tpt_trials, "skeleton": CRM_SKELETON, "target": 0.25,
            "crm_truth": CRM_TRUTH, "crm_trials": crm_trials}
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    p = subprocess.run([str(py), "-c", CLINTRIALS_CODE, json.dumps(args)], capture_output=True, text=True, env=env,
                       timeout=3600)
    if p.returncode != 0:
        return "failed: " + p.stderr.strip().splitlines()[-1]
    return json.loads(p.stdout.strip().splitlines()[-1])


# ---- the benchmark ------------------------------------------------------------------------------------------
def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer repeats; skip the 1,000,000-trial run")
    ap.add_argument("--setup-clintrials", action="store_true", help="create bench/.venv-clintrials first")
    ap.add_argument("--no-clintrials", action="store_true", help="skip the clintrials baseline")
    ap.add_argument("--crm-probe", type=int, default=10, help="clintrials CRM trials to time (then scaled)")
    a = ap.parse_args()
    rep = 2 if a.quick else 5
    if a.setup_clintrials:
        setup_clintrials()

    print(f"# bench/designs.py  ({platform.python_version()}, numpy {np.__version__}, {os.cpu_count()} CPUs, "
          f"load {os.getloadavg()[0]:.1f}; best of {rep} unless noted)")
    results: dict[str, float] = {}

    # 1. exact BOIN, 6 doses, 12 cohorts of 3
    design = boin(target=0.3, doses=6).stop_at_n(36)
    rules = design.rules()

    def build():
        return TerminalStates.build(rules)

    pre, tp = timed(build, rep)
    assert isinstance(tp, TerminalStates)
    _PRECOMPUTED[design] = tp
    rng = np.random.default_rng(0)
    scenarios = [np.sort(rng.uniform(0.01, 0.8, 6)) for _ in range(200)]
    tp.oc(BOIN_TRUTH)
    t = time.perf_counter()
    for s in scenarios:
        tp.oc(s)
    per_scenario = (time.perf_counter() - t) / len(scenarios)
    direct, ex = timed(lambda: design.oc(BOIN_TRUTH, precompute=False), rep)
    results.update(boin_precompute=pre, boin_scenario=per_scenario, boin_direct=direct)
    print("\n## Exact BOIN OCs: 6 doses, cohorts of 3, 12 cohorts (target 0.3)")
    print(f"distinct final states {len(tp):,} (state visits {tp.visits:,})")
    print(f"precompute (once per design)      {fmt(pre):>10}   target <= 0.5 s")
    print(f"per scenario after precompute     {fmt(per_scenario):>10}   target <= 2 ms   (mean of 200 scenarios)")
    print(f"direct DP, one scenario           {fmt(direct):>10}   target <= 0.1 s")

    # 2. Monte Carlo BOIN
    mc, oc_mc = timed(lambda: design.oc(BOIN_TRUTH, method="mc", n_trials=10_000, seed=1), rep)
    loop, sel_loop = timed(lambda: boin_loop(BOIN_TRUTH, 10_000, 1), 1)
    results.update(boin_mc=mc, boin_loop=loop)
    print("\n## Monte Carlo BOIN, same design, 10,000 trials")
    print(f"vectorised simulator              {fmt(mc):>10}   target <= 30 ms")
    print(f"plain per-trial Python loop       {fmt(loop):>10}   -> simulator is {ratio(loop, mc)} faster")
    print(f"exact (direct DP) vs loop         {fmt(direct):>10}   -> exact is {ratio(loop, direct)} faster than the loop")
    print("selection % exact / simulator / loop: "
          + "  ".join(f"{100 * e:.1f}/{100 * m:.1f}/{100 * lp:.1f}"
                      for e, m, lp in zip(ex.select, oc_mc.select, sel_loop[1:], strict=True)))
    if not a.quick:
        tracemalloc.start()
        t = time.perf_counter()
        big = design.oc(BOIN_TRUTH, method="mc", n_trials=1_000_000, seed=2, chunk=100_000)
        big_t = time.perf_counter() - t
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        results.update(boin_mc_1m=big_t)
        print(f"1,000,000 trials in chunks of 100,000: {fmt(big_t)} (under tracemalloc); peak traced memory "
              f"{peak / 2**20:.0f} MiB, set by the chunk size, not the number of trials; "
              f"max |exact - MC| selection {100 * np.abs(big.select - ex.select).max():.2f} points "
              f"(largest SE {100 * big.se_select.max():.2f})")

    # 3. CRM
    cdesign = crm(CRM_SKELETON, 0.25).stop_at_n(30)
    cmc, coc = timed(lambda: cdesign.oc(CRM_TRUTH, method="mc", n_trials=10_000, seed=1), rep)
    cex, cexact = timed(lambda: cdesign.oc(CRM_TRUTH, precompute=False), rep)
    n_loop = 2000 if not a.quick else 500
    cl, _ = timed(lambda: crm_loop(cdesign, CRM_TRUTH, n_loop, 1), 1)
    cl10k = cl * 10_000 / n_loop
    results.update(crm_mc=cmc, crm_exact=cex, crm_loop_10k=cl10k)
    print("\n## CRM (dfcrm empiric, N(0, 1.34) prior, no skipping, coherent): 5 doses, 30 patients in cohorts of 3")
    print(f"skeleton {CRM_SKELETON}, truth {CRM_TRUTH}, target 0.25")
    print(f"vectorised simulator, 10,000      {fmt(cmc):>10}   target <= 0.4 s")
    print(f"exact DP (state merging)          {fmt(cex):>10}   target <= 0.2 s   ({cexact.n_states:,} final states)")
    print(f"plain per-trial loop              {fmt(cl10k):>10}   ({n_loop:,} trials timed, x{10_000 // n_loop}) "
          f"-> simulator is {ratio(cl10k, cmc)} faster")
    print("selection % exact / simulator: " + "  ".join(
        f"{100 * e:.1f}/{100 * m:.1f}" for e, m in zip(cexact.select, coc.select, strict=True)))

    # 4. 3+3
    tdesign = three_plus_three(5, "3+3A")
    tex, _ = timed(lambda: three_plus_three(6, "3+3A").oc(BOIN_TRUTH, precompute=False), rep)
    texb, _ = timed(lambda: three_plus_three(6, "3+3B").oc(BOIN_TRUTH, precompute=False), rep)
    tmc, _ = timed(lambda: tdesign.oc(TPT_TRUTH, method="mc", n_trials=10_000, seed=1), rep)
    tex5, _ = timed(lambda: tdesign.oc(TPT_TRUTH, precompute=False), rep)
    tl, _ = timed(lambda: tpt_loop(TPT_TRUTH, 10_000, 1), 1)
    results.update(tpt_mc=tmc, tpt_loop=tl)
    print("\n## 3+3 variant A, 5 doses, 10,000 trials")
    print(f"exact, 6 doses, variant A / B     {fmt(tex):>10} / {fmt(texb)}")
    print(f"exact, 5 doses, variant A         {fmt(tex5):>10}")
    print(f"vectorised simulator              {fmt(tmc):>10}")
    print(f"plain per-trial loop              {fmt(tl):>10}   -> simulator is {ratio(tl, tmc)} faster")

    # 5. clintrials
    print("\n## clintrials 0.1.4 (shimmed: collections.Iterable, scipy.integrate.trapz, np.asscalar)")
    if a.no_clintrials:
        print("skipped (--no-clintrials)")
    else:
        ct = run_clintrials(10_000 if not a.quick else 2_000, a.crm_probe)
        if isinstance(ct, str):
            print(ct)
        else:
            tpt10k = ct["tpt_seconds"] * 10_000 / ct["tpt_trials"]
            crm10k = ct["crm_seconds"] * 10_000 / ct["crm_trials"]
            print(f"3+3 (5 doses), {ct['tpt_trials']:,} trials {fmt(ct['tpt_seconds']):>10}   -> ours (simulator, 10,000) "
                  f"is {ratio(tpt10k, tmc)} faster; exact 3+3 (5 doses) is {ratio(tpt10k, tex5)} faster")
            print(f"CRM (same skeleton, truth, 30 patients, cohorts of 3; its defaults: Bayes, quad, variance "
                  f"estimated), {ct['crm_trials']} trials timed")
            print(f"                                  {fmt(ct['crm_seconds']):>10}   "
                  f"= {ct['crm_seconds'] / ct['crm_trials'] * 1e3:.0f} ms/trial -> {crm10k / 60:.0f} min per 10,000; "
                  f"ours is {ratio(crm10k, cmc)} faster (simulator), {ratio(crm10k, cex)} (exact)")
    print("\n## summary (seconds)")
    print(json.dumps({k: round(v, 5) for k, v in results.items()}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
