"""What the exact and Monte Carlo engines need from a design: its trial rules, vectorised.

A trial is a Markov chain on (current dose d, patients N and DLTs Y per dose). Every rule-based,
interval and CRM design here decides the next step from that state and the cohort just seen, so one
vectorised ``transition`` serves both the simulator (one row per simulated trial) and the exact
dynamic programme (one row per distinct state).
"""

from __future__ import annotations

import math
from typing import Protocol

import numpy as np


class TrialRules(Protocol):
    n_doses: int
    start_dose: int  # 0-based
    target: float

    def cohort_sizes(self) -> list[int]:
        """Size of each successive cohort up to the maximum sample size."""
        ...

    def transition(
        self, d: np.ndarray, n: np.ndarray, y: np.ndarray, y_new: np.ndarray, size: int
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """After a cohort of ``size`` at dose d (0-based) with ``y_new`` DLTs, counts already updated:
        (next dose, stop and select an MTD, stop with no MTD). Never called after the last cohort."""
        ...

    def select(self, n: np.ndarray, y: np.ndarray) -> np.ndarray:
        """0-based MTD per row of final counts, or -1 for none."""
        ...


def cohort_plan(cohort_size: int, max_n: int) -> list[int]:
    """Full cohorts up to ``max_n``, the last one shortened to fit (as BOIN's ``nremain``)."""
    q, r = divmod(max_n, cohort_size)
    return [cohort_size] * q + ([r] if r else [])


def unique_rows(m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(index of the first row of each distinct row, inverse) for a non-negative integer matrix.

    Rows are packed into one int64 key with per-column radices when they fit, which is several times
    faster than ``np.unique(axis=0)`` (the fallback)."""
    if m.shape[0] == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    radix = m.max(axis=0).astype(np.int64) + 1
    if sum(math.log2(int(r)) for r in radix) < 62:
        mult = np.cumprod(np.concatenate([[1], radix[:-1]])).astype(np.int64)
        key = m.astype(np.int64) @ mult
        _, first, inv = np.unique(key, return_index=True, return_inverse=True)
    else:
        _, first, inv = np.unique(m, axis=0, return_index=True, return_inverse=True)
    return first, inv.reshape(-1)


def state_matrix(d: np.ndarray | None, n: np.ndarray, y: np.ndarray, unit: int) -> np.ndarray:
    """Columns (d, n / unit, y) used to merge states; ``unit`` divides every n (the cohort sizes' gcd)."""
    cols = [n // unit, y]
    if d is not None:
        cols.insert(0, d[:, None])
    return np.concatenate(cols, axis=1)
