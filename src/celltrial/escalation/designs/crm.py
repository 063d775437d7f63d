"""The continual reassessment method with the semantics of R package dfcrm (Cheung; ``crm``, ``crmsim``).

Working models: empiric F(d, a) = skeleton_d ^ exp(a); logistic F = expit(intercept + exp(a) * x_d) with
x_d = logit(skeleton_d) - intercept. Prior a ~ N(0, prior_variance), prior_variance = 1.34 (dfcrm's
``scale = sqrt(1.34)`` is the standard deviation of the same prior: see ``dfcrm_scale``). The estimate is the
posterior mean of a (dfcrm integrates with R's ``integrate``); the DLT curve is the plug-in
F(skeleton, a_hat). The recommended dose is the one with F closest to the target; the top dose if every
F <= target, dose 1 if every F >= target. ``crmsim(restrict = TRUE)`` adds: never skip an untried dose
when escalating, and never escalate right after a cohort whose DLT rate is >= target (coherence).

Speed: the posterior is evaluated for many trials (or exact-DP states) at once on a grid of ``a``,
log L = Y @ log F(a) + (N - Y) @ log(1 - F(a)), after merging identical (N, Y) rows. ``dfcrm_crm`` is a
plain transcription of dfcrm's ``crm()`` with scipy's QUADPACK (the library R's ``integrate`` wraps),
kept as the reference the grid is tested against.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import integrate
from scipy.special import expit
from scipy.stats import norm

from .base import Design, MTDSelection, mtd_or_none
from .engine import TrialRules, unique_rows
from .isotonic import NONE
from .messages import Msg
from .outcomes import Cohort, counts, parse_outcomes

R_INTEGRATE_TOL = np.finfo(float).eps ** 0.25  # R integrate()'s default rel.tol (= abs.tol)
DFCRM_PRIOR_VARIANCE = 1.34  # dfcrm's prior a ~ N(0, 1.34)


def dfcrm_scale(prior_variance: float) -> float:
    """dfcrm's ``scale`` for a prior variance: the prior's standard deviation, sqrt(prior_variance).

    The one place the two units meet. dfcrm (Cheung; ``crm(..., scale = sqrt(1.34))``, man/crm.Rd:
    "scale: standard deviation of the normal prior of the model parameter") states the prior of the
    log-slope a as a standard deviation; celltrial states it, as Cheung's N(0, 1.34) does, as the
    variance ``prior_variance`` in the protocol, the engine and the CLI. dfcrm's default is
    ``dfcrm_scale(1.34) = 1.1576``.
    """
    if not (math.isfinite(prior_variance) and prior_variance > 0):
        raise ValueError(f"the prior variance must be a positive number, got {prior_variance!r}")
    return math.sqrt(prior_variance)


def getprior(halfwidth: float, target: float, nu: int, nlevel: int) -> list[float]:
    """dfcrm ``getprior`` for the empiric model (Lee & Cheung 2009): a skeleton with indifference
    interval target +/- halfwidth and prior MTD at dose ``nu`` (1-based)."""
    if not 0 < halfwidth < min(target, 1 - target):
        raise ValueError("halfwidth must be positive and keep target +/- halfwidth inside (0, 1)")
    if not 1 <= nu <= nlevel:
        raise ValueError("nu must be one of the dose levels")
    ds = [math.nan] * nlevel
    ds[nu - 1] = target
    for k in range(nu, 1, -1):
        b = math.log(math.log(target + halfwidth) / math.log(ds[k - 1]))
        ds[k - 2] = math.exp(math.log(target - halfwidth) / math.exp(b))
    for k in range(nu, nlevel):
        b = math.log(math.log(target - halfwidth) / math.log(ds[k - 1]))
        ds[k] = math.exp(math.log(target + halfwidth) / math.exp(b))
    return ds


@dataclass(frozen=True)
class CRMModel:
    skeleton: tuple[float, ...]
    target: float
    model: str = "empiric"
    intercept: float = 3.0
    prior_variance: float = DFCRM_PRIOR_VARIANCE
    grid_points: int = 201  # trapezoid on [-10, 10]: 1e-14 from a 6401-point grid on 30-patient trials
    grid_limit: float = 10.0
    _grid: np.ndarray = field(init=False, repr=False, compare=False)
    _logp: np.ndarray = field(init=False, repr=False, compare=False)
    _logq: np.ndarray = field(init=False, repr=False, compare=False)
    _logprior: np.ndarray = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        s = np.asarray(self.skeleton)
        if np.any((s <= 0) | (s >= 1)) or np.any(np.diff(s) <= 0):
            raise ValueError("the skeleton must be strictly increasing probabilities in (0, 1)")
        if self.model not in ("empiric", "logistic"):
            raise ValueError("model must be 'empiric' or 'logistic'")
        if self.model == "logistic" and not np.all(np.log(s / (1 - s)) - self.intercept < 0):
            raise ValueError("intercept of the logistic model is too small: scaled doses > 0")
        g = np.linspace(-self.grid_limit, self.grid_limit, self.grid_points)
        object.__setattr__(self, "_grid", g)
        ea = np.exp(g)[None, :]
        if self.model == "empiric":
            z = np.log(s)[:, None] * ea  # log F
            logp, logq = z, np.log(-np.expm1(z))
        else:
            eta = self.intercept + (np.log(s / (1 - s)) - self.intercept)[:, None] * ea
            logp, logq = -np.logaddexp(0, -eta), -np.logaddexp(0, eta)
        object.__setattr__(self, "_logp", logp)
        object.__setattr__(self, "_logq", logq)
        if not (math.isfinite(self.prior_variance) and self.prior_variance > 0):
            raise ValueError(f"the prior variance must be a positive number, got {self.prior_variance!r}")
        object.__setattr__(self, "_logprior", -g**2 / (2 * self.prior_variance))

    @property
    def n_doses(self) -> int:
        return len(self.skeleton)

    def dose_curve(self, a: np.ndarray) -> np.ndarray:
        """F(skeleton, a) for each a: shape (len(a), K)."""
        a = np.asarray(a, dtype=float)[:, None]
        s = np.asarray(self.skeleton)[None, :]
        if self.model == "empiric":
            return s ** np.exp(a)
        return expit(self.intercept + np.exp(a) * (np.log(s / (1 - s)) - self.intercept))

    def posterior(self, n: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Normalised posterior weights on the grid for each distinct row, and the row -> distinct map."""
        n = np.atleast_2d(n)
        y = np.atleast_2d(y)
        first, inv = unique_rows(np.concatenate([n, y], axis=1))
        nu, yu = n[first].astype(float), y[first].astype(float)
        # explicit sums rather than a BLAS matmul: with K ~ 5 columns, a threaded BLAS only adds overhead
        ll = np.einsum("uk,kg->ug", yu, self._logp) + np.einsum("uk,kg->ug", nu - yu, self._logq)
        ll += self._logprior[None, :]
        ll -= ll.max(axis=1, keepdims=True)
        w = np.exp(ll)
        w /= w.sum(axis=1, keepdims=True)
        return w, inv

    def estimate(self, n, y) -> tuple[np.ndarray, np.ndarray]:
        """Posterior mean and variance of a per row."""
        w, inv = self.posterior(n, y)
        m = np.einsum("ug,g->u", w, self._grid)
        v = np.einsum("ug,g->u", w, self._grid**2) - m**2
        return m[inv], v[inv]

    def mtd(self, ptox: np.ndarray) -> np.ndarray:
        k = ptox.shape[1]
        rec = np.argmin(np.abs(ptox - self.target), axis=1)
        rec = np.where((ptox <= self.target).all(axis=1), k - 1, rec)
        rec = np.where((ptox >= self.target).all(axis=1) & ~(ptox <= self.target).all(axis=1), 0, rec)
        return rec

    def recommend(self, n, y) -> np.ndarray:
        a, _ = self.estimate(n, y)
        return self.mtd(self.dose_curve(a))

    def prob_exceeds(self, n, y, threshold: float, dose: int = 0) -> np.ndarray:
        """Posterior P(F(skeleton_dose, a) > threshold) per row."""
        w, inv = self.posterior(n, y)
        above = np.exp(self._logp[dose]) > threshold
        return np.einsum("ug,g->u", w, above.astype(float))[inv]


