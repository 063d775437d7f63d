"""BOIN, mTPI-2, i3+3 and Keyboard: designs driven by a decision table, with BOIN 2.7.2's trial flow.

After each cohort at dose d (BOIN ``get.oc``):
1. if this cohort fills the maximum sample size, the trial ends: no elimination check, no decision;
2. if the table says DU (n >= 3 and P(p > target | data) > cutoff.eli), dose d and all higher doses are
   eliminated; at dose 1 the trial stops with no MTD;
3. extrasafe (BOIN): at dose 1 with n >= 3, stop if P(p1 > target | data) > cutoff.eli - offset;
4. n.earlystop (``stop_when_n_at_dose``): stop and select when the next dose would be the current one
   and it already has that many patients;
5. E escalates unless d is the top dose or d + 1 is eliminated (then stay); D / DU de-escalate unless
   d is dose 1 (then stay); S stays.
Elimination is sticky; because a dose's counts only change when it is treated, the eliminated set is
the first dose meeting the rule and everything above it, a function of the counts. The MTD is chosen
by BOIN's ``select.mtd`` (isotonic regression, see ``isotonic``).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np

from .base import Design, MTDSelection, mtd_or_none
from .boundaries import NA, boin_boundaries, boin_lambdas, elimination_counts, prob_above
from .engine import TrialRules
from .isotonic import NONE, _tail_table, isotonic_estimates, select_mtd, select_mtd_batch
from .messages import Msg
from .outcomes import Cohort, counts, parse_outcomes
from .tables import DU, TABLE_BUILDERS, D, DecisionTable, E, keyboard_target_key

_NAMES = {"boin": "BOIN", "mtpi2": "mTPI-2", "i3+3": "i3+3", "keyboard": "Keyboard"}


class TableRules:
    """Vectorised BOIN-style trial flow over a decision table."""

    def __init__(self, design: IntervalDesign, table: DecisionTable):
        self.n_doses = design.n_doses
        self.start_dose = design.start_dose - 1
        self.target = design.target
        self._plan = design._plan() if design.max_n is not None else []
        self.codes = table.codes
        self.elim = table.eliminate
        self.n_earlystop = design.n_earlystop
        self.design = design
        max_n = table.max_n
        if design.extrasafe:
            elim_counts = elimination_counts(design.target, max_n, design.elimination_cutoff)
            ns = np.arange(max_n + 1)[:, None]
            ys = np.arange(max_n + 1)[None, :]
            with np.errstate(invalid="ignore"):
                post = prob_above(design.target, np.minimum(ys, ns), ns)
            self.extrasafe_stop = (ns >= 3) & (ys <= ns) & (elim_counts[:, None] != NA) & (
                post > design.elimination_cutoff - design.offset)
        else:
            self.extrasafe_stop = None
        self._es_select = None if design.extrasafe else np.zeros((1, 1), dtype=bool)

    def cohort_sizes(self) -> list[int]:
        return self._plan

    def eliminated_from(self, n: np.ndarray, y: np.ndarray) -> np.ndarray:
        hit = self.elim[n, y]
        return np.where(hit.any(axis=1), hit.argmax(axis=1), self.n_doses)

    def transition(self, d, n, y, y_new, size):
        rows = np.arange(len(d))
        nd, yd = n[rows, d], y[rows, d]
        code = self.codes[nd, yd]
        first = self.eliminated_from(n, y)
        stop_none = first == 0
        if self.extrasafe_stop is not None:
            stop_none |= (d == 0) & self.extrasafe_stop[nd, yd]
        up = (code == E) & (d < self.n_doses - 1) & (d + 1 < first)
        down = ((code == D) | (code == DU)) & (d > 0)
        nxt = np.where(up, d + 1, np.where(down, d - 1, d))
        if self.n_earlystop is not None:
            stop_sel = (nd >= self.n_earlystop) & (nxt == d) & ~stop_none
        else:
            stop_sel = np.zeros(len(d), dtype=bool)
        return nxt, stop_sel, stop_none

    def select(self, n, y):
        dsg = self.design
        if self._es_select is None:
            self._es_select = _tail_table(dsg.target, self.elim.shape[0] - 1, dsg.elimination_cutoff - dsg.offset)
        return select_mtd_batch(n, y, dsg.target, elimination_cutoff=dsg.elimination_cutoff, extrasafe=dsg.extrasafe,
                                offset=dsg.offset, bound_mtd=dsg.bound_mtd, lambda_d=dsg.lambdas[1],
                                elim_table=self.elim, extrasafe_table=self._es_select)


@dataclass(frozen=True)
class IntervalDesign(Design):
    design: str = "boin"  # boin | mtpi2 | i3+3 | keyboard: the protocol's escalation.design
    elimination_cutoff: float = 0.95
    # BOIN
    p_saf: float | None = None
    p_tox: float | None = None
    extrasafe: bool = False
    offset: float = 0.05
    bound_mtd: bool = False
    # mTPI-2 and i3+3: equivalence interval [target - epsilon1, target + epsilon2]
    epsilon1: float = 0.05
    epsilon2: float = 0.05
    # Keyboard: width of the target key (and of every key), centred on the target; see keyboard_target_key
    key_width: float = 0.1

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.design not in _NAMES:
            raise ValueError(f"unknown interval design {self.design!r}")
        if not 0 < self.elimination_cutoff < 1:
            raise ValueError("the elimination cutoff must lie strictly between 0 and 1")
        if self.design == "boin":
            boin_boundaries(self.target, 3, p_saf=self.p_saf, p_tox=self.p_tox, offset=self.offset)
        elif self.design in ("mtpi2", "i3+3"):
            if not (0 < self.epsilon1 < self.target and 0 < self.epsilon2 < 1 - self.target):
                raise ValueError("the equivalence interval must lie inside (0, 1) around the target")
        else:
            keyboard_target_key(self.target, self.key_width)  # raises unless the key lies inside (0, 1)

    @property
    def name(self) -> str:
        return _NAMES[self.design]

    @property
    def lambdas(self) -> tuple[float, float]:
        return boin_lambdas(self.target, self.p_saf, self.p_tox)

    def decision_table(self, max_n: int | None = None) -> DecisionTable:
        max_n = max_n or self.max_n or 30
        return _table(self, max_n)

    def rules(self) -> TrialRules:
        return TableRules(self, self.decision_table(self.max_n))

    def rules_for(self, n_max: int) -> TrialRules:
        return TableRules(self, self.decision_table(max(self.max_n or 0, n_max, 3)))

    def stop_when_too_toxic(self, certainty: float = 0.95, threshold: float | None = None) -> IntervalDesign:
        """Set the elimination certainty (BOIN's cutoff.eli); the threshold is the target."""
        if threshold is not None and abs(threshold - self.target) > 1e-12:
            raise ValueError(f"{self.name} eliminates doses more toxic than its target; threshold must be the target")
        return dataclasses.replace(self, elimination_cutoff=float(certainty))

    def admissible(self, n, y):
        table = self.decision_table(max(int(n.max()), 3))
        hit = table.eliminate[n, y]
        first = int(hit.argmax()) if hit.any() else self.n_doses
        return np.arange(self.n_doses) < first

    def _decision_word(self, n, y, d, nxt):
        table = self.decision_table(max(int(n.max()), 3))
        if table.codes[n[d], y[d]] == DU:
            return "eliminate"
        return super()._decision_word(n, y, d, nxt)

    def select(self, outcomes: str | list[Cohort]) -> MTDSelection:
        cohorts = parse_outcomes(outcomes, self.n_doses)
        n, y = counts(cohorts, self.n_doses)
        m = select_mtd(n, y, self.target, elimination_cutoff=self.elimination_cutoff, extrasafe=self.extrasafe,
                       offset=self.offset, bound_mtd=self.bound_mtd, lambda_d=self.lambdas[1])
        est = isotonic_estimates(n, y, self.target)
        rows = [dataclasses.asdict(e) for e in est]
        adm = self.admissible(n, y)
        for r, a in zip(rows, adm, strict=True):
            r["admissible"] = bool(a) and r["n"] > 0
        if m == NONE:
            reason = (Msg("no MTD: the lowest dose is eliminated as too toxic") if not adm[0]
                      else Msg("no MTD: no treated, admissible dose"))
        else:
            e = est[m]
            reason = Msg("MTD = dose %(dose)s: isotonic DLT estimate %(estimate)s (95%% CI %(lower)s-%(upper)s) "
                         "is closest to the target %(target)s", dose=m + 1, estimate=f"{e.estimate:.3f}",
                         lower=f"{e.lower:.3f}", upper=f"{e.upper:.3f}", target=f"{self.target:g}")
        return MTDSelection(mtd_or_none(m), reason, rows, "isotonic regression (BOIN select.mtd)")


_TABLE_CACHE: dict[tuple, DecisionTable] = {}


def _table(design: IntervalDesign, max_n: int) -> DecisionTable:
    key = (design.design, design.target, max_n, design.elimination_cutoff, design.p_saf, design.p_tox,
           design.epsilon1, design.epsilon2, design.key_width)
    t = _TABLE_CACHE.get(key)
    if t is None:
        t = TABLE_BUILDERS[design.design](design.target, max_n, p_saf=design.p_saf, p_tox=design.p_tox,
                                          elimination_cutoff=design.elimination_cutoff, epsilon1=design.epsilon1,
                                          epsilon2=design.epsilon2, key_width=design.key_width)
        _TABLE_CACHE[key] = t
    return t


def boin(target: float, doses: int, *, cohort_size: int = 3, max_n: int | None = None, **kw) -> IntervalDesign:
    """BOIN (Liu & Yuan 2015) as in R package BOIN 2.7.2. Extra options: p_saf, p_tox, elimination_cutoff,
    extrasafe, offset, bound_mtd."""
    return IntervalDesign(n_doses=doses, target=target, cohort_size=cohort_size, max_n=max_n, design="boin", **kw)


def mtpi2(target: float, doses: int, *, epsilon1: float = 0.05, epsilon2: float = 0.05, cohort_size: int = 3,
          max_n: int | None = None, **kw) -> IntervalDesign:
    return IntervalDesign(n_doses=doses, target=target, cohort_size=cohort_size, max_n=max_n, design="mtpi2",
                          epsilon1=epsilon1, epsilon2=epsilon2, **kw)


def i3plus3(target: float, doses: int, *, epsilon1: float = 0.05, epsilon2: float = 0.05, cohort_size: int = 3,
            max_n: int | None = None, **kw) -> IntervalDesign:
    return IntervalDesign(n_doses=doses, target=target, cohort_size=cohort_size, max_n=max_n, design="i3+3",
                          epsilon1=epsilon1, epsilon2=epsilon2, **kw)


def keyboard(target: float, doses: int, *, key_width: float = 0.1, cohort_size: int = 3,
             max_n: int | None = None, **kw) -> IntervalDesign:
    return IntervalDesign(n_doses=doses, target=target, cohort_size=cohort_size, max_n=max_n, design="keyboard",
                          key_width=key_width, **kw)
