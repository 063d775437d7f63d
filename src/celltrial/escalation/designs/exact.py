"""Exact operating characteristics by dynamic programming over distinct trial states.

The DLTs of a cohort of c at dose d are Binomial(c, p_d), so a design whose decisions depend only on
the state (d, N, Y) and the cohort just seen is a finite Markov chain. The DP carries the distinct
states after each cohort and merges paths that reach the same state.

Two ways to weight paths:
- with the true probabilities p (``exact_oc(rules, p)``): the "direct DP", one scenario;
- with the binomial coefficients only (``TerminalStates.build(rules)``): the multiplicity coef_s of each
  distinct final state. Final counts and the selected dose do not depend on p, so for any scenario
  P(s) = coef_s * prod_j p_j^y_sj (1 - p_j)^(n_sj - y_sj), and the OCs are a few matrix-vector products
  (``TerminalStates.oc(p)``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import reduce

import numpy as np
from scipy.special import comb

from .engine import TrialRules, state_matrix, unique_rows
from .isotonic import NONE
from .oc import OperatingCharacteristics, summarise_weighted

_TINY = 1e-300


def _merge(cols: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    first, inv = unique_rows(cols)
    return first, np.bincount(inv, weights=w, minlength=len(first))


def run_dp(rules: TrialRules, p: np.ndarray | None = None):
    """The DP itself: final (N, Y, no-MTD flag, weight) merged by (N, Y, flag), and the state-visit count.

    With ``p`` the weights are probabilities; without it, path multiplicities."""
    k = rules.n_doses
    sizes = rules.cohort_sizes()
    unit = reduce(math.gcd, sizes)
    d = np.array([rules.start_dose], dtype=np.int64)
    n = np.zeros((1, k), dtype=np.int64)
    y = np.zeros((1, k), dtype=np.int64)
    w = np.ones(1)
    term_n: list[np.ndarray] = []
    term_y: list[np.ndarray] = []
    term_none: list[np.ndarray] = []
    term_w: list[np.ndarray] = []
    visits = 0
    for t, c in enumerate(sizes):
        s = len(d)
        ys = np.arange(c + 1)
        binom = comb(c, ys)
        d2 = np.repeat(d, c + 1)
        rows = np.arange(s * (c + 1))
        n2 = np.repeat(n, c + 1, axis=0)
        y2 = np.repeat(y, c + 1, axis=0)
        y_new = np.tile(ys, s)
        n2[rows, d2] += c
        y2[rows, d2] += y_new
        if p is None:
            w2 = (w[:, None] * binom[None, :]).ravel()
        else:
            pd = p[d][:, None]
            w2 = (w[:, None] * binom[None, :] * pd**ys * (1 - pd) ** (c - ys)).ravel()
            live = w2 > 0
            if not live.all():
                d2, n2, y2, y_new, w2 = d2[live], n2[live], y2[live], y_new[live], w2[live]
        visits += len(d2)
        if t == len(sizes) - 1:
            term_n.append(n2)
            term_y.append(y2)
            term_none.append(np.zeros(len(d2), bool))
            term_w.append(w2)
            break
        nxt, stop_sel, stop_none = rules.transition(d2, n2, y2, y_new, c)
        stop = stop_sel | stop_none
        if stop.any():
            term_n.append(n2[stop])
            term_y.append(y2[stop])
            term_none.append(stop_none[stop])
            term_w.append(w2[stop])
        keep = ~stop
        if not keep.any():
            break
        first, w = _merge(state_matrix(nxt[keep], n2[keep], y2[keep], unit), w2[keep])
        d, n, y = nxt[keep][first], n2[keep][first], y2[keep][first]
    n_all = np.concatenate(term_n)
    y_all = np.concatenate(term_y)
    none_all = np.concatenate(term_none)
    first, w_all = _merge(np.concatenate([none_all[:, None].astype(np.int64),
                                          state_matrix(None, n_all, y_all, unit)], axis=1),
                          np.concatenate(term_w))
    return n_all[first], y_all[first], none_all[first], w_all, visits


def _select(rules: TrialRules, n: np.ndarray, y: np.ndarray, none: np.ndarray) -> np.ndarray:
    mtd = np.full(len(n), NONE, dtype=np.int64)
    ok = ~none
    if ok.any():
        mtd[ok] = rules.select(n[ok], y[ok])
    return mtd


def exact_oc(rules: TrialRules, truth, design: str = "") -> OperatingCharacteristics:
    """The direct DP for one scenario."""
    p = np.asarray(truth, dtype=float)
    n, y, none, w, visits = run_dp(rules, p)
    mtd = _select(rules, n, y, none)
    oc = summarise_weighted(design, p, rules.target, w, n, y, mtd, none, n_states=len(w))
    oc.extra["state_visits"] = visits
    return oc


@dataclass
class TerminalStates:
    """Every distinct final state of a design with its path multiplicity and selected dose."""

    n: np.ndarray
    y: np.ndarray
    none: np.ndarray
    coef: np.ndarray
    mtd: np.ndarray
    target: float
    visits: int
    _nf: np.ndarray = field(init=False, repr=False)
    _yf: np.ndarray = field(init=False, repr=False)
    _nyf: np.ndarray = field(init=False, repr=False)
    _inv_total: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self._nf = self.n.astype(float)
        self._yf = self.y.astype(float)
        self._nyf = self._nf - self._yf
        tot = self._nf.sum(axis=1)
        self._inv_total = np.where(tot > 0, 100.0 / np.where(tot > 0, tot, 1), 0.0)

    @classmethod
    def build(cls, rules: TrialRules) -> TerminalStates:
        n, y, none, coef, visits = run_dp(rules, None)
        return cls(n, y, none, coef, _select(rules, n, y, none), rules.target, visits)

    def __len__(self) -> int:
        return len(self.coef)

    def probabilities(self, truth) -> np.ndarray:
        p = np.asarray(truth, dtype=float)
        lp = np.log(np.maximum(p, _TINY))
        lq = np.log(np.maximum(1.0 - p, _TINY))
        return self.coef * np.exp(np.einsum("sk,k->s", self._yf, lp) + np.einsum("sk,k->s", self._nyf, lq))

    def oc(self, truth, design: str = "") -> OperatingCharacteristics:
        w = self.probabilities(truth)
        oc = summarise_weighted(design, truth, self.target, w, self._nf, self._yf, self.mtd, self.none,
                                n_states=len(self), inv_total=self._inv_total)
        oc.extra["state_visits"] = self.visits
        return oc
