"""What the time-to-event designs (TITE-BOIN, TITE-CRM) share: patients with pending windows, the state
of a trial at a decision time, and the vectorised time-to-event simulator.

A TITE design is the complete-data design (BOIN, CRM) plus a rule for patients whose DLT window is still
open ("pending"). When every window has closed the two coincide, so a TITE design keeps the whole
contract of its complete-data parent (``recommend("1NNN 2NTT")``, ``decision_table``, ``select``, the
exact operating characteristics of the trial that waits for every window: ``oc(truth, method="complete")``)
and adds

- ``recommend_tite(patients)``: the next decision on live data, pending windows included, with a
  "suspend accrual" answer when the design's rule says to wait;
- ``oc(truth)`` (``method="tite"``, the default; ``"mc"`` is the same): simulated operating
  characteristics of the trial that enrols while windows are pending.

Simulation model (as dfcrm ``titesim(accrual = "poisson" | "fixed", surv = "uniform")``, whose ``rate``
is window_days / accrual_interval_days): patients arrive one at a time, with exponential gaps of mean
``accrual_interval_days`` (``accrual="poisson"``) or exactly that gap (``accrual="fixed"``); a patient at
dose d has a DLT with probability p_d, at a time uniform over the window (``window_days``). Other
time-to-DLT distributions (Yuan et al. 2018 also simulate late-onset, e.g. Weibull, times) are not
implemented. The dose of a cohort is decided when its first patient arrives; the
rest of the cohort receive that dose as they arrive. A patient arriving while accrual is suspended waits
and is enrolled at the first event (a pending patient's DLT or window end at the current dose, or, with
TITE-BOIN's ``min_followup_fraction``, a pending patient reaching that follow-up) after which the design
no longer suspends; later arrivals count their gaps from that enrolment. No decision follows the last
cohort; the MTD is selected when every window has closed, by the complete-data design's rule.

All trials of a chunk advance in lock-step, one cohort at a time, as in ``simulate``; a seed makes a
run reproducible (numpy PCG64).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .base import Recommendation
from .isotonic import NONE
from .messages import Msg, word
from .oc import MonteCarloAccumulator, OperatingCharacteristics

ACCRUAL = ("poisson", "fixed")
DEFAULT_TITE_SEED = 20181015  # Yuan et al., Clin Cancer Res 2018;24(20): the default seed of ``oc``
TITE_CHUNK = 5_000
# Event times are sums (entry + delay); an event "has happened" within this many days of it, so that a
# wait that jumps to an event's time sees it despite rounding (entry + w) - entry != w.
TIME_EPS = 1e-9


@dataclass(frozen=True)
class TitePatient:
    """One dosed patient for a time-to-event decision.

    ``dose``: 1-based dose level. ``dlt``: True (a DLT was observed), False (the window closed without
    one) or None (pending: the window is still open). ``followup``: days followed so far for a pending
    patient; for a patient with a DLT, the days from dosing to the DLT (used by TITE-CRM's adaptive
    weights); ignored for a completed patient. A pending patient followed for the whole window or longer
    (outcome not yet recorded) counts as fully followed but still pending."""

    dose: int
    dlt: bool | None
    followup: float = 0.0

    @property
    def pending(self) -> bool:
        return self.dlt is None


@dataclass(frozen=True)
class TiteRecommendation(Recommendation):
    """A :class:`Recommendation` on data with pending windows. ``action`` can also be ``suspend``
    (accrual suspended: ``dose`` is None, ``continue_trial`` True, the reason says why) and
    ``complete-followup`` (the maximum sample size is reached; the MTD is selected when the pending
    windows close)."""

    pending: list[int] = field(default_factory=list)  # per dose
    followup_fraction: list[float] = field(default_factory=list)  # per dose: STFT, sum of min(u / window, 1)
    estimate: list[float | None] = field(default_factory=list)  # per dose, the design's DLT estimate
    suspended: bool = False


def validate_tite_parameters(window_days: float, accrual_interval_days: float, accrual: str) -> None:
    if not (np.isfinite(window_days) and window_days > 0):
        raise ValueError(f"the DLT window must be a positive number of days, got {window_days!r}")
    if not (np.isfinite(accrual_interval_days) and accrual_interval_days > 0):
        raise ValueError(f"the accrual interval must be a positive number of days, got {accrual_interval_days!r}")
    if accrual not in ACCRUAL:
        raise ValueError(f"accrual must be one of {', '.join(ACCRUAL)}, got {accrual!r}")


def check_patients(patients: Sequence[TitePatient], n_doses: int) -> list[TitePatient]:
    out = list(patients)
    for i, p in enumerate(out, start=1):
        if not 1 <= p.dose <= n_doses:
            raise ValueError(f"patient {i}: dose {p.dose} is not one of the doses 1..{n_doses}")
        if p.dlt not in (True, False, None):
            raise ValueError(f"patient {i}: dlt must be True, False or None (pending)")
        if not (np.isfinite(p.followup) and p.followup >= 0):
            raise ValueError(f"patient {i}: follow-up must be a non-negative number of days")
    return out


@dataclass
class TrialState:
    """Trials (rows) at one decision time. Per dose: ``n`` dosed, ``y`` DLTs observed, ``c`` pending,
    ``stft`` the pending patients' standardised follow-up, sum of min(u / window, 1). Per patient slot
    (``dose`` -1 for an empty slot): ``dose``, ``pending``, ``u`` (days followed, capped at the window),
    ``dlt_seen`` and ``dlt_time`` (days from dosing to an observed DLT). ``d``: current dose (0-based);
    ``last_y`` / ``last_size``: DLTs observed so far in the last cohort and its size."""

    d: np.ndarray
    n: np.ndarray
    y: np.ndarray
    c: np.ndarray
    stft: np.ndarray
    dose: np.ndarray
    pending: np.ndarray
    u: np.ndarray
    dlt_seen: np.ndarray
    dlt_time: np.ndarray
    last_y: np.ndarray
    last_size: np.ndarray
    window: float

    @classmethod
    def from_patients(cls, patients: Sequence[TitePatient], n_doses: int, window: float,
                      current: int, last_cohort: Sequence[int]) -> TrialState:
        """One trial (one row) from live data; ``last_cohort`` are the indices of the last cohort's patients."""
        m = max(len(patients), 1)
        dose = np.full((1, m), -1, dtype=np.int64)
        pend = np.zeros((1, m), dtype=bool)
        u = np.zeros((1, m))
        seen = np.zeros((1, m), dtype=bool)
        dtime = np.full((1, m), np.inf)
        for i, p in enumerate(patients):
            dose[0, i] = p.dose - 1
            pend[0, i] = p.pending
            u[0, i] = min(p.followup, window) if p.pending else window
            if p.dlt is True:
                seen[0, i] = True
                dtime[0, i] = min(p.followup, window)
        last_y = np.array([sum(1 for i in last_cohort if patients[i].dlt is True)])
        return cls.build(np.array([current]), dose, pend, u, seen, dtime, n_doses, window, last_y,
                         np.array([max(len(last_cohort), 1)]))

    @classmethod
    def build(cls, d, dose, pend, u, seen, dtime, k, window, last_y, last_size) -> TrialState:
        onehot = dose[:, :, None] == np.arange(k)[None, None, :]
        n = onehot.sum(axis=1)
        y = (onehot & seen[:, :, None]).sum(axis=1)
        c = (onehot & pend[:, :, None]).sum(axis=1)
        stft = np.einsum("tpk,tp->tk", onehot & pend[:, :, None], np.minimum(u / window, 1.0))
        return cls(d, n, y, c, stft, dose, pend, u, seen, dtime, last_y, last_size, window)


