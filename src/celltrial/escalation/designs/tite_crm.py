"""TITE-CRM: the time-to-event continual reassessment method (Cheung YK, Chappell R. Sequential designs
for phase I clinical trials with late-onset toxicities. Biometrics 2000;56:1177-1182), with the
semantics of R package dfcrm's ``titecrm``.

Weighted likelihood: L(a) = prod_i F(d_i, a)^y_i (1 - w_i F(d_i, a))^(1 - y_i), where a patient with
a DLT has weight 1 and a patient without one has weight w_i:

- ``weights="linear"``: w = min(u / T, 1), u the days followed, T the window (dfcrm: followup / obswin);
- ``weights="adaptive"`` (Cheung & Chappell 2000, section 2.2; dfcrm ``scheme = "adaptive"``): with the
  z observed DLT times (from dosing) ordered t_1 <= ... <= t_z, t_0 = 0, t_(z+1) = T, and m the number of
  them <= u: w = (m + (u - t_m) / (t_(m+1) - t_m)) / (z + 1). Without any DLT this is u / T.

Model, prior, estimate and recommendation are the CRM module's (dfcrm ``crm``): empiric
F = skeleton^exp(a) or logistic, a ~ N(0, prior_variance), the posterior mean of a, the dose with
F closest to the target. Restrictions as documented for dfcrm ``titesim(restrict = TRUE)`` ("avoid (1)
skipping doses in escalation and (2) escalation immediately after a toxic outcome") and as the CRM module
applies them: never more than one level above the current dose (``no_skipping``), and no escalation
right after a cohort with an observed DLT rate >= target (``coherent``; with cohorts of 1, the default
here as in dfcrm, "after a toxic outcome"). Both are on by default and can be switched off
(``unrestricted()``). (dfcrm 0.2-2.1's one-stage ``titesim`` code applies only the no-skipping cap.)
Decisions are taken at each new cohort's first arrival. There is no accrual suspension. A completed
trial (every weight 1) is the CRM with the same options.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from .crm import CRM, CRMRules
from .oc import OperatingCharacteristics
from .tite import TiteMixin, TiteRules, TrialState, validate_tite_parameters

WEIGHTS = ("linear", "adaptive")


def tite_weights(s: TrialState, scheme: str) -> np.ndarray:
    """Weight per patient slot (1 for a completed patient or an observed DLT; 0 for an empty slot)."""
    lin = np.minimum(s.u / s.window, 1.0)
    w = np.where(s.pending, lin, 1.0)
    if scheme == "linear":
        return np.where(s.dose >= 0, w, 0.0)
    support = np.sort(np.where(s.dlt_seen, s.dlt_time, np.inf), axis=1)  # (T, P)
    z = np.isfinite(support).sum(axis=1)  # (T,)
    m = (support[:, None, :] <= s.u[:, :, None]).sum(axis=2)  # (T, P): DLT times <= u
    padded = np.concatenate([np.zeros((len(z), 1)), np.where(np.isfinite(support), support, np.nan)], axis=1)
    t_lo = np.take_along_axis(padded, m, axis=1)  # t_m (t_0 = 0)
    hi_idx = np.minimum(m + 1, padded.shape[1] - 1)
    t_hi = np.take_along_axis(padded, hi_idx, axis=1)
    t_hi = np.where(m >= z[:, None], s.window, t_hi)  # t_(z+1) = T
    gap = np.where(t_hi > t_lo, t_hi - t_lo, 1.0)
    ada = (m + np.clip((s.u - t_lo) / gap, 0.0, 1.0)) / (z[:, None] + 1)
    w = np.where(s.pending, np.minimum(ada, 1.0), 1.0)
    return np.where(s.dose >= 0, w, 0.0)


class TiteCrmRules(TiteRules):
    def __init__(self, design: TiteCrm):
        self.design = design
        self.model = design.crm_model
        self.complete = CRMRules(design)
        self.n_doses = design.n_doses
        self.start_dose = design.start_dose - 1
        self.target = design.target
        f = np.exp(self.model._logp)  # F(dose, a) on the grid, subnormals flushed to 0 (slow arithmetic)
        self._f = np.where(f < 1e-300, 0.0, f)

    def cohort_sizes(self) -> list[int]:
        return self.complete.cohort_sizes()

    def posterior(self, s: TrialState) -> np.ndarray:
        """Normalised posterior weights on the model's grid, one row per trial."""
        m = self.model
        nc = (s.n - s.y - s.c).astype(float)  # completed without DLT: weight 1
        ll = np.einsum("tk,kg->tg", s.y.astype(float), m._logp) + np.einsum("tk,kg->tg", nc, m._logq)
        pend = s.pending & (s.dose >= 0)
        if pend.any():
            w = tite_weights(s, self.design.weights)
            # only the pending patients' factors (1 - w F), summed per trial (rows come out sorted)
            r, col = np.nonzero(pend)
            terms = np.log1p(-w[r, col][:, None] * self._f[s.dose[r, col]])  # (pending, G)
            rows_with, starts = np.unique(r, return_index=True)
            ends = np.append(starts[1:], len(r))
            cs = np.concatenate([np.zeros((1, terms.shape[1])), np.cumsum(terms, axis=0)])
            ll[rows_with] += cs[ends] - cs[starts]  # per-trial sums (np.add.reduceat is ~10x slower here)
        ll += m._logprior[None, :]
        ll -= ll.max(axis=1, keepdims=True)
        post = np.exp(np.maximum(ll, -700.0))  # no subnormals (slow arithmetic); exp(-700) is negligible
        return post / post.sum(axis=1, keepdims=True)

    def estimate(self, s: TrialState) -> tuple[np.ndarray, np.ndarray]:
        post = self.posterior(s)
        g = self.model._grid
        a = post @ g
        return a, self.model.dose_curve(a)

    def decide(self, s: TrialState):
        dsg = self.design
        post = self.posterior(s)
        a = post @ self.model._grid
        rec = self.model.mtd(self.model.dose_curve(a))
        d = s.d
        if dsg.no_skipping:
            rec = np.minimum(rec, d + 1)
        if dsg.coherent:
            rec = np.where(s.last_y / s.last_size >= dsg.target, np.minimum(rec, d), rec)
        if dsg.tox_certainty is None:
            stop_none = np.zeros(len(d), dtype=bool)
        else:
            thr = dsg.target if dsg.tox_threshold is None else dsg.tox_threshold
            above = (np.exp(self.model._logp[0]) > thr).astype(float)
            stop_none = post @ above > dsg.tox_certainty
        if dsg.n_earlystop is not None:
            stop_sel = (rec == d) & (s.n[np.arange(len(d)), d] >= dsg.n_earlystop) & ~stop_none
        else:
            stop_sel = np.zeros(len(d), dtype=bool)
        return rec, stop_sel, stop_none, np.zeros(len(d), dtype=bool)

    def select(self, n, y):
        return self.complete.select(n, y)