def dfcrm_crm(prior, target, tox, level, *, model="empiric", intercept=3.0,
              prior_variance=DFCRM_PRIOR_VARIANCE, conf_level=0.90, tol=R_INTEGRATE_TOL) -> dict[str, Any]:
    """A line-by-line transcription of dfcrm's ``crm()`` (method 'bayes'), integrating with QUADPACK
    at R's default tolerance. The reference for the grid posterior; slow by design. dfcrm's ``intcpt``
    is ``intercept`` here and its ``scale`` is ``dfcrm_scale(prior_variance)``."""
    scale = dfcrm_scale(prior_variance)
    prior = np.asarray(prior, dtype=float)
    y = np.asarray(tox, dtype=float)
    lev = np.asarray(level, dtype=int) - 1
    if model == "empiric":
        x = prior[lev]

        def lik(a):
            with np.errstate(over="ignore"):
                f = x ** np.exp(a)
            return float(np.prod(f**y * (1 - f) ** (1 - y)))
    else:
        dosescaled = np.log(prior / (1 - prior)) - intercept
        x = dosescaled[lev]

        def lik(a):
            with np.errstate(over="ignore"):
                psi = 1 / (1 + np.exp(-intercept - np.exp(a) * x))
            return float(np.prod(psi**y * (1 - psi) ** (1 - y)))

    def h(a, power):
        return a**power * math.exp(-(a**2) / 2 / scale**2) * lik(a)

    opts = {"epsabs": tol, "epsrel": tol, "limit": 100}
    den = integrate.quad(h, -np.inf, np.inf, args=(0,), **opts)[0]
    est = integrate.quad(h, -np.inf, np.inf, args=(1,), **opts)[0] / den
    e2 = integrate.quad(h, -np.inf, np.inf, args=(2,), **opts)[0] / den
    m = CRMModel(tuple(prior), target, model, intercept, prior_variance, grid_points=3)
    ptox = m.dose_curve(np.array([est]))[0]
    post_var = e2 - est**2
    crit = norm.ppf(0.5 + conf_level / 2)
    lo, hi = est - crit * math.sqrt(post_var), est + crit * math.sqrt(post_var)
    return {"estimate": est, "post_var": post_var, "ptox": ptox,
            "ptoxL": m.dose_curve(np.array([hi]))[0], "ptoxU": m.dose_curve(np.array([lo]))[0],
            "mtd": int(m.mtd(ptox[None, :])[0]) + 1}