def rows(state: TrialState) -> np.ndarray:
    return np.arange(len(state.d))


class TiteRules:
    """What the simulator needs from a TITE design (vectorised over trials):
    ``decide(state) -> (next dose, stop and select, stop with no MTD, suspend)`` and ``select(n, y)``
    on complete data; ``n_doses``, ``start_dose`` (0-based), ``target``, ``cohort_sizes()``."""

    n_doses: int
    start_dose: int
    target: float

    def cohort_sizes(self) -> list[int]:
        raise NotImplementedError

    def decide(self, s: TrialState) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        raise NotImplementedError

    def select(self, n: np.ndarray, y: np.ndarray) -> np.ndarray:
        raise NotImplementedError


def _gaps(rng: np.random.Generator, shape, mean: float, accrual: str) -> np.ndarray:
    if accrual == "fixed":
        return np.full(shape, mean)
    return rng.exponential(mean, size=shape)


def _run_chunk(rules: TiteRules, p: np.ndarray, t: int, rng: np.random.Generator, window: float,
               interval: float, accrual: str, record: bool = False):
    k = rules.n_doses
    sizes = rules.cohort_sizes()
    m = int(sum(sizes))
    tox_u = rng.random((t, m))  # DLT if tox_u < p[dose]
    tox_time = rng.random((t, m)) * window  # time from dosing to the DLT, uniform over the window
    gaps = _gaps(rng, (t, m), interval, accrual)
    entry = np.full((t, m), np.inf)
    dose = np.full((t, m), -1, dtype=np.int64)
    z = np.zeros((t, m), dtype=bool)
    d = np.full(t, rules.start_dose, dtype=np.int64)
    alive = np.ones(t, dtype=bool)
    none = np.zeros(t, dtype=bool)
    clock = np.zeros(t)  # time of the latest enrolment
    last_start = np.zeros(t, dtype=np.int64)
    path: list[tuple[int, int, int, float]] = []
    slot = 0
    for step, size in enumerate(sizes):
        idx = np.nonzero(alive)[0]
        if idx.size == 0:
            break
        now = clock[idx] + (gaps[idx, slot] if step else 0.0)
        dd = d[idx]
        if step:
            dd, now, stop_sel, stop_none = _decide_at(rules, idx, now, entry, dose, z, tox_time, d, window,
                                                      last_start[idx], slot)
            none[idx[stop_none]] = True
            stopped = stop_sel | stop_none
            alive[idx[stopped]] = False
            keep = ~stopped
            idx, dd, now = idx[keep], dd[keep], now[keep]
            if idx.size == 0:
                break
        d[idx] = dd
        last_start[idx] = slot
        for j in range(size):
            if j:
                now = now + gaps[idx, slot + j]
            entry[idx, slot + j] = now
            dose[idx, slot + j] = dd
            z[idx, slot + j] = tox_u[idx, slot + j] < p[dd]
        clock[idx] = now
        if record and idx.size and idx[0] == 0:
            path.append((int(dd[0]), size, int(z[0, slot:slot + size].sum()), float(entry[0, slot])))
        slot += size
    onehot = dose[:, :, None] == np.arange(k)[None, None, :]
    n = onehot.sum(axis=1)
    y = (onehot & z[:, :, None]).sum(axis=1)
    mtd = np.full(t, NONE, dtype=np.int64)
    ok = ~none
    if ok.any():
        mtd[ok] = rules.select(n[ok], y[ok])
    enrolled = dose >= 0
    end = np.where(enrolled, entry + np.where(z, tox_time, window), -np.inf).max(axis=1)
    return n, y, mtd, none, np.maximum(end, 0.0), path


