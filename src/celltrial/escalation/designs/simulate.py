"""Monte Carlo operating characteristics, vectorised across trials.

All trials of a chunk advance in lock-step, one cohort at a time; each step draws the cohort's DLTs
for every live trial at once and applies the design's vectorised ``transition``. Results are
accumulated per chunk, so a million trials need one chunk of memory. A seed makes a run reproducible
(numpy's PCG64); the same seed and chunk size give the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from .engine import TrialRules
from .isotonic import NONE
from .oc import MonteCarloAccumulator, OperatingCharacteristics

DEFAULT_CHUNK = 100_000


def _run_chunk(rules: TrialRules, p: np.ndarray, t: int, rng: np.random.Generator, record: bool = False):
    k = rules.n_doses
    sizes = rules.cohort_sizes()
    d = np.full(t, rules.start_dose, dtype=np.int64)
    n = np.zeros((t, k), dtype=np.int64)
    y = np.zeros((t, k), dtype=np.int64)
    alive = np.ones(t, dtype=bool)
    none = np.zeros(t, dtype=bool)
    path: list[tuple[int, int, int]] = []
    for step, c in enumerate(sizes):
        idx = np.nonzero(alive)[0]
        if idx.size == 0:
            break
        dd = d[idx]
        y_new = rng.binomial(c, p[dd])
        n[idx, dd] += c
        y[idx, dd] += y_new
        if record:
            path.append((int(dd[0]), c, int(y_new[0])))
        if step == len(sizes) - 1:
            break
        nxt, stop_sel, stop_none = rules.transition(dd, n[idx], y[idx], y_new, c)
        none[idx[stop_none]] = True
        alive[idx[stop_sel | stop_none]] = False
        d[idx] = nxt
    mtd = np.full(t, NONE, dtype=np.int64)
    ok = ~none
    if ok.any():
        mtd[ok] = rules.select(n[ok], y[ok])
    return n, y, mtd, none, path


def iter_simulation(rules: TrialRules, truth, n_trials: int = 10_000, seed: int | None = None, *,
                    chunk: int = DEFAULT_CHUNK):
    """Run the simulation chunk by chunk, yielding the accumulator after each chunk (for progress bars);
    ``acc.result(...)`` gives the OCs."""
    p = np.asarray(truth, dtype=float)
    if p.shape != (rules.n_doses,):
        raise ValueError(f"truth has {p.size} probabilities for {rules.n_doses} doses")
    if n_trials < 1:
        raise ValueError("the number of simulated trials must be at least 1")
    rng = np.random.default_rng(seed)
    acc = MonteCarloAccumulator(rules.n_doses, p, rules.target)
    done = 0
    while done < n_trials:
        t = min(chunk, n_trials - done)
        n, y, mtd, none, _ = _run_chunk(rules, p, t, rng)
        acc.add(n, y, mtd, none)
        done += t
        yield acc


def simulate_oc(
    rules: TrialRules,
    truth,
    n_trials: int = 10_000,
    seed: int | None = None,
    *,
    design: str = "",
    chunk: int = DEFAULT_CHUNK,
    on_chunk: Callable[[int], None] | None = None,
) -> OperatingCharacteristics:
    """Simulate ``n_trials`` trials under the true DLT probabilities ``truth``."""
    acc = None
    for acc in iter_simulation(rules, truth, n_trials, seed, chunk=chunk):
        if on_chunk:
            on_chunk(acc.t)
    assert acc is not None
    return acc.result(design, seed)


@dataclass(frozen=True)
class TrialPath:
    """One simulated trial: (dose 1-based, patients, DLTs) per cohort and the selected MTD (None if none)."""

    cohorts: list[tuple[int, int, int]]
    mtd: int | None
    stopped_for_safety: bool

    def outcome_string(self) -> str:
        return " ".join(f"{d}" + "T" * t + "N" * (c - t) for d, c, t in self.cohorts)


def simulate_trial(rules: TrialRules, truth, seed: int | None = None) -> TrialPath:
    """One trial with its dose path (for plots and examples)."""
    p = np.asarray(truth, dtype=float)
    _, _, mtd, none, path = _run_chunk(rules, p, 1, np.random.default_rng(seed), record=True)
    m = int(mtd[0])
    return TrialPath([(d + 1, c, t) for d, c, t in path], None if m == NONE else m + 1, bool(none[0]))
