"""MTD selection by weighted isotonic regression, as BOIN 2.7.2 ``select.mtd`` does it.

Admissible doses are treated (n > 0) and not eliminated (the first dose with n >= 3 and
P(p > target) > cutoff.eli eliminates itself and every higher dose). On them,
phat = (y + 0.05) / (n + 0.1) is made monotone by PAVA with weights 1 / Var(Beta(y + 0.05, n - y + 0.05)),
i * 1e-10 is added (i = 1, 2, ... over the admissible doses, so among pooled ties the lower dose wins
above the target and the higher dose below it), and the first dose minimising |phat - target| is the MTD.
No MTD (BOIN's 99) when dose 1 is eliminated or nothing is admissible. ``bound_mtd`` keeps only doses
with phat < lambda_d.

``select_mtd_batch`` does the same for many trials at once with the max-min formula of isotonic
regression over intervals of admissible doses (zero weight for the others).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import beta as beta_dist

from .boundaries import prob_above

NONE = -1  # no MTD


def pava(x: np.ndarray, w: np.ndarray | None = None) -> np.ndarray:
    """Weighted pool-adjacent-violators, as BOIN's internal ``pava`` (first violation merged first)."""
    x = np.asarray(x, dtype=float).copy()
    n = len(x)
    if n <= 1:
        return x
    w = np.ones(n) if w is None else np.asarray(w, dtype=float)
    levels = np.arange(n)
    while True:
        viol = np.diff(x) < 0
        if not viol.any():
            return x
        i = int(np.nonzero(viol)[0][0])
        l1, l2 = levels[i], levels[i + 1]
        pool = (levels == l1) | (levels == l2)
        x[pool] = np.sum(x[pool] * w[pool]) / np.sum(w[pool])
        levels[pool] = l1


def eliminated_from(n: np.ndarray, y: np.ndarray, target: float, cutoff: float) -> np.ndarray:
    """Index of the lowest eliminated dose per row (K when none); works on (K,) or (S, K)."""
    n2, y2 = np.atleast_2d(n), np.atleast_2d(y)
    hit = (n2 >= 3) & (prob_above(target, y2, n2) > cutoff)
    k = n2.shape[1]
    first = np.where(hit.any(axis=1), hit.argmax(axis=1), k)
    return first if np.ndim(n) == 2 else first[0]


