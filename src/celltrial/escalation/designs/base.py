"""The design API shared by every design: recommend, decision table, operating characteristics, select.

A design is an immutable value built from a few parameters; modifiers return a changed copy, in the
spirit of the R package escalation's selectors::

    design = boin(target=0.3, doses=6).cohorts_of(3).stop_at_n(36).stop_when_n_at_dose(12)
    design.recommend("1NNN 2NTT")          # next dose and whether to continue
    design.decision_table()                # E / S / D / DU for every n and y
    design.oc([0.05, 0.1, 0.2, 0.3, 0.45, 0.6])            # exact where possible
    design.oc(truth, method="mc", n_trials=10_000, seed=1)  # Monte Carlo with standard errors
    design.select("1NNN 2NNN 3NTT ...")    # MTD with estimates and intervals

Doses are 1-based in this API and in outcome strings; the engines use 0-based indices.
"""

from __future__ import annotations

import dataclasses
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from .engine import TrialRules, cohort_plan
from .exact import TerminalStates, exact_oc
from .isotonic import NONE
from .messages import Msg, word
from .oc import OperatingCharacteristics
from .outcomes import Cohort, counts, parse_outcomes
from .simulate import TrialPath, simulate_oc, simulate_trial


@dataclass(frozen=True)
class Recommendation:
    dose: int | None  # 1-based dose for the next cohort (or the MTD when the trial stops); None: no dose
    continue_trial: bool
    action: str  # start | escalate | stay | de-escalate | eliminate | complete-cohort | stop
    reason: str
    n: list[int]
    dlts: list[int]
    admissible: list[bool]

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


@dataclass(frozen=True)
class MTDSelection:
    dose: int | None  # 1-based MTD, None if no dose is selected
    reason: str
    estimates: list[dict[str, Any]]  # per dose: n, dlts, estimate, lower, upper (and more per design)
    method: str

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


_PRECOMPUTED: OrderedDict[Any, TerminalStates] = OrderedDict()
_PRECOMPUTED_MAX = 8  # designs whose final states are kept (tens of MB at most each)


