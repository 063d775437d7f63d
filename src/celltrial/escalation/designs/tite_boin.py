"""TITE-BOIN: the time-to-event Bayesian optimal interval design (Yuan Y, Lin R, Li D, Nie L, Warren KE.
Clin Cancer Res 2018;24(20):4921-4930; single mean imputation, Supplementary Appendix A).

At the current dose j: n patients dosed, y DLTs observed, c pending, of whom the i-th has been followed
for u_i days of a window of T days; r = n - c have completed their window. The standardised total
follow-up time is STFT = sum_i min(u_i / T, 1) over the pending patients.

- Estimate: each pending outcome is replaced by its expected value under a time to DLT uniform over the
  window, with the approximation that makes it linear in STFT:
  p_hat = (y + q (c - STFT)) / n, q = p~ / (1 - p~), p~ = (y + a) / (r + 1) the posterior mean under a
  Beta(a, 1 - a) prior, a = target / 2 (prior effective sample size 1). With no pending patient this is
  y / n and the rule is BOIN's, with BOIN 2.7.2's integer boundaries.
- Decision, in this order: (1) elimination (BOIN's rule: n >= 3 and P(p > target | y, n) > cutoff with
  Beta(1, 1), the pending patients counted as without DLT) of dose j and all above; (2) de-escalate when
  y / n >= lambda_d, whatever the pending outcomes; (3) suspend accrual when more than
  ``max_pending_ratio`` (0.5, "more than half") of the patients at dose j are pending; (4) escalate if
  p_hat <= lambda_e, de-escalate if p_hat >= lambda_d and y / n >= target, otherwise stay. The
  "y / n >= target" condition and the order reproduce Table 1 (target 0.2) and Table S1 (target 0.3) of
  the paper entry by entry (tests/escalation/test_designs_tite_boin.py).
- Trial flow after the decision: BOIN's (``interval``): escalation blocked at the top dose or below an
  eliminated dose, de-escalation blocked at dose 1, the trial stops with no MTD when dose 1 is
  eliminated, extrasafe and n_earlystop as in BOIN.
- Optional (``min_followup_fraction``, default 0 = off): Chen K, Chen T-Y, Zhang Y, Lin R, Yuan Y.
  Clin Cancer Res 2025;31(13):2573-2580, rule 2: an escalation with pending patients at the dose waits
  (accrual suspended) until each of them has been followed for this fraction of the window (they
  recommend 0.25, with ``max_pending_ratio`` 0.49: at least 51% of the patients complete).
- MTD: when every window has closed, BOIN's ``select.mtd`` (isotonic regression) on the complete data.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from .boundaries import boin_boundaries
from .interval import IntervalDesign, TableRules, _table
from .messages import Msg
from .oc import OperatingCharacteristics
from .tables import DU, D, DecisionTable, E, S
from .tite import TiteMixin, TiteRules, TrialState, validate_tite_parameters


def tite_boin_estimate(n, y, c, stft, target: float) -> np.ndarray:
    """Yuan et al. 2018's single-mean-imputation estimate (n > 0), elementwise."""
    n = np.asarray(n, dtype=float)
    y = np.asarray(y, dtype=float)
    c = np.asarray(c, dtype=float)
    r = n - c
    pt = (y + target / 2) / (r + 1)
    q = pt / (1 - pt)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(n > 0, (y + q * (c - np.asarray(stft, dtype=float))) / np.where(n > 0, n, 1), np.nan)