def _decide_at(rules: TiteRules, idx, now, entry, dose, z, tox_time, d, window, last_start, slot):
    """Decisions for trials ``idx`` at times ``now``; suspended trials wait for the next event at their
    current dose and decide again. Returns (dose, enrolment time, stop_sel, stop_none)."""
    nxt = np.empty(idx.size, dtype=np.int64)
    stop_sel = np.zeros(idx.size, dtype=bool)
    stop_none = np.zeros(idx.size, dtype=bool)
    todo = np.arange(idx.size)
    now = now.copy()
    for _ in range(2 * slot + 2):
        rr = idx[todo]
        s = _state(rr, now[todo], entry, dose, z, tox_time, d, window, last_start[todo], slot, rules.n_doses)
        a, b, c, sus = rules.decide(s)
        done = ~sus
        nxt[todo[done]] = a[done]
        stop_sel[todo[done]] = b[done]
        stop_none[todo[done]] = c[done]
        if not sus.any():
            return nxt, now, stop_sel, stop_none
        todo = todo[sus]
        # the next resolution (DLT or window end) of a patient pending at the current dose
        rr = idx[todo]
        ent = entry[rr, :slot]
        resolve = ent + np.where(z[rr, :slot], tox_time[rr, :slot], window)
        t_now = now[todo][:, None]
        here = dose[rr, :slot] == d[rr][:, None]
        cand = np.where(here & (resolve > t_now + TIME_EPS), resolve, np.inf)
        wait = getattr(rules, "min_followup_fraction", 0.0)
        if wait > 0:  # or the moment a pending patient reaches the minimum follow-up
            reach = ent + wait * window
            cand = np.minimum(cand, np.where(here & (reach > t_now + TIME_EPS) & (reach < resolve), reach, np.inf))
        now[todo] = cand.min(axis=1)
    raise AssertionError("accrual stayed suspended with no pending patient")  # pragma: no cover


