"""The classic 3+3 design in two named variants, with an exact enumeration of every trial path.

The variants are named as the protocol names them (``escalation.design``): ``3+3A`` and ``3+3B``.

3+3A (escalation only; Storer 1989 "standard"; R escalation ``get_three_plus_three`` default;
bcrm ``threep3(esc.only = TRUE)``): treat 3 at the current dose.
- 0/3: escalate; 1/3: treat 3 more at the same dose; >= 2/3: stop, MTD = next lower dose.
- with 6: <= 1/6 escalate; >= 2/6 stop, MTD = next lower dose.
- dose 1 too toxic (>= 2 DLTs): stop, no MTD.

3+3B (Korn et al. 1994 with de-escalation; escalation ``allow_deescalate = TRUE``; bcrm
``threep3(esc.only = FALSE)``): as A, but >= 2 DLTs at a dose de-escalate: if the lower dose already
has 6 patients it is the MTD; otherwise 3 more are treated there, and <= 1/6 makes it the MTD while
>= 2/6 de-escalates again.

Top-dose rule (both): 0/3 or <= 1/6 at the top dose stops the trial with the top dose as MTD; 0/3 at
the top dose is not expanded to 6.

Storer (1989): the probability of escalating from a dose with true DLT rate p is
(1 - p)^3 [1 + 3 p (1 - p)^2].
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import comb
from scipy.stats import beta as beta_dist

from .base import Design, MTDSelection, mtd_or_none
from .engine import TrialRules, cohort_plan
from .isotonic import NONE
from .messages import Msg
from .outcomes import Cohort, counts, parse_outcomes


class ThreePlusThreeRules:
    def __init__(self, design: ThreePlusThree):
        self.n_doses = design.n_doses
        self.start_dose = design.start_dose - 1
        self.target = design.target
        self.variant = design.design
        self._plan = design._plan()

    def cohort_sizes(self) -> list[int]:
        return self._plan

    def transition(self, d, n, y, y_new, size):
        k = self.n_doses
        rows = np.arange(len(d))
        nd, yd = n[rows, d], y[rows, d]
        above = n[rows, np.minimum(d + 1, k - 1)]
        desc = (d < k - 1) & (above > 0)  # back at a lower dose after a de-escalation (variant B)
        toxic = yd >= 2
        # An MTD needs 6 patients (Korn et al. 1994): a lower dose reached by de-escalation with only 3
        # (untreated before, when the trial started above dose 1) treats 3 more before it can be the MTD.
        confirm = desc & ~toxic & (nd < 6)
        stay = (~desc & ~toxic & (nd == 3) & (yd == 1)) | confirm
        esc = ~desc & ~toxic & ~stay
        stop_sel = (esc & (d == k - 1)) | (desc & ~toxic & (nd >= 6))
        stop_none = toxic & (d == 0)
        nxt = np.where(esc & (d < k - 1), d + 1, d)
        lower = toxic & (d > 0)
        if self.variant == "3+3A":
            stop_sel |= lower
        else:
            full = n[rows, np.maximum(d - 1, 0)] >= 6
            stop_sel |= lower & full
            nxt = np.where(lower & ~full, d - 1, nxt)
        return nxt, stop_sel, stop_none

    def select(self, n, y):
        return select_3p3(n, y)


def select_3p3(n: np.ndarray, y: np.ndarray) -> np.ndarray:
    """MTD of 3+3 final counts: the highest dose below the first dose with >= 2 DLTs whose data are
    acceptable (0/3 or <= 1/6); none if dose 1 has >= 2 DLTs."""
    n2, y2 = np.atleast_2d(n), np.atleast_2d(y)
    k = n2.shape[1]
    toxic = y2 >= 2
    first_tox = np.where(toxic.any(axis=1), toxic.argmax(axis=1), k)
    ok = ((n2 == 3) & (y2 == 0)) | ((n2 == 6) & (y2 <= 1))
    ok &= np.arange(k)[None, :] < first_tox[:, None]
    mtd = np.where(ok.any(axis=1), k - 1 - ok[:, ::-1].argmax(axis=1), NONE)
    return mtd if np.ndim(n) == 2 else mtd[0]


VARIANTS = ("3+3A", "3+3B")


@dataclass(frozen=True)
class ThreePlusThree(Design):
    design: str = "3+3A"  # 3+3A | 3+3B: the protocol's escalation.design

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.design not in VARIANTS:
            raise ValueError(f"unknown 3+3 variant {self.design!r}: use 3+3A (escalation only) or 3+3B "
                             "(Korn et al. 1994, with de-escalation)")
        if self.cohort_size != 3:
            raise ValueError("the 3+3 design treats cohorts of 3")

    @property
    def name(self) -> str:
        return self.design

    def rules(self) -> TrialRules:
        return ThreePlusThreeRules(self)

    def _plan(self) -> list[int]:
        # The rules end every 3+3 trial by its 2K-th cohort (at most 6 patients per dose). One spare cohort
        # keeps the engines from ever treating a cohort as "the last" (which would skip the rules' own stop,
        # e.g. >= 2/6 at dose 1). A maximum sample size below 6K truncates the trial there: the cohort that
        # reaches it is the last, and the MTD is chosen from the counts by the 3+3 rule.
        if self.max_n is not None and self.max_n < 6 * self.n_doses:
            return cohort_plan(3, self.max_n)
        return [3] * (2 * self.n_doses + 1)

    def stop_when_too_toxic(self, certainty: float = 0.95, threshold: float | None = None) -> Design:
        raise ValueError("the 3+3 design has its own toxicity stopping rule (>= 2 DLTs at dose 1)")

    def admissible(self, n, y):
        """Doses below the first dose with >= 2 DLTs (the 3+3 never returns to or above it)."""
        toxic = np.nonzero(np.asarray(y) >= 2)[0]
        first = int(toxic[0]) if toxic.size else self.n_doses
        return np.arange(self.n_doses) < first

    def decision_table(self, max_n: int | None = None) -> list[dict[str, str]]:
        lower = (Msg("stop; MTD = next lower dose (none at dose 1)") if self.design == "3+3A" else
                 Msg("de-escalate: MTD = lower dose if it has 6, else treat 3 more there (stop at dose 1: no MTD)"))
        top = Msg("escalate (at the top dose: stop, MTD = top dose)")
        again = Msg("6 after de-escalation")
        rows = [
            {"patients": "3", "dlts": "0", "decision": top},
            {"patients": "3", "dlts": "1", "decision": Msg("stay: treat 3 more at this dose")},
            {"patients": "3", "dlts": ">=2", "decision": lower},
            {"patients": "6", "dlts": "<=1", "decision": top},
            {"patients": "6", "dlts": ">=2", "decision": lower},
        ]
        if self.design == "3+3B":
            rows.append({"patients": again, "dlts": "<=1", "decision": Msg("stop; MTD = this dose")})
            rows.append({"patients": again, "dlts": ">=2", "decision": Msg("de-escalate again")})
        return rows

    def recommend(self, outcomes=None):
        cohorts = parse_outcomes(outcomes, self.n_doses)
        n, _ = counts(cohorts, self.n_doses)
        if (n > 6).any():
            raise ValueError("not a 3+3 trial: more than 6 patients at a dose")
        return super().recommend(cohorts)

    def select(self, outcomes: str | list[Cohort]) -> MTDSelection:
        cohorts = parse_outcomes(outcomes, self.n_doses)
        n, y = counts(cohorts, self.n_doses)
        m = int(select_3p3(n, y))
        rows: list[dict[str, Any]] = []
        for j in range(self.n_doses):
            if n[j] == 0:
                rows.append({"dose": j + 1, "n": 0, "dlts": 0, "estimate": None, "lower": None, "upper": None})
                continue
            lo = 0.0 if y[j] == 0 else float(beta_dist.ppf(0.025, y[j], n[j] - y[j] + 1))
            hi = 1.0 if y[j] == n[j] else float(beta_dist.ppf(0.975, y[j] + 1, n[j] - y[j]))
            rows.append({"dose": j + 1, "n": int(n[j]), "dlts": int(y[j]), "estimate": float(y[j] / n[j]),
                         "lower": lo, "upper": hi})
        if m == NONE:
            reason = Msg("no MTD: dose 1 had >= 2 DLTs") if n[0] else Msg("no MTD: no patients treated")
        else:
            reason = Msg("MTD = dose %(dose)s: %(dlts)s/%(n)s DLTs, the highest dose below any with >= 2 DLTs",
                         dose=m + 1, dlts=int(y[m]), n=int(n[m]))
        return MTDSelection(mtd_or_none(m), reason, rows, "3+3 rule (observed rate, Clopper-Pearson 95% CI)")


def three_plus_three(doses: int, design: str = "3+3A", *, target: float = 0.3) -> ThreePlusThree:
    """3+3, ``design`` 3+3A or 3+3B; ``target`` is only used to report patients treated above the MTD."""
    return ThreePlusThree(n_doses=doses, target=target, cohort_size=3, max_n=6 * doses, design=design)


@dataclass(frozen=True)
class Path:
    cohorts: tuple[tuple[int, int], ...]  # (0-based dose, DLTs in the cohort of 3)
    mtd: int  # 0-based or NONE
    coef: float


def enumerate_paths(n_doses: int, design: str = "3+3A") -> list[Path]:
    """Every 3+3 trial path, by a plain recursion written independently of the vectorised rules
    (bcrm's ``threep3`` does the same). Each path's probability is
    coef * prod over cohorts p_d^t (1 - p_d)^(3 - t)."""
    if design not in VARIANTS:
        raise ValueError(f"unknown 3+3 variant {design!r}: use 3+3A or 3+3B")
    out: list[Path] = []
    k = n_doses

    def walk(d: int, n: list[int], y: list[int], hist: tuple, coef: float) -> None:
        for t in range(4):
            n2, y2 = n.copy(), y.copy()
            n2[d] += 3
            y2[d] += t
            h2 = (*hist, (d, t))
            c2 = coef * comb(3, t)
            came_down = d + 1 < k and n2[d + 1] > 0
            if y2[d] >= 2:  # too toxic
                if d == 0:
                    out.append(Path(h2, NONE, c2))
                elif design == "3+3A" or n2[d - 1] == 6:
                    out.append(Path(h2, d - 1, c2))
                else:
                    walk(d - 1, n2, y2, h2, c2)
            elif came_down:  # expanded the lower dose to 6 with <= 1 DLT
                out.append(Path(h2, d, c2))
            elif n2[d] == 3 and y2[d] == 1:
                walk(d, n2, y2, h2, c2)
            elif d == k - 1:
                out.append(Path(h2, d, c2))
            else:
                walk(d + 1, n2, y2, h2, c2)

    walk(0, [0] * k, [0] * k, (), 1.0)
    return out


def enumeration_oc(paths: list[Path], truth, target: float) -> dict[str, Any]:
    """Exact OCs straight from the enumerated paths (the reference for the DP engine)."""
    p = np.asarray(truth, dtype=float)
    k = len(p)
    sel = np.zeros(k + 1)
    n_mean = np.zeros(k)
    y_mean = np.zeros(k)
    stop = 0.0
    for path in paths:
        prob = path.coef
        n = np.zeros(k)
        y = np.zeros(k)
        for d, t in path.cohorts:
            prob *= p[d] ** t * (1 - p[d]) ** (3 - t)
            n[d] += 3
            y[d] += t
        sel[path.mtd + 1] += prob
        n_mean += prob * n
        y_mean += prob * y
        if path.mtd == NONE:
            stop += prob
    return {"select": sel[1:], "select_none": sel[0], "n_mean": n_mean, "dlt_mean": y_mean, "early_stop": stop}


def storer_escalation_probability(p: float) -> float:
    """Storer (1989): P(escalate from a dose with true DLT rate p) = (1-p)^3 [1 + 3p(1-p)^2]."""
    return (1 - p) ** 3 * (1 + 3 * p * (1 - p) ** 2)