class TiteBoinRules(TiteRules):
    def __init__(self, design: TiteBoin):
        self.design = design
        self.table_rules = TableRules(design, design.decision_table(design.max_n))
        self.n_doses = design.n_doses
        self.start_dose = design.start_dose - 1
        self.target = design.target
        self.lambda_e, self.lambda_d = design.lambdas
        self.min_followup_fraction = design.min_followup_fraction

    def cohort_sizes(self) -> list[int]:
        return self.table_rules.cohort_sizes()

    def codes(self, s: TrialState) -> tuple[np.ndarray, np.ndarray]:
        """(decision code E / S / D / DU at the current dose, suspend) per trial, before the trial flow."""
        rr = np.arange(len(s.d))
        d = s.d
        nd, yd, cd, sd = s.n[rr, d], s.y[rr, d], s.c[rr, d], s.stft[rr, d]
        code = self.table_rules.codes[nd, yd].copy()  # BOIN on the counts, pending counted as no DLT
        pend = cd > 0
        dsg = self.design
        with np.errstate(invalid="ignore", divide="ignore"):
            rate = yd / np.maximum(nd, 1)
            est = tite_boin_estimate(nd, yd, cd, sd, dsg.target)
        eps = 1e-12
        always_down = rate >= self.lambda_d - eps
        suspend = pend & ~always_down & (cd > dsg.max_pending_ratio * nd + eps)
        up = est <= self.lambda_e + eps
        down = (est >= self.lambda_d - eps) & (rate >= dsg.target - eps)
        pcode = np.where(always_down | down, D, np.where(up, E, S))
        code = np.where(pend, pcode, code)
        elim = self.table_rules.elim[nd, yd]
        code = np.where(elim, DU, code)
        suspend &= ~elim
        return code, suspend

    def too_early(self, s: TrialState) -> np.ndarray:
        """Chen et al. 2025 rule 2: some pending patient at the current dose has less follow-up than
        ``min_followup_fraction`` of the window (always False when the rule is off)."""
        if self.min_followup_fraction <= 0:
            return np.zeros(len(s.d), dtype=bool)
        at_d = s.pending & (s.dose == s.d[:, None])
        shortest = np.where(at_d, np.minimum(s.u / s.window, 1.0), np.inf).min(axis=1)
        return shortest < self.min_followup_fraction - 1e-9

    def decide(self, s: TrialState):
        tr = self.table_rules
        d = s.d
        code, suspend = self.codes(s)
        first = tr.eliminated_from(s.n, s.y)
        stop_none = first == 0
        rr = np.arange(len(d))
        nd, yd = s.n[rr, d], s.y[rr, d]
        if tr.extrasafe_stop is not None:
            stop_none |= (d == 0) & tr.extrasafe_stop[nd, yd]
        up = (code == E) & (d < self.n_doses - 1) & (d + 1 < first)
        down = ((code == D) | (code == DU)) & (d > 0)
        nxt = np.where(up, d + 1, np.where(down, d - 1, d))
        nxt = np.where(first <= d, np.maximum(first - 1, 0), nxt)  # a lower dose eliminated by late DLTs
        suspend |= up & self.too_early(s)  # an escalation waits for the minimum follow-up (if set)
        suspend &= ~stop_none
        if self.design.n_earlystop is not None:
            stop_sel = (nd >= self.design.n_earlystop) & (nxt == d) & ~stop_none & ~suspend
        else:
            stop_sel = np.zeros(len(d), dtype=bool)
        return nxt, stop_sel, stop_none, suspend

    def select(self, n, y):
        return self.table_rules.select(n, y)