def _state(rr, now, entry, dose, z, tox_time, d, window, last_start, slot, k) -> TrialState:
    ent = entry[rr, :slot]
    dz = dose[rr, :slot]
    zz = z[rr, :slot]
    tt = tox_time[rr, :slot]
    since = now[:, None] - ent
    seen = zz & (tt <= since + TIME_EPS)
    complete = seen | (since >= window - TIME_EPS)
    pend = (dz >= 0) & ~complete
    u = np.minimum(since, window)
    dtime = np.where(seen, tt, np.inf)
    cols = np.arange(slot)[None, :]
    last = cols >= last_start[:, None]
    last_y = (seen & last).sum(axis=1)
    last_size = np.maximum(slot - last_start, 1)
    return TrialState.build(d[rr], dz, pend, u, seen, dtime, k, window, last_y, last_size)


def simulate_tite_oc(rules: TiteRules, truth, n_trials: int, seed: int | None, *, design: str, window: float,
                     interval: float, accrual: str, chunk: int = TITE_CHUNK) -> OperatingCharacteristics:
    p = np.asarray(truth, dtype=float)
    if n_trials < 1:
        raise ValueError("the number of simulated trials must be at least 1")
    rng = np.random.default_rng(seed)
    acc = MonteCarloAccumulator(rules.n_doses, p, rules.target)
    dur1 = dur2 = 0.0
    done = 0
    while done < n_trials:
        t = min(chunk, n_trials - done)
        n, y, mtd, none, end, _ = _run_chunk(rules, p, t, rng, window, interval, accrual)
        acc.add(n, y, mtd, none)
        dur1 += float(end.sum())
        dur2 += float((end * end).sum())
        done += t
    oc = acc.result(design, seed)
    mean = dur1 / done
    var = max(dur2 / done - mean**2, 0.0) * done / max(done - 1, 1)
    oc.extra.update({"duration_mean_days": mean, "se_duration_mean_days": float(np.sqrt(var / done)),
                     "window_days": window, "accrual_interval_days": interval, "accrual": accrual,
                     "tite": True})
    return oc


@dataclass(frozen=True)
class TiteTrialPath:
    """One simulated TITE trial: (dose 1-based, patients, DLTs, day the cohort started) per cohort."""

    cohorts: list[tuple[int, int, int, float]]
    mtd: int | None
    stopped_for_safety: bool
    duration_days: float