def _weights(n: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    phat = (y + 0.05) / (n + 0.1)
    var = (y + 0.05) * (n - y + 0.05) / ((n + 0.1) ** 2 * (n + 0.1 + 1))
    return phat, 1.0 / var


def select_mtd(
    n, y, target: float, *, elimination_cutoff: float = 0.95, extrasafe: bool = False, offset: float = 0.05,
    bound_mtd: bool = False, lambda_d: float | None = None,
) -> int:
    """One trial, a transcription of BOIN's ``select.mtd``: 0-based MTD or NONE."""
    n = np.asarray(n, dtype=float)
    y = np.asarray(y, dtype=float)
    k = len(n)
    elim = np.zeros(k, dtype=bool)
    first = eliminated_from(n, y, target, elimination_cutoff)
    elim[first:] = True
    if extrasafe and n[0] >= 3 and prob_above(target, y[0], n[0]) > elimination_cutoff - offset:
        elim[:] = True
    if elim[0] or n[~elim].sum() == 0:
        return NONE
    adm = np.nonzero((n != 0) & ~elim)[0]
    phat, w = _weights(n[adm], y[adm])
    phat = pava(phat, w) + np.arange(1, len(adm) + 1) * 1e-10
    if bound_mtd:
        keep = phat < lambda_d
        if not keep.any():
            return NONE
        phat = phat[keep]
    return int(adm[int(np.argmin(np.abs(phat - target)))])


def isotonic_fit_batch(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted isotonic regression of every row by the max-min formula,
    fit_i = max over a <= i of min over b >= i of mean(x[a..b]); doses with w == 0 are skipped (NaN out).

    Loops over the K(K+1)/2 dose intervals with whole-column operations, so the cost is linear in the
    number of rows."""
    s, k = x.shape
    cw = np.zeros((s, k + 1))
    cx = np.zeros((s, k + 1))
    np.cumsum(w, axis=1, out=cw[:, 1:])
    np.cumsum(w * x, axis=1, out=cx[:, 1:])
    fit = np.full((s, k), -np.inf)
    for a in range(k):
        run = np.full(s, np.inf)
        for b in range(k - 1, a - 1, -1):
            den = cw[:, b + 1] - cw[:, a]
            with np.errstate(invalid="ignore", divide="ignore"):
                avg = (cx[:, b + 1] - cx[:, a]) / den
            avg[den <= 0] = np.inf
            np.minimum(run, avg, out=run)
            np.maximum(fit[:, b], run, out=fit[:, b])
    fit[w <= 0] = np.nan
    return fit


def select_mtd_batch(
    n: np.ndarray, y: np.ndarray, target: float, *, elimination_cutoff: float = 0.95, extrasafe: bool = False,
    offset: float = 0.05, bound_mtd: bool = False, lambda_d: float | None = None,
    elim_table: np.ndarray | None = None, extrasafe_table: np.ndarray | None = None,
) -> np.ndarray:
    """``select_mtd`` for every row of (S, K) count arrays; returns (S,) 0-based MTDs or NONE.

    ``elim_table[n, y]`` / ``extrasafe_table[n, y]`` (booleans) replace the Beta tail probabilities
    by look-ups; they are built here when not given."""
    n = np.asarray(n, dtype=np.int64)
    y = np.asarray(y, dtype=np.int64)
    k = n.shape[1]
    top = int(n.max()) if n.size else 0
    if elim_table is None or elim_table.shape[0] <= top:
        elim_table = _tail_table(target, top, elimination_cutoff)
    if extrasafe and (extrasafe_table is None or extrasafe_table.shape[0] <= top):
        extrasafe_table = _tail_table(target, top, elimination_cutoff - offset)
    hit = elim_table[n, y]
    first = np.where(hit.any(axis=1), hit.argmax(axis=1), k)
    adm = (n > 0) & (np.arange(k)[None, :] < first[:, None])
    none = first == 0
    if extrasafe and extrasafe_table is not None:
        none |= extrasafe_table[n[:, 0], y[:, 0]]
    none |= ~adm.any(axis=1)
    nf, yf = n.astype(float), y.astype(float)
    phat, w = _weights(nf, yf)
    w = np.where(adm, w, 0.0)
    fit = isotonic_fit_batch(np.where(adm, phat, 0.0), w)
    fit = fit + np.cumsum(adm, axis=1) * 1e-10
    if bound_mtd:
        adm = adm & (fit < lambda_d)
        none |= ~adm.any(axis=1)
    dist = np.where(adm, np.abs(fit - target), np.inf)
    out = np.argmin(dist, axis=1)
    out[none] = NONE
    return out


def _tail_table(target: float, max_n: int, cutoff: float) -> np.ndarray:
    """table[n, y]: n >= 3 and P(p > target | y, n) > cutoff under Beta(1, 1)."""
    ns = np.arange(max_n + 1)[:, None]
    ys = np.arange(max_n + 1)[None, :]
    valid = ys <= ns
    post = prob_above(target, np.where(valid, ys, 0), ns)
    return valid & (ns >= 3) & (post > cutoff)


@dataclass(frozen=True)
class DoseEstimate:
    dose: int  # 1-based
    n: int
    dlts: int
    estimate: float | None  # isotonic estimate of P(DLT); None if untreated
    lower: float | None
    upper: float | None
    p_overdose: float | None  # isotonic P(p > target | data)


def isotonic_estimates(n, y, target: float, level: float = 0.95) -> list[DoseEstimate]:
    """Per-dose isotonic DLT estimates with credible intervals, as ``select.mtd``'s p_est
    (Beta(y + 0.05, n - y + 0.05) quantiles made monotone with the same weights; untreated doses
    are skipped). BOIN 2.7.2 indexes its interval columns by dose rather than by treated dose;
    here each dose gets its own interval."""
    n = np.asarray(n, dtype=float)
    y = np.asarray(y, dtype=float)
    tr = np.nonzero(n > 0)[0]
    est = lo = hi = pov = np.array([])
    if tr.size:
        phat, w = _weights(n[tr], y[tr])
        a, b = y[tr] + 0.05, n[tr] - y[tr] + 0.05
        est = pava(phat, w)
        lo = pava(beta_dist.ppf((1 - level) / 2, a, b), w)
        hi = pava(beta_dist.ppf(1 - (1 - level) / 2, a, b), w)
        pov = pava(beta_dist.sf(target, a, b))
    out, j = [], 0
    for i in range(len(n)):
        if n[i] > 0:
            out.append(DoseEstimate(i + 1, int(n[i]), int(y[i]), float(est[j]), float(lo[j]), float(hi[j]),
                                    float(pov[j])))
            j += 1
        else:
            out.append(DoseEstimate(i + 1, 0, 0, None, None, None, None))
    return out