@dataclass(frozen=True)
class TiteBoin(TiteMixin, IntervalDesign):
    """TITE-BOIN. The complete-data contract (``recommend("1NNN ...")``, ``decision_table``, ``select``,
    ``rules``) is BOIN's; ``recommend_tite`` and ``oc`` handle pending windows."""

    design: str = "tite-boin"
    window_days: float = 28.0
    accrual_interval_days: float = 14.0
    accrual: str = "poisson"
    max_pending_ratio: float = 0.5
    min_followup_fraction: float = 0.0

    def __post_init__(self) -> None:
        if self.design != "tite-boin":
            raise ValueError(f"TITE-BOIN's design name is 'tite-boin', not {self.design!r}")
        _ = self.complete_design  # validates the BOIN parameters
        validate_tite_parameters(self.window_days, self.accrual_interval_days, self.accrual)
        if not 0 < self.max_pending_ratio <= 1:
            raise ValueError("max_pending_ratio must lie in (0, 1]")
        if not 0 <= self.min_followup_fraction <= 1:
            raise ValueError("min_followup_fraction must lie in [0, 1]")

    @property
    def complete_design(self) -> IntervalDesign:
        """The same design when every window has closed: BOIN with these parameters."""
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(IntervalDesign)}
        fields["design"] = "boin"
        return IntervalDesign(**fields)

    @property
    def name(self) -> str:
        return "TITE-BOIN"

    def decision_table(self, max_n: int | None = None) -> DecisionTable:
        return _table(self.complete_design, max_n or self.max_n or 30)

    def tite_rules(self) -> TiteBoinRules:
        if self.max_n is None:
            return TiteBoinRules(dataclasses.replace(self, max_n=30))
        return TiteBoinRules(self)

    def _complete_oc(self, truth, **kw) -> OperatingCharacteristics:
        oc = self.complete_design.oc(truth, method="exact", **kw)
        oc.design = "TITE-BOIN, every window complete before each decision (= BOIN)"
        return oc

    def _estimates(self, s: TrialState) -> list[float | None]:
        est = tite_boin_estimate(s.n[0], s.y[0], s.c[0], s.stft[0], self.target)
        return [None if not np.isfinite(v) else round(float(v), 6) for v in est]

    def _suspend_reason(self, s: TrialState) -> str:
        d = int(s.d[0])
        c, n = int(s.c[0, d]), int(s.n[0, d])
        if c <= self.max_pending_ratio * n + 1e-12:
            return Msg("accrual suspended: the design would escalate, but a pending patient at dose %(dose)s has "
                       "been followed for less than %(fraction)s of the window (TITE-BOIN, minimum follow-up); "
                       "wait for more follow-up", dose=d + 1, fraction=f"{self.min_followup_fraction:g}")
        return Msg("accrual suspended: %(pending)s of %(n)s patients at dose %(dose)s are pending, more than "
                   "%(ratio)s of them (TITE-BOIN); wait for more follow-up", pending=c, n=n, dose=d + 1,
                   ratio=f"{self.max_pending_ratio:g}")

    def tite_decision_table(self, n_max: int | None = None) -> list[dict]:
        """Yuan et al. 2018 Table 1 in rows: for each n, y observed, c pending at the current dose, the
        decision (E, S, D, DU, SUS) or the STFT boundaries where it changes (escalate if STFT >= esc,
        de-escalate if STFT <= deesc)."""
        n_max = n_max or self.max_n or 15
        lam_e, lam_d = self.lambdas
        table = self.decision_table(max(n_max, 3))
        out = []
        for n in range(1, n_max + 1):
            for y in range(n + 1):
                for c in range(n - y + 1):
                    row: dict = {"n": n, "dlts": y, "pending": c, "decision": "", "escalate_if_stft_at_least": None,
                                 "deescalate_if_stft_at_most": None}
                    if table.eliminate[n, y]:
                        row["decision"] = "DU"
                    elif c == 0:
                        row["decision"] = {E: "E", D: "D", DU: "DU"}.get(int(table.codes[n, y]), "S")
                    elif y / n >= lam_d - 1e-12:
                        row["decision"] = "D"
                    elif c > self.max_pending_ratio * n + 1e-12:
                        row["decision"] = "SUS"
                    else:
                        pt = (y + self.target / 2) / (n - c + 1)
                        odds = (1 - pt) / pt
                        if y / n >= self.target - 1e-12:
                            b = c - odds * (n * lam_d - y)
                            row["decision"] = "S/D" if b > 0 else "S"
                            row["deescalate_if_stft_at_most"] = b if b > 0 else None
                        else:
                            b = c - odds * (n * lam_e - y)
                            row["decision"] = "E" if b <= 0 else "E/S" if b < c else "S"
                            row["escalate_if_stft_at_least"] = b if 0 < b < c else None
                    out.append(row)
        return out


def tite_boin(target: float, doses: int, *, cohort_size: int = 3, max_n: int | None = None, **kw) -> TiteBoin:
    """TITE-BOIN (Yuan et al. 2018). Options: window_days, accrual_interval_days, accrual, max_pending_ratio,
    and BOIN's p_saf, p_tox, elimination_cutoff, extrasafe, offset, bound_mtd."""
    boin_boundaries(target, 3, p_saf=kw.get("p_saf"), p_tox=kw.get("p_tox"))
    return TiteBoin(n_doses=doses, target=target, cohort_size=cohort_size, max_n=max_n, **kw)