class CRMRules:
    def __init__(self, design: CRM):
        self.design = design
        self.model = design.crm_model
        self.n_doses = design.n_doses
        self.start_dose = design.start_dose - 1
        self.target = design.target
        self._plan = design._plan() if design.max_n is not None else []

    def cohort_sizes(self) -> list[int]:
        return self._plan

    def _too_toxic(self, n, y) -> np.ndarray:
        dsg = self.design
        if dsg.tox_certainty is None:
            return np.zeros(len(n), dtype=bool)
        thr = dsg.target if dsg.tox_threshold is None else dsg.tox_threshold
        return self.model.prob_exceeds(n, y, thr, 0) > dsg.tox_certainty

    def transition(self, d, n, y, y_new, size):
        dsg = self.design
        rec = self.model.recommend(n, y)
        if dsg.no_skipping:
            rec = np.minimum(rec, d + 1)
        if dsg.coherent:
            rec = np.where(y_new / size >= dsg.target, np.minimum(rec, d), rec)
        stop_none = self._too_toxic(n, y)
        if dsg.n_earlystop is not None:
            stop_sel = (rec == d) & (n[np.arange(len(d)), d] >= dsg.n_earlystop) & ~stop_none
        else:
            stop_sel = np.zeros(len(d), dtype=bool)
        return rec, stop_sel, stop_none

    def select(self, n, y):
        rec = self.model.recommend(n, y)
        return np.where(self._too_toxic(n, y), NONE, rec)