@dataclass(frozen=True)
class TiteCrm(TiteMixin, CRM):
    """TITE-CRM. The complete-data contract is the CRM's; ``recommend_tite`` and ``oc`` weight the
    pending patients."""

    window_days: float = 28.0
    accrual_interval_days: float = 14.0
    accrual: str = "poisson"
    weights: str = "linear"

    def __post_init__(self) -> None:
        super().__post_init__()
        validate_tite_parameters(self.window_days, self.accrual_interval_days, self.accrual)
        if self.weights not in WEIGHTS:
            raise ValueError(f"weights must be one of {', '.join(WEIGHTS)}, got {self.weights!r}")

    @property
    def design(self) -> str:
        return "tite-crm"

    @property
    def name(self) -> str:
        return f"TITE-CRM ({self.model})"

    @property
    def complete_design(self) -> CRM:
        fields = {f.name: getattr(self, f.name) for f in dataclasses.fields(CRM) if f.init}
        return CRM(**fields)

    def tite_rules(self) -> TiteCrmRules:
        if self.max_n is None:
            return TiteCrmRules(dataclasses.replace(self, max_n=30))
        return TiteCrmRules(self)

    def _complete_oc(self, truth, **kw) -> OperatingCharacteristics:
        oc = self.complete_design.oc(truth, method="exact", **kw)
        oc.design = f"{self.name}, every window complete before each decision (= CRM)"
        return oc

    def _estimates(self, s: TrialState) -> list[float | None]:
        _, ptox = self.live_rules(int(s.n.sum())).estimate(s)  # type: ignore[attr-defined]
        return [round(float(v), 6) for v in ptox[0]]

    def posterior_mean(self, patients, *, current_dose: int | None = None) -> float:
        """Posterior mean of the model parameter a on live data (dfcrm ``titecrm``'s ``estimate``)."""
        from .tite import TrialState as _TS
        from .tite import check_patients

        pts = check_patients(patients, self.n_doses)
        cur = (current_dose or (pts[-1].dose if pts else self.start_dose)) - 1
        s = _TS.from_patients(pts, self.n_doses, self.window_days, cur, range(len(pts)))
        a, _ = self.live_rules(len(pts)).estimate(s)  # type: ignore[attr-defined]
        return float(a[0])


def tite_crm(skeleton, target: float, *, model: str = "empiric", cohort_size: int = 1, max_n: int | None = None,
             **kw) -> TiteCrm:
    """TITE-CRM (Cheung & Chappell 2000); cohorts of 1 by default, as in the paper. Options: window_days,
    accrual_interval_days, accrual, weights ('linear' or 'adaptive') and the CRM's options."""
    sk = tuple(float(v) for v in skeleton)
    return TiteCrm(n_doses=len(sk), target=target, cohort_size=cohort_size, max_n=max_n, skeleton=sk, model=model,
                   **kw)
