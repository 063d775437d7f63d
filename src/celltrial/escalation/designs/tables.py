"""Decision tables: escalate / stay / de-escalate / eliminate for every (n, y) at the current dose.

All interval designs reduce to such a table, so one simulator and one exact engine run them all.

- BOIN: Liu & Yuan, JRSS-C 2015; semantics of R package BOIN 2.7.2 (see ``boundaries``).
- mTPI-2: Guo W, Wang S-J, Yang S, Lynn H, Ji Y. Contemp Clin Trials 2017;58:23-33. The posterior
  Beta(1 + y, 1 + n - y) is split into the equivalence interval [pT - epsilon1, pT + epsilon2] and intervals of
  the same width below and above it (the last one at each end may be shorter); the interval with the
  largest unit probability mass (probability / width) decides E, S or D.
- i3+3: Liu M, Wang S-J, Ji Y. J Biopharm Stat 2020;30(2):294-304. E if y/n is below the EI, S if
  inside it; above it S if (y - 1)/n is below the EI, otherwise D.
- Keyboard: Yan F, Mandrekar SJ, Yuan Y. Clin Cancer Res 2017;23:3994-4003. Keys of width ``key_width``
  around the target key [pT - key_width / 2, pT + key_width / 2] (``keyboard_target_key``; partial keys
  at 0 and 1 are dropped); the key with the largest posterior probability ("strongest key") decides E, S
  or D.
Every design shares the safety rule DU: with n >= 3 and P(p > pT | y, n) > cutoff (0.95) under a
Beta(1, 1) prior, eliminate the dose and all higher doses and de-escalate.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
from scipy.stats import beta as beta_dist

from .boundaries import NA, boin_boundaries, prob_above

E, S, D, DU = 0, 1, 2, 3
CODE_NAMES = {E: "E", S: "S", D: "D", DU: "DU"}
CODE_WORDS = {E: "escalate", S: "stay", D: "de-escalate", DU: "eliminate"}


@dataclass(frozen=True)
class DecisionTable:
    """codes[n, y] in {E, S, D, DU} for 1 <= n <= max_n, 0 <= y <= n (-1 elsewhere)."""

    design: str
    target: float
    codes: np.ndarray
    eliminate: np.ndarray = field(repr=False)  # boolean [n, y]: the safety rule fires
    notes: tuple[str, ...] = ()

    @property
    def max_n(self) -> int:
        return self.codes.shape[0] - 1

    def decision(self, n: int, y: int) -> str:
        return CODE_NAMES[int(self.codes[n, y])]

    def count_boundaries(self, ns: list[int] | None = None) -> dict[str, list]:
        """BOIN-style counts per n: escalate if y <=, de-escalate if y >=, eliminate if y >=."""
        ns = ns or list(range(1, self.max_n + 1))
        esc: list[int | None] = []
        dee: list[int | None] = []
        eli: list[int | None] = []
        for n in ns:
            row = self.codes[n, : n + 1]
            e = np.nonzero(row == E)[0]
            d = np.nonzero((row == D) | (row == DU))[0]
            u = np.nonzero(row == DU)[0]
            esc.append(int(e.max()) if e.size else None)
            dee.append(int(d.min()) if d.size else None)
            eli.append(int(u.min()) if u.size else None)
        return {"n": ns, "escalate_if_le": esc, "deescalate_if_ge": dee, "eliminate_if_ge": eli}

    def grid(self, ns: list[int] | None = None) -> list[list[str]]:
        """Rows y = 0..max n, columns n: the E/S/D/DU letters ('' where y > n)."""
        ns = ns or list(range(1, self.max_n + 1))
        top = max(ns)
        return [[CODE_NAMES[int(self.codes[n, y])] if y <= n else "" for n in ns] for y in range(top + 1)]


def elimination_mask(target: float, max_n: int, cutoff: float = 0.95, min_n: int = 3) -> np.ndarray:
    """mask[n, y]: n >= min_n and P(p > target | y, n) > cutoff under Beta(1, 1)."""
    mask = np.zeros((max_n + 1, max_n + 1), dtype=bool)
    for n in range(max(min_n, 1), max_n + 1):
        ys = np.arange(n + 1)
        mask[n, : n + 1] = prob_above(target, ys, n) > cutoff
    return mask


def _empty(max_n: int) -> np.ndarray:
    return np.full((max_n + 1, max_n + 1), -1, dtype=np.int8)


def boin_table(target: float, max_n: int, *, p_saf=None, p_tox=None, elimination_cutoff=0.95, **_) -> DecisionTable:
    b = boin_boundaries(target, max_n, p_saf=p_saf, p_tox=p_tox, elimination_cutoff=elimination_cutoff)
    codes = _empty(max_n)
    elim = np.zeros_like(codes, dtype=bool)
    for n in range(1, max_n + 1):
        for y in range(n + 1):
            if b.eliminate[n] != NA and y >= b.eliminate[n]:
                codes[n, y] = DU
                elim[n, y] = True
            elif y >= b.deescalate[n]:
                codes[n, y] = D
            elif y <= b.escalate[n]:
                codes[n, y] = E
            else:
                codes[n, y] = S
    notes = (f"lambda_e = {b.lambda_e:.4f}, lambda_d = {b.lambda_d:.4f}",)
    return DecisionTable("BOIN", target, codes, elim, notes)


def _interval_table(name: str, target: float, max_n: int, elimination_cutoff: float, rule_row) -> DecisionTable:
    """``rule_row(n)`` gives the E/S/D codes for y = 0..n; the safety rule overrides them with DU."""
    codes = _empty(max_n)
    elim = elimination_mask(target, max_n, elimination_cutoff)
    for n in range(1, max_n + 1):
        codes[n, : n + 1] = np.where(elim[n, : n + 1], DU, rule_row(n))
    return DecisionTable(name, target, codes, elim)


def _partition(lo: float, hi: float, width: float, keep_partial: bool):
    """Intervals of ``width`` from ``lo`` down to 0 and from ``hi`` up to 1; a shorter last one is kept
    only when ``keep_partial`` (mTPI-2 keeps it, Keyboard drops it)."""
    tol = 1e-12
    below: list[tuple[float, float]] = []
    edge = lo
    while edge > tol:
        low = edge - width
        if low < -tol:
            if keep_partial:
                below.append((0.0, edge))
            break
        low = max(low, 0.0)
        below.append((low, edge))
        edge = low
    above: list[tuple[float, float]] = []
    edge = hi
    while edge < 1 - tol:
        high = edge + width
        if high > 1 + tol:
            if keep_partial:
                above.append((edge, 1.0))
            break
        high = min(high, 1.0)
        above.append((edge, high))
        edge = high
    return below, above


def keyboard_target_key(target: float, key_width: float) -> tuple[float, float]:
    """The Keyboard design's target key: the interval of width ``key_width`` centred on the target,
    [target - key_width / 2, target + key_width / 2].

    The one place where the key width is halved. Yan, Mandrekar & Yuan (Clin Cancer Res 2017;23:3994)
    define the target key as the proper dosing interval around the target and tile (0, 1) with keys of
    the same width; the R package Keyboard (``get.boundary.kb(target, ..., marginL = 0.05, marginR =
    0.05)``) gives its lower and upper distances from the target, so its default key is 0.1 wide. The
    protocol, the engine and the CLI all give the full width, ``key_width`` (default 0.1).
    """
    if not (math.isfinite(key_width) and key_width > 0):
        raise ValueError(f"the key width must be a positive number, got {key_width!r}")
    half = key_width / 2
    lo, hi = target - half, target + half
    if not (lo > 0 and hi < 1):
        raise ValueError(f"a key {key_width:g} wide around the target {target:g} ([{lo:g}, {hi:g}]) "
                         "must lie inside (0, 1)")
    return lo, hi


def _key_rule(lo: float, hi: float, width: float, keep_partial: bool):
    """Row rule of the interval designs around the central interval [lo, hi], tiled with intervals of
    ``width``: the interval (key) with the largest posterior probability per unit width decides; ties go
    to escalation, then staying (as escalation's mTPI-2 selector)."""
    lo, hi = max(lo, 0.0), min(hi, 1.0)
    below, above = _partition(lo, hi, width, keep_partial)
    ivals = [*below, (lo, hi), *above]
    a = np.array([iv[0] for iv in ivals])
    b = np.array([iv[1] for iv in ivals])
    group = np.array([E] * len(below) + [S] + [D] * len(above))

    def rule_row(n: int) -> np.ndarray:
        y = np.arange(n + 1)[:, None]
        upm = (beta_dist.cdf(b[None, :], 1 + y, 1 + n - y) - beta_dist.cdf(a[None, :], 1 + y, 1 + n - y)) / (b - a)
        best = upm.max(axis=1, keepdims=True)
        hit = upm == best
        return np.where(hit[:, group == E].any(axis=1), E, np.where(hit[:, group == S].any(axis=1), S, D))

    return rule_row


def mtpi2_table(target: float, max_n: int, *, epsilon1=0.05, epsilon2=0.05, elimination_cutoff=0.95,
                **_) -> DecisionTable:
    lo, hi = target - epsilon1, target + epsilon2
    t = _interval_table("mTPI-2", target, max_n, elimination_cutoff,
                        _key_rule(lo, hi, epsilon1 + epsilon2, keep_partial=True))
    return DecisionTable(t.design, target, t.codes, t.eliminate, (f"equivalence interval [{lo:g}, {hi:g}]",))


def keyboard_table(target: float, max_n: int, *, key_width=0.1, elimination_cutoff=0.95, **_) -> DecisionTable:
    lo, hi = keyboard_target_key(target, key_width)
    t = _interval_table("Keyboard", target, max_n, elimination_cutoff,
                        _key_rule(lo, hi, key_width, keep_partial=False))
    return DecisionTable(t.design, target, t.codes, t.eliminate, (f"target key [{lo:g}, {hi:g}]",))


def i3plus3_table(target: float, max_n: int, *, epsilon1=0.05, epsilon2=0.05, elimination_cutoff=0.95,
                  **_) -> DecisionTable:
    lo, hi = target - epsilon1, target + epsilon2

    def rule_row(n: int) -> np.ndarray:
        y = np.arange(n + 1)
        rate = y / n
        return np.where(rate < lo, E, np.where(rate <= hi, S, np.where((y - 1) / n < lo, S, D)))

    t = _interval_table("i3+3", target, max_n, elimination_cutoff, rule_row)
    return DecisionTable(t.design, target, t.codes, t.eliminate, (f"equivalence interval [{lo:g}, {hi:g}]",))


TABLE_BUILDERS = {"boin": boin_table, "mtpi2": mtpi2_table, "i3+3": i3plus3_table, "keyboard": keyboard_table}