@dataclass(frozen=True)
class CRM(Design):
    skeleton: tuple[float, ...] = ()
    model: str = "empiric"
    intercept: float = 3.0
    prior_variance: float = DFCRM_PRIOR_VARIANCE
    no_skipping: bool = True  # dfcrm crmsim restrict = TRUE
    coherent: bool = True
    tox_threshold: float | None = None
    tox_certainty: float | None = None
    crm_model: CRMModel = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "skeleton", tuple(float(v) for v in self.skeleton))  # hashable: cache key
        super().__post_init__()
        if len(self.skeleton) != self.n_doses:
            raise ValueError(f"the skeleton has {len(self.skeleton)} values for {self.n_doses} doses")
        object.__setattr__(self, "crm_model",
                           CRMModel(tuple(self.skeleton), self.target, self.model, self.intercept,
                                    self.prior_variance))

    @property
    def design(self) -> str:
        return "crm"

    @property
    def name(self) -> str:
        return f"CRM ({self.model})"

    def rules(self) -> TrialRules:
        return CRMRules(self)

    def dont_skip_doses(self) -> CRM:
        return dataclasses.replace(self, no_skipping=True)

    def unrestricted(self) -> CRM:
        """dfcrm crmsim(restrict = FALSE): dose skipping and incoherent escalation allowed."""
        return dataclasses.replace(self, no_skipping=False, coherent=False)

    def stop_when_too_toxic(self, certainty: float = 0.9, threshold: float | None = None) -> CRM:
        """Stop with no MTD when P(DLT rate at dose 1 > threshold | data) > certainty (model posterior)."""
        return dataclasses.replace(self, tox_certainty=float(certainty),
                                   tox_threshold=None if threshold is None else float(threshold))

    def admissible(self, n, y):
        ok = ~self.rules()._too_toxic(n[None, :], y[None, :])[0]
        return np.full(self.n_doses, ok)

    def decision_table(self, max_n: int | None = None, outcomes: str | None = None) -> list[dict[str, Any]]:
        """A CRM has no fixed (n, y) table: its decisions use every dose's data. This gives the next
        decision after each possible outcome of the next cohort, given the outcomes so far."""
        cohorts = parse_outcomes(outcomes, self.n_doses)
        nxt_dose = self.recommend(cohorts).dose if cohorts else self.start_dose
        if nxt_dose is None:
            return []
        rows = []
        for t in range(self.cohort_size + 1):
            extra = Cohort(nxt_dose, "T" * t + "N" * (self.cohort_size - t))
            r = self.recommend([*cohorts, extra])
            rows.append({"next_cohort": str(extra), "dlts": t, "then_dose": r.dose, "continue": r.continue_trial,
                         "action": r.action})
        return rows

    def select(self, outcomes: str | list[Cohort]) -> MTDSelection:
        cohorts = parse_outcomes(outcomes, self.n_doses)
        n, y = counts(cohorts, self.n_doses)
        m = self.crm_model
        a, v = m.estimate(n[None, :], y[None, :])
        ptox = m.dose_curve(a)[0]
        crit = norm.ppf(0.95)
        lo = m.dose_curve(a + crit * np.sqrt(v))[0]
        hi = m.dose_curve(a - crit * np.sqrt(v))[0]
        mtd = int(self.rules().select(n[None, :], y[None, :])[0])
        rows = [{"dose": j + 1, "n": int(n[j]), "dlts": int(y[j]), "skeleton": self.skeleton[j],
                 "estimate": float(ptox[j]), "lower": float(lo[j]), "upper": float(hi[j])}
                for j in range(self.n_doses)]
        if mtd == NONE:
            reason = Msg("no MTD: the lowest dose is too toxic")
        else:
            reason = Msg("MTD = dose %(dose)s: model DLT estimate %(estimate)s (90%% interval %(lower)s-%(upper)s) "
                         "is closest to the target %(target)s; posterior mean of a = %(a)s", dose=mtd + 1,
                         estimate=f"{ptox[mtd]:.3f}", lower=f"{lo[mtd]:.3f}", upper=f"{hi[mtd]:.3f}",
                         target=f"{self.target:g}", a=f"{float(a[0]):.4f}")
        return MTDSelection(mtd_or_none(mtd), reason, rows, f"CRM {self.model} model, posterior mean (dfcrm)")


def crm(skeleton, target: float, *, model: str = "empiric", cohort_size: int = 3, max_n: int | None = None,
        **kw) -> CRM:
    """CRM with dfcrm semantics; by default no skipping and coherent escalation (crmsim restrict = TRUE)."""
    sk = tuple(float(v) for v in skeleton)
    return CRM(n_doses=len(sk), target=target, cohort_size=cohort_size, max_n=max_n, skeleton=sk, model=model,
               **kw)
