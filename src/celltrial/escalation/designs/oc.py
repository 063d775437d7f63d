"""Operating characteristics: the result type shared by the exact engine and the simulator.

- ``select[j]``: probability that dose j+1 is selected as the MTD; ``select_none``: no dose selected.
- ``n_mean`` / ``dlt_mean``: mean patients / DLTs per dose over all trials (stopped ones included,
  as BOIN's ``get.oc`` reports them).
- ``early_stop``: probability that the trial stopped early for safety (lowest dose too toxic).
- ``pct_above_mtd``: mean over trials of the percentage of a trial's patients treated at doses whose
  true DLT probability exceeds the target ("above the MTD").
Monte Carlo results carry standard errors (``se_*``); exact ones have none.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import Any

import numpy as np


@dataclass
class OperatingCharacteristics:
    design: str
    truth: list[float]
    target: float
    method: str  # "exact" or "monte-carlo"
    select: np.ndarray
    select_none: float
    n_mean: np.ndarray
    dlt_mean: np.ndarray
    early_stop: float
    pct_above_mtd: float
    n_trials: int | None = None
    seed: int | None = None
    n_states: int | None = None
    se_select: np.ndarray | None = None
    se_select_none: float | None = None
    se_n_mean: np.ndarray | None = None
    se_dlt_mean: np.ndarray | None = None
    se_early_stop: float | None = None
    se_pct_above_mtd: float | None = None
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def n_doses(self) -> int:
        return len(self.truth)

    @property
    def total_n(self) -> float:
        return float(self.n_mean.sum())

    @property
    def total_dlt(self) -> float:
        return float(self.dlt_mean.sum())

    def to_dict(self) -> dict[str, Any]:
        def arr(a):
            return None if a is None else [float(v) for v in a]

        out: dict[str, Any] = {
            "design": self.design, "method": self.method, "target": self.target, "truth": list(self.truth),
            "n_trials": self.n_trials, "seed": self.seed, "n_states": self.n_states,
            "select_pct": arr(100 * self.select), "select_none_pct": 100 * self.select_none,
            "n_mean": arr(self.n_mean), "dlt_mean": arr(self.dlt_mean),
            "total_n": self.total_n, "total_dlt": self.total_dlt,
            "early_stop_pct": 100 * self.early_stop, "pct_patients_above_mtd": self.pct_above_mtd,
        }
        if self.method == "monte-carlo" and self.se_select is not None:
            out["se"] = {
                "select_pct": arr(100 * self.se_select), "select_none_pct": 100 * (self.se_select_none or 0),
                "n_mean": arr(self.se_n_mean), "dlt_mean": arr(self.se_dlt_mean),
                "early_stop_pct": 100 * (self.se_early_stop or 0),
                "pct_patients_above_mtd": self.se_pct_above_mtd,
            }
        out.update(self.extra)
        return out

    def rows(self) -> list[list[str]]:
        """One row per dose plus a total row: the terminal table."""
        mc = self.method == "monte-carlo"

        def pm(v: float, se: float | None, fmt: str) -> str:
            return f"{v:{fmt}} ± {se:{fmt}}" if mc and se is not None else f"{v:{fmt}}"

        rows = []
        for j in range(self.n_doses):
            rows.append([
                str(j + 1), f"{self.truth[j]:.2f}",
                pm(100 * self.select[j], None if self.se_select is None else 100 * self.se_select[j], ".1f"),
                pm(self.n_mean[j], None if self.se_n_mean is None else self.se_n_mean[j], ".2f"),
                pm(self.dlt_mean[j], None if self.se_dlt_mean is None else self.se_dlt_mean[j], ".2f"),
            ])
        rows.append(["none", "", pm(100 * self.select_none,
                                    None if self.se_select_none is None else 100 * self.se_select_none, ".1f"),
                     "", ""])
        rows.append(["total", "", "", f"{self.total_n:.2f}", f"{self.total_dlt:.2f}"])
        return rows

    def csv(self) -> str:
        buf = io.StringIO()
        w = csv.writer(buf)
        se = self.method == "monte-carlo"
        w.writerow(["design", "method", "dose", "truth", "select_pct", "n_mean", "dlt_mean"]
                   + (["se_select_pct", "se_n_mean", "se_dlt_mean"] if se else []))
        for j in range(self.n_doses):
            row = [self.design, self.method, j + 1, self.truth[j], 100 * self.select[j], self.n_mean[j],
                   self.dlt_mean[j]]
            if se and self.se_select is not None and self.se_n_mean is not None and self.se_dlt_mean is not None:
                row += [100 * self.se_select[j], self.se_n_mean[j], self.se_dlt_mean[j]]
            w.writerow(row)
        w.writerow([self.design, self.method, "none", "", 100 * self.select_none, "", ""]
                   + ([100 * (self.se_select_none or 0), "", ""] if se else []))
        w.writerow([self.design, self.method, "early_stop", "", 100 * self.early_stop, "", ""]
                   + ([100 * (self.se_early_stop or 0), "", ""] if se else []))
        w.writerow([self.design, self.method, "pct_patients_above_mtd", "", self.pct_above_mtd, "", ""]
                   + ([self.se_pct_above_mtd, "", ""] if se else []))
        return buf.getvalue()


def above_mask(truth, target: float) -> np.ndarray:
    return np.asarray(truth, dtype=float) > target + 1e-12


def frac_above(n: np.ndarray, truth, target: float, inv_total: np.ndarray | None = None) -> np.ndarray:
    """Per row, the percentage of patients treated at doses above the MTD (true P(DLT) > target).
    ``inv_total`` (100 / patients per row, 0 for empty rows) can be passed in when rows are reused."""
    if inv_total is None:
        tot = n.sum(axis=1)
        inv_total = np.where(tot > 0, 100.0 / np.where(tot > 0, tot, 1), 0.0)
    return np.einsum("sk,k->s", n, above_mask(truth, target).astype(float)) * inv_total


def summarise_weighted(design: str, truth, target: float, w: np.ndarray, n: np.ndarray, y: np.ndarray,
                       mtd: np.ndarray, none: np.ndarray, n_states: int | None = None,
                       inv_total: np.ndarray | None = None) -> OperatingCharacteristics:
    """Exact OCs from terminal states with probabilities ``w`` (summing to 1)."""
    k = len(truth)
    sel = np.bincount(mtd + 1, weights=w, minlength=k + 1)
    return OperatingCharacteristics(
        design=design, truth=[float(t) for t in truth], target=target, method="exact",
        select=sel[1:], select_none=float(sel[0]), n_mean=np.einsum("s,sk->k", w, n),
        dlt_mean=np.einsum("s,sk->k", w, y),
        early_stop=float(np.dot(w, none)), pct_above_mtd=float(np.dot(w, frac_above(n, truth, target, inv_total))),
        n_states=n_states,
    )


class MonteCarloAccumulator:
    """Running sums over simulated trials, so a million trials need only one chunk in memory."""

    def __init__(self, k: int, truth, target: float):
        self.k, self.truth, self.target = k, truth, target
        self.t = 0
        self.sel = np.zeros(k + 1)
        self.n1 = np.zeros(k)
        self.n2 = np.zeros(k)
        self.y1 = np.zeros(k)
        self.y2 = np.zeros(k)
        self.stop = 0.0
        self.f1 = 0.0
        self.f2 = 0.0

    def add(self, n: np.ndarray, y: np.ndarray, mtd: np.ndarray, none: np.ndarray) -> None:
        n = n.astype(float)
        y = y.astype(float)
        self.t += len(mtd)
        self.sel += np.bincount(mtd + 1, minlength=self.k + 1)
        self.n1 += n.sum(axis=0)
        self.n2 += (n * n).sum(axis=0)
        self.y1 += y.sum(axis=0)
        self.y2 += (y * y).sum(axis=0)
        self.stop += float(none.sum())
        f = frac_above(n, self.truth, self.target)
        self.f1 += float(f.sum())
        self.f2 += float((f * f).sum())

    def result(self, design: str, seed: int | None) -> OperatingCharacteristics:
        t = self.t

        def se_mean(s1, s2):
            var = np.maximum(s2 / t - (s1 / t) ** 2, 0.0) * t / max(t - 1, 1)
            return np.sqrt(var / t)

        def se_prop(p):
            return np.sqrt(p * (1 - p) / t)

        sel = self.sel / t
        stop = self.stop / t
        return OperatingCharacteristics(
            design=design, truth=[float(v) for v in self.truth], target=self.target, method="monte-carlo",
            select=sel[1:], select_none=float(sel[0]), n_mean=self.n1 / t, dlt_mean=self.y1 / t,
            early_stop=stop, pct_above_mtd=self.f1 / t, n_trials=t, seed=seed,
            se_select=se_prop(sel[1:]), se_select_none=float(se_prop(sel[0])),
            se_n_mean=se_mean(self.n1, self.n2), se_dlt_mean=se_mean(self.y1, self.y2),
            se_early_stop=float(se_prop(stop)), se_pct_above_mtd=float(se_mean(self.f1, self.f2)),
        )