@dataclass(frozen=True)
class Design:
    """Parameters every design has. Subclasses add their own and implement ``rules`` and ``name``."""

    n_doses: int
    target: float
    cohort_size: int = 3
    max_n: int | None = None
    start_dose: int = 1
    # BOIN's n.earlystop: stop when the next dose would be the current one and it already has this many
    n_earlystop: int | None = None

    def __post_init__(self) -> None:
        if self.n_doses < 1:
            raise ValueError("a design needs at least one dose")
        if not 0 < self.target < 1:
            raise ValueError(f"target {self.target} must be a probability strictly between 0 and 1")
        if self.cohort_size < 1:
            raise ValueError("cohort size must be at least 1")
        if not 1 <= self.start_dose <= self.n_doses:
            raise ValueError(f"start dose {self.start_dose} is not one of the doses 1..{self.n_doses}")
        if self.max_n is not None and self.max_n < 1:
            raise ValueError("the maximum sample size must be at least 1")
        if self.n_earlystop is not None and self.n_earlystop < 1:
            raise ValueError("n_earlystop must be at least 1")

    # ---- what subclasses provide -------------------------------------------------------------------------
    @property
    def design(self) -> str:
        """The design's identifier: the protocol's ``escalation.design`` value and the CLI's ``--design``
        (``3+3A``, ``3+3B``, ``boin``, ``mtpi2``, ``i3+3``, ``keyboard``, ``crm``)."""
        raise NotImplementedError

    @property
    def name(self) -> str:
        """The design's name as printed (``3+3A``, ``BOIN``, ``CRM (empiric)``, ...)."""
        raise NotImplementedError

    def rules(self) -> TrialRules:
        raise NotImplementedError

    def rules_for(self, n_max: int) -> TrialRules:
        """Rules able to decide on data with up to ``n_max`` patients at a dose (live decisions)."""
        return self.rules()

    def decision_table(self, max_n: int | None = None):
        raise NotImplementedError

    def select(self, outcomes: str | list[Cohort]) -> MTDSelection:
        raise NotImplementedError

    def admissible(self, n: np.ndarray, y: np.ndarray) -> np.ndarray:
        return np.ones(self.n_doses, dtype=bool)

    def _decision_word(self, n: np.ndarray, y: np.ndarray, d: int, nxt: int) -> str:
        return "escalate" if nxt > d else "de-escalate" if nxt < d else "stay"

    # ---- modifiers -------------------------------------------------------------------------------------------
    def stop_at_n(self, n: int) -> Design:
        """Maximum sample size; the trial ends when it is reached (BOIN: ncohort * cohortsize)."""
        return dataclasses.replace(self, max_n=int(n))

    def stop_when_n_at_dose(self, n: int) -> Design:
        """Sets ``n_earlystop`` (BOIN's ``n.earlystop``): stop early when the design would stay at the
        current dose and it already has ``n`` patients."""
        return dataclasses.replace(self, n_earlystop=int(n))

    def cohorts_of(self, size: int) -> Design:
        return dataclasses.replace(self, cohort_size=int(size))

    def start_at(self, dose: int) -> Design:
        return dataclasses.replace(self, start_dose=int(dose))

    def dont_skip_doses(self) -> Design:
        """Never skip an untried dose when escalating (sets ``no_skipping``; the R package escalation's
        ``dont_skip_doses``). Rule-based and interval designs never skip."""
        return self

    def stop_when_too_toxic(self, certainty: float = 0.95, threshold: float | None = None) -> Design:
        raise NotImplementedError

    # ---- shared machinery ------------------------------------------------------------------------------------
    def _plan(self) -> list[int]:
        if self.max_n is None:
            raise ValueError(f"{self.name}: set a maximum sample size first (stop_at_n, or --cohorts)")
        return cohort_plan(self.cohort_size, self.max_n)

    def recommend(self, outcomes: str | list[Cohort] | None = None) -> Recommendation:
        """The dose for the next cohort and whether to continue, given the outcomes so far."""
        cohorts = parse_outcomes(outcomes, self.n_doses)
        n, y = counts(cohorts, self.n_doses)
        adm = self.admissible(n, y)
        nl, yl, al = [int(v) for v in n], [int(v) for v in y], [bool(v) for v in adm]
        if not cohorts:
            return Recommendation(self.start_dose, True, "start", Msg("no patients yet: start dose"), nl, yl, al)
        last = cohorts[-1]
        total = int(n.sum())
        if self.max_n is not None and total >= self.max_n:
            sel = self.select(cohorts)
            return Recommendation(sel.dose, False, "stop",
                                  Msg("maximum sample size %(max_n)s reached; %(why)s", max_n=self.max_n,
                                      why=sel.reason), nl, yl, al)
        if last.n < self.cohort_size:
            return Recommendation(last.dose, True, "complete-cohort",
                                  Msg("cohort at dose %(dose)s has %(n)s of %(size)s patients", dose=last.dose, n=last.n,
                                      size=self.cohort_size),
                                  nl, yl, al)
        rules = self.rules_for(int(n.max()))
        d = last.dose - 1
        nxt, stop_sel, stop_none = rules.transition(
            np.array([d]), n[None, :].copy(), y[None, :].copy(), np.array([last.dlts]), last.n)
        if stop_none[0]:
            return Recommendation(None, False, "stop", Msg("stop for safety: the lowest dose is too toxic; no MTD"),
                                  nl, yl, al)
        if stop_sel[0]:
            sel = self.select(cohorts)
            return Recommendation(sel.dose, False, "stop", Msg("stopping rule met; %(why)s", why=sel.reason),
                                  nl, yl, al)
        nd = int(nxt[0])
        action = self._decision_word(n, y, d, nd)
        return Recommendation(nd + 1, True, action,
                              Msg("%(dlts)s DLT(s) in %(n)s patients at dose %(dose)s: %(decision)s", dlts=int(y[d]),
                                  n=int(n[d]), dose=d + 1, decision=word(action)), nl, yl, al)

    def terminal_states(self) -> TerminalStates:
        """The scenario-free precompute (cached per design)."""
        tp = _PRECOMPUTED.get(self)
        if tp is None:
            self._plan()
            tp = TerminalStates.build(self.rules())
            _PRECOMPUTED[self] = tp
            while len(_PRECOMPUTED) > _PRECOMPUTED_MAX:
                _PRECOMPUTED.popitem(last=False)
        else:
            _PRECOMPUTED.move_to_end(self)
        return tp

    def oc(
        self,
        truth,
        *,
        method: str = "exact",
        n_trials: int = 10_000,
        seed: int | None = None,
        chunk: int = 100_000,
        on_chunk: Callable[[int], None] | None = None,
        precompute: bool = True,
    ) -> OperatingCharacteristics:
        """Operating characteristics under true DLT probabilities ``truth``.

        ``method="exact"``: exact by the state-merging DP (through the cached precompute when
        ``precompute``); ``"mc"``: Monte Carlo with standard errors."""
        p = np.asarray(truth, dtype=float)
        if p.shape != (self.n_doses,):
            raise ValueError(f"truth has {p.size} probabilities for {self.n_doses} doses")
        if np.any((p < 0) | (p > 1)):
            raise ValueError("true DLT probabilities must lie in [0, 1]")
        self._plan()
        if method == "exact":
            if precompute:
                return self.terminal_states().oc(p, design=self.name)
            return exact_oc(self.rules(), p, design=self.name)
        if method in ("mc", "monte-carlo"):
            return simulate_oc(self.rules(), p, n_trials, seed, design=self.name, chunk=chunk, on_chunk=on_chunk)
        raise ValueError(f"unknown method {method!r}: use 'exact' or 'mc'")

    def simulate_trial(self, truth, seed: int | None = None) -> TrialPath:
        self._plan()
        return simulate_trial(self.rules(), truth, seed)

    def describe(self) -> dict[str, Any]:
        out = {f.name: getattr(self, f.name) for f in dataclasses.fields(self) if f.repr}
        out["design"] = self.design
        out["name"] = self.name
        return out


def mtd_or_none(m: int) -> int | None:
    return None if m == NONE else m + 1

