"""BOIN boundaries with the semantics of the R package BOIN 2.7.2 (``get.boundary``).

Liu S, Yuan Y. Bayesian optimal interval designs for phase I clinical trials.
JRSS-C 2015;64(3):507-523. Escalate when y <= floor(lambda_e * n), de-escalate when
y >= ceiling(lambda_d * n) (strictly above lambda_d * n when that is within 1e-12 of an
integer, as in 2.7.2), eliminate the dose and all higher doses when n >= 3 and
P(p > target | y, n) > cutoff.eli under a Beta(1, 1) prior.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.stats import beta as beta_dist

NA = -1  # "no boundary" (R's NA) in the integer tables below


def boin_lambdas(target: float, p_saf: float | None = None, p_tox: float | None = None) -> tuple[float, float]:
    """The escalation and de-escalation boundaries lambda_e, lambda_d on the DLT-rate scale."""
    p1 = 0.6 * target if p_saf is None else p_saf
    p2 = 1.4 * target if p_tox is None else p_tox
    lam_e = math.log((1 - p1) / (1 - target)) / math.log(target * (1 - p1) / (p1 * (1 - target)))
    lam_d = math.log((1 - target) / (1 - p2)) / math.log(p2 * (1 - target) / (target * (1 - p2)))
    return lam_e, lam_d


def check_boin_parameters(target: float, p_saf: float, p_tox: float, offset: float = 0.05) -> None:
    """BOIN's own input checks, as ValueError with its messages."""
    if target < 0.05:
        raise ValueError("the target is too low (BOIN requires 0.05 <= target <= 0.6)")
    if target > 0.6:
        raise ValueError("the target is too high (BOIN requires 0.05 <= target <= 0.6)")
    if (target - p_saf) < 0.1 * target:
        raise ValueError("the probability deemed safe (p_saf) cannot be higher than or too close to the target")
    if (p_tox - target) < 0.1 * target:
        raise ValueError("the probability deemed toxic (p_tox) cannot be lower than or too close to the target")
    if offset >= 0.5:
        raise ValueError("the offset is too large (must be below 0.5)")


def prob_above(target: float, y: np.ndarray | int, n: np.ndarray | int, a: float = 1.0, b: float = 1.0):
    """P(p > target | y DLTs in n) under a Beta(a, b) prior: 1 - pbeta(target, y + a, n - y + b)."""
    return beta_dist.sf(target, np.asarray(y) + a, np.asarray(n) - np.asarray(y) + b)


def elimination_counts(target: float, max_n: int, cutoff: float) -> np.ndarray:
    """For n = 0..max_n the smallest y in 1..n with P(p > target | y, n) > cutoff, NA (-1) if none or n < 3."""
    out = np.full(max_n + 1, NA, dtype=np.int64)
    for n in range(3, max_n + 1):
        ys = np.arange(1, n + 1)
        hit = np.nonzero(prob_above(target, ys, n) > cutoff)[0]
        if hit.size:
            out[n] = int(ys[hit[0]])
    return out


@dataclass(frozen=True)
class BoinBoundaries:
    """Everything ``get.boundary`` returns, indexed by n = 0..max_n (index 0 unused)."""

    target: float
    p_saf: float
    p_tox: float
    elimination_cutoff: float
    extrasafe: bool
    offset: float
    lambda_e: float
    lambda_d: float
    escalate: np.ndarray  # escalate if y <= escalate[n]
    deescalate: np.ndarray  # de-escalate if y >= deescalate[n] (capped at the elimination count)
    eliminate: np.ndarray  # eliminate if y >= eliminate[n]; NA (-1) for none
    stop: np.ndarray  # extrasafe: stop if n at dose 1 and y >= stop[n]; NA (-1) for none

    @property
    def max_n(self) -> int:
        return len(self.escalate) - 1

    def rows(self, ns: list[int]) -> dict[str, list]:
        """The table as printed by BOIN for the given n (None where BOIN prints NA)."""

        def col(a: np.ndarray) -> list[int | None]:
            return [None if a[n] == NA else int(a[n]) for n in ns]

        out: dict[str, list] = {"n": list(ns), "escalate_if_le": col(self.escalate),
                                "deescalate_if_ge": col(self.deescalate), "eliminate_if_ge": col(self.eliminate)}
        if self.extrasafe:
            out["stop_if_ge"] = col(self.stop)
        return out


def boin_boundaries(
    target: float,
    max_n: int,
    *,
    p_saf: float | None = None,
    p_tox: float | None = None,
    elimination_cutoff: float = 0.95,
    extrasafe: bool = False,
    offset: float = 0.05,
) -> BoinBoundaries:
    """BOIN's ``get.boundary`` for n = 1..max_n."""
    p1 = 0.6 * target if p_saf is None else p_saf
    p2 = 1.4 * target if p_tox is None else p_tox
    check_boin_parameters(target, p1, p2, offset)
    lam_e, lam_d = boin_lambdas(target, p1, p2)
    ns = np.arange(max_n + 1)
    b_e = np.floor(lam_e * ns).astype(np.int64)
    raw_d = lam_d * ns
    near = np.abs(raw_d - np.round(raw_d)) < 1e-12
    b_d = np.where(near, np.round(raw_d) + 1, np.ceil(raw_d)).astype(np.int64)
    elim = elimination_counts(target, max_n, elimination_cutoff)
    b_d = np.where((elim != NA) & (b_d > elim), elim, b_d)
    stop = elimination_counts(target, max_n, elimination_cutoff - offset) if extrasafe else np.full(max_n + 1, NA)
    return BoinBoundaries(target, p1, p2, elimination_cutoff, extrasafe, offset, lam_e, lam_d, b_e, b_d, elim, stop)