def simulate_tite_trial(rules: TiteRules, truth, seed: int | None, *, window: float, interval: float,
                        accrual: str) -> TiteTrialPath:
    p = np.asarray(truth, dtype=float)
    _, _, mtd, none, end, path = _run_chunk(rules, p, 1, np.random.default_rng(seed), window, interval, accrual,
                                            record=True)
    mm = int(mtd[0])
    return TiteTrialPath([(dd + 1, c, tx, day) for dd, c, tx, day in path], None if mm == NONE else mm + 1,
                         bool(none[0]), float(end[0]))


class TiteMixin:
    """``recommend_tite``, the TITE ``oc`` and ``simulate_tite_trial`` for a design that provides
    ``tite_rules()`` and the fields ``window_days``, ``accrual_interval_days``, ``accrual``."""

    window_days: float
    accrual_interval_days: float
    accrual: str
    n_doses: int
    target: float
    cohort_size: int
    max_n: int | None
    start_dose: int

    def tite_rules(self) -> TiteRules:
        raise NotImplementedError

    def live_rules(self, n_patients: int) -> TiteRules:
        """Rules able to decide on live data with ``n_patients`` dosed (the design's own if it has a
        maximum sample size that large)."""
        if self.max_n is not None and self.max_n >= n_patients:
            return self.tite_rules()
        import dataclasses

        return dataclasses.replace(self, max_n=max(n_patients, 30)).tite_rules()  # type: ignore[type-var]

    def _complete_oc(self, truth, **kw) -> OperatingCharacteristics:
        raise NotImplementedError

    def _estimates(self, s: TrialState) -> list[float | None]:
        raise NotImplementedError

    def oc(self, truth, *, method: str = "tite", n_trials: int = 10_000, seed: int | None = DEFAULT_TITE_SEED,
           chunk: int = TITE_CHUNK, **kw: Any) -> OperatingCharacteristics:
        """Operating characteristics. ``method="tite"`` (default; ``"mc"`` is the same): simulated, with
        enrolment while windows are pending (see the module docstring), seeded (default seed
        ``DEFAULT_TITE_SEED``) so that the same call gives the same numbers. ``method="complete"`` (or
        ``"exact"``): the exact operating characteristics of the same design when accrual waits for every
        window (the complete-data design; no Monte Carlo error)."""
        p = np.asarray(truth, dtype=float)
        if p.shape != (self.n_doses,):
            raise ValueError(f"truth has {p.size} probabilities for {self.n_doses} doses")
        if np.any((p < 0) | (p > 1)):
            raise ValueError("true DLT probabilities must lie in [0, 1]")
        if method in ("complete", "exact"):
            return self._complete_oc(p, **kw)
        if method not in ("tite", "mc", "monte-carlo"):
            raise ValueError(f"unknown method {method!r}: use 'tite' or 'complete'")
        if self.max_n is None:
            raise ValueError(f"{self.name}: set a maximum sample size first (stop_at_n)")  # type: ignore[attr-defined]
        return simulate_tite_oc(self.tite_rules(), p, n_trials, seed, design=self.name,  # type: ignore[attr-defined]
                                window=self.window_days, interval=self.accrual_interval_days,
                                accrual=self.accrual, chunk=chunk)

    def simulate_tite_trial(self, truth, seed: int | None = None) -> TiteTrialPath:
        return simulate_tite_trial(self.tite_rules(), truth, seed, window=self.window_days,
                                   interval=self.accrual_interval_days, accrual=self.accrual)

    def recommend_tite(self, patients: Sequence[TitePatient], *, current_dose: int | None = None,
                       last_cohort: int | None = None) -> TiteRecommendation:
        """The decision for the next cohort on live data with pending windows.

        ``patients`` in dosing order. ``current_dose`` (1-based): the dose of the last cohort (default:
        the last patient's dose). ``last_cohort``: how many of the last patients form the last cohort
        (default: the cohort size; used by TITE-CRM's coherence rule). The caller decides when a cohort
        is full; this answers what the next cohort should receive now."""
        pts = check_patients(patients, self.n_doses)
        k = self.n_doses
        if not pts:
            return TiteRecommendation(self.start_dose, True, "start", Msg("no patients yet: start dose"), [0] * k,
                                      [0] * k, [True] * k, [0] * k, [0.0] * k, [None] * k, False)
        cur = (current_dose if current_dose is not None else pts[-1].dose) - 1
        if not 0 <= cur < k:
            raise ValueError(f"current dose {cur + 1} is not one of the doses 1..{k}")
        size = min(last_cohort or self.cohort_size, len(pts))
        s = TrialState.from_patients(pts, k, self.window_days, cur, range(len(pts) - size, len(pts)))
        n, y, c = (s.n[0].astype(int), s.y[0].astype(int), s.c[0].astype(int))
        adm = self.admissible(n, y)  # type: ignore[attr-defined]
        base: dict[str, Any] = {
            "n": [int(v) for v in n], "dlts": [int(v) for v in y], "admissible": [bool(v) for v in adm],
            "pending": [int(v) for v in c], "followup_fraction": [round(float(v), 6) for v in s.stft[0]],
            "estimate": self._estimates(s),
        }
        total = int(n.sum())
        if self.max_n is not None and total >= self.max_n:
            if c.sum():
                return TiteRecommendation(None, False, "complete-followup",
                                          Msg("maximum sample size %(max_n)s reached; the MTD is selected when "
                                              "the %(pending)s pending window(s) close", max_n=self.max_n,
                                              pending=int(c.sum())), **base)
            sel = self.select(_outcomes(pts))  # type: ignore[attr-defined]
            return TiteRecommendation(sel.dose, False, "stop", Msg("maximum sample size %(max_n)s reached; %(why)s",
                                                                   max_n=self.max_n, why=sel.reason), **base)
        nxt, stop_sel, stop_none, sus = self.live_rules(len(pts)).decide(s)
        if stop_none[0]:
            return TiteRecommendation(None, False, "stop", Msg("stop for safety: the lowest dose is too toxic; no MTD"),
                                      **base)
        if sus[0]:
            return TiteRecommendation(None, True, "suspend", self._suspend_reason(s), suspended=True, **base)
        if stop_sel[0]:
            if c.sum():
                return TiteRecommendation(None, False, "complete-followup",
                                          Msg("stopping rule met; the MTD is selected when the %(pending)s "
                                              "pending window(s) close", pending=int(c.sum())), **base)
            sel = self.select(_outcomes(pts))  # type: ignore[attr-defined]
            return TiteRecommendation(sel.dose, False, "stop", Msg("stopping rule met; %(why)s", why=sel.reason),
                                      **base)
        nd = int(nxt[0])
        action = "escalate" if nd > cur else "de-escalate" if nd < cur else "stay"
        if not adm[cur] and nd < cur:
            action = "eliminate"
        return TiteRecommendation(nd + 1, True, action,
                                  Msg("%(dlts)s DLT(s) observed in %(n)s patients at dose %(dose)s, %(pending)s "
                                      "pending (standardised follow-up %(stft)s): %(decision)s", dlts=int(y[cur]),
                                      n=int(n[cur]), dose=cur + 1, pending=int(c[cur]),
                                      stft=f"{float(s.stft[0, cur]):.2f}", decision=word(action)), **base)

    def _suspend_reason(self, s: TrialState) -> str:
        d = int(s.d[0])
        return Msg("accrual suspended: %(pending)s of %(n)s patients at dose %(dose)s are pending; wait for more "
                   "follow-up", pending=int(s.c[0, d]), n=int(s.n[0, d]), dose=d + 1)


def _outcomes(patients: Sequence[TitePatient]) -> str:
    return " ".join(f"{p.dose}{'T' if p.dlt else 'N'}" for p in patients)
