"""The design contract: every design built through ``design_for`` passes the same checks.

In the spirit of the R package escalation's ``check_dose_selector_consistency`` (Brock et al.; brockk/
escalation tests/testthat/helper-check_dose_selector_consistency.R, read for the idea only): one checker
that every selector's tests call. Here the checks are

- the decision table has the documented shape (docs/designs.md, "Decision tables");
- the first cohort is treated at the protocol's start dose;
- no reachable state leads more than one level above the highest dose tried (no skipping; the 3+3 rule,
  the interval designs' E/S/D/DU rule and dfcrm ``crmsim(restrict = TRUE)`` all forbid it);
- a trial never treats more than ``max_n`` patients, and the live recommendation agrees, cohort by
  cohort, with the simulator's path (the same next dose; "stop" exactly where the simulated trial ends);
- the too-toxic stop: if every patient has a DLT the trial stops early with no MTD, and if no patient
  ever has one it never stops for safety (3+3: >= 2 DLTs at dose 1, Storer 1989; interval designs:
  P(p1 > target | data) > elimination_cutoff, Liu & Yuan 2015 and BOIN 2.7.2; CRM: the declared
  ``tox_certainty``);
- exact selection probabilities, "no MTD" included, sum to 1 (they are the law of one terminal state);
- exact operating characteristics lie within 5 standard errors of a seeded Monte Carlo run of 4,000
  trials (for a selection probability p, the binomial SE sqrt(p (1 - p) / 4000); for means, the Monte
  Carlo SE). |Z| > 5 has probability 6e-7, and the seed makes the run reproducible.

The time-to-event designs (TITE-BOIN, TITE-CRM) run through the same checks: their complete-data
contract (table, live decisions on complete outcomes, terminal states) is the parent design's, and
their default ``oc`` is the seeded time-to-event simulation. For them the exact-vs-Monte-Carlo check
compares the exact OCs of the trial that waits for every window (``method="complete"``) with the
time-to-event simulator run with arrivals exactly one window apart (no patient is ever pending at a
decision, so the two are the same trial), and the too-toxic check asks for no MTD (a TITE trial may
reach its maximum sample size before enough DLTs are observed to stop it early).

Designs are small (3 dose levels, at most 18 patients) so the whole file runs in a few seconds.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from pydantic import TypeAdapter

from celltrial.escalation.designs import CRM, Design, IntervalDesign, ThreePlusThree, parse_outcomes
from celltrial.escalation.designs.tables import CODE_NAMES, DU, D, E, S
from celltrial.escalation.designs.tite import TiteMixin
from celltrial.escalation.protocol_design import design_for
from celltrial.study.protocol import default_protocol_path, load_protocol
from celltrial.study.protocol.schema import EscalationDesign

LEVELS = ["DL1", "DL2", "DL3"]
_SECTION = TypeAdapter(EscalationDesign)


def _from_section(**section) -> Design:
    return design_for(_SECTION.validate_python(section), dose_levels=LEVELS)


def _default_protocol() -> Design:
    protocol = load_protocol(default_protocol_path())
    return design_for(protocol.escalation, dose_levels=protocol.dose_levels)


CASES = {
    "default protocol (3+3A, max_n 42)": _default_protocol,
    "3+3B": lambda: _from_section(design="3+3B", start_dose="DL1", max_n=18),
    "3+3A capped at 9": lambda: _from_section(design="3+3A", start_dose="DL1", max_n=9),
    "boin": lambda: _from_section(design="boin", target=0.3, start_dose="DL1", max_n=15),
    "boin n_earlystop, extrasafe, start DL2": lambda: _from_section(
        design="boin", target=0.25, start_dose="DL2", max_n=18, n_earlystop=9, extrasafe=True),
    "mtpi2": lambda: _from_section(design="mtpi2", target=0.3, start_dose="DL1", max_n=15),
    "i3+3 cohorts of 2": lambda: _from_section(design="i3+3", target=0.3, start_dose="DL1", max_n=12,
                                               cohort_size=2),
    "keyboard": lambda: _from_section(design="keyboard", target=0.3, key_width=0.1, start_dose="DL1",
                                      max_n=15),
    "crm empiric": lambda: _from_section(design="crm", target=0.25, skeleton=[0.1, 0.25, 0.4],
                                         start_dose="DL1", max_n=12, tox_certainty=0.9),
    "crm logistic, cohorts of 2": lambda: _from_section(
        design="crm", target=0.3, skeleton=[0.15, 0.3, 0.45], model="logistic", start_dose="DL1", max_n=12,
        cohort_size=2, prior_variance=1.0, tox_certainty=0.9),
    "tite-boin (window from the dlt section)": lambda: design_for(
        _SECTION.validate_python({"design": "tite-boin", "target": 0.3, "start_dose": "DL1", "max_n": 15,
                                  "accrual_interval_days": 10}), dose_levels=LEVELS, dlt_window_days=28),
    "tite-boin": lambda: _from_section(design="tite-boin", target=0.3, start_dose="DL1", max_n=15,
                                       window_days=28, accrual_interval_days=10),
    "tite-crm adaptive": lambda: _from_section(
        design="tite-crm", target=0.25, skeleton=[0.1, 0.25, 0.4], start_dose="DL1", max_n=12, tox_certainty=0.9,
        window_days=28, accrual_interval_days=10, weights="adaptive"),
}
_BUILT: dict[str, Design] = {}


@pytest.fixture(params=list(CASES), ids=list(CASES))
def design(request) -> Design:
    name = request.param
    if name not in _BUILT:
        _BUILT[name] = CASES[name]()
    return _BUILT[name]


def _max_total(design: Design) -> int:
    assert design.max_n is not None
    return design.max_n


def _reachable(design: Design):
    """Every state the trial can be in after a cohort, with the design's next step: a walk over every
    cohort outcome, written here independently of the exact engine."""
    rules = design.rules()
    k = design.n_doses
    sizes = rules.cohort_sizes()
    frontier = {(rules.start_dose, (0,) * k, (0,) * k)}
    for step, c in enumerate(sizes[:-1]):  # no decision follows the last cohort
        rows = [(d, n, y, t) for d, n, y in sorted(frontier) for t in range(c + 1)]
        d = np.array([r[0] for r in rows])
        n = np.array([r[1] for r in rows])
        y = np.array([r[2] for r in rows])
        t = np.array([r[3] for r in rows])
        n[np.arange(len(rows)), d] += c
        y[np.arange(len(rows)), d] += t
        nxt, stop_sel, stop_none = rules.transition(d, n.copy(), y.copy(), t, c)
        yield step, d, n, y, nxt, stop_sel | stop_none
        frontier = {(int(nxt[i]), tuple(n[i]), tuple(y[i])) for i in range(len(rows))
                    if not (stop_sel[i] or stop_none[i])}
        if not frontier:
            return


def test_decision_table_has_the_documented_shape(design):
    if isinstance(design, IntervalDesign):
        table = design.decision_table()
        m = table.max_n
        assert m == design.max_n
        assert table.codes.shape == (m + 1, m + 1) == table.eliminate.shape
        assert np.all(table.codes[0] == -1)
        for n in range(1, m + 1):
            assert set(table.codes[n, : n + 1].tolist()) <= {E, S, D, DU}, n
            assert np.all(table.codes[n, n + 1:] == -1), n
            assert table.codes[n, 0] == E  # no DLT: escalate, in every interval design
        ns = [design.cohort_size * j for j in range(1, m // design.cohort_size + 1)]
        grid = table.grid(ns)
        assert len(grid) == max(ns) + 1 and all(len(row) == len(ns) for row in grid)
        assert all(cell in ("", *CODE_NAMES.values()) for row in grid for cell in row)
    elif isinstance(design, ThreePlusThree):
        rules = design.decision_table()
        assert len(rules) == {"3+3A": 5, "3+3B": 7}[design.design]
        assert all(set(r) == {"patients", "dlts", "decision"} for r in rules)
    else:
        assert isinstance(design, CRM)
        rows = design.decision_table()
        assert [r["dlts"] for r in rows] == list(range(design.cohort_size + 1))
        assert all(set(r) == {"next_cohort", "dlts", "then_dose", "continue", "action"} for r in rows)
        assert all(parse_outcomes(r["next_cohort"])[0].dose == design.start_dose for r in rows)


def test_first_cohort_at_the_start_dose(design):
    first = design.recommend("")
    assert first.continue_trial and first.dose == design.start_dose
    assert design.simulate_trial([0.2] * design.n_doses, seed=1).cohorts[0][0] == design.start_dose


def test_no_state_leads_more_than_one_level_above_the_highest_tried(design):
    visited = 0
    for _, _, n, _, nxt, stop in _reachable(design):
        tried = np.where(n > 0, np.arange(design.n_doses)[None, :], -1).max(axis=1)  # highest dose tried
        live = ~stop
        assert np.all((nxt[live] >= 0) & (nxt[live] < design.n_doses))
        assert np.all(nxt[live] <= tried[live] + 1), "a dose was skipped"
        assert np.all(n.sum(axis=1) <= _max_total(design))
        visited += len(n)
    assert visited > 10


def test_never_more_than_max_n_and_live_decisions_follow_the_simulator(design):
    terminal = design.terminal_states()
    totals = terminal.n.sum(axis=1)
    assert totals.max() <= _max_total(design)
    assert totals.min() >= min(design.cohort_size, _max_total(design))
    for seed, truth in enumerate([[0.0] * 3, [0.05, 0.15, 0.3], [0.2, 0.35, 0.5], [0.5, 0.6, 0.7]] * 3):
        path = design.simulate_trial(truth, seed=seed)
        cohorts = ["".join(["T"] * t + ["N"] * (c - t)) for _, c, t in path.cohorts]
        outcomes = [f"{d}{o}" for (d, _, _), o in zip(path.cohorts, cohorts, strict=True)]
        highest = 0
        for i in range(len(outcomes)):
            rec = design.recommend(" ".join(outcomes[:i]))
            assert rec.continue_trial, (outcomes, i)
            assert rec.dose == path.cohorts[i][0], (outcomes, i)  # live decision = simulated path
            assert rec.dose <= highest + 1 or (i == 0 and rec.dose == design.start_dose)
            highest = max(highest, rec.dose)
        end = design.recommend(" ".join(outcomes))
        assert not end.continue_trial, outcomes
        assert end.dose == path.mtd, outcomes
        assert sum(c for _, c, _ in path.cohorts) <= _max_total(design)


def test_too_toxic_stop(design):
    k = design.n_doses
    if isinstance(design, TiteMixin):
        toxic_tite = design.oc([1.0] * k, n_trials=2000)
        assert toxic_tite.select_none == pytest.approx(1.0, abs=1e-12)
        assert design.oc([0.0] * k, n_trials=2000).early_stop == 0.0
        toxic = design.oc([1.0] * k, method="complete")
        assert toxic.select_none == pytest.approx(1.0, abs=1e-12)
        assert toxic.early_stop == pytest.approx(1.0, abs=1e-12)
        return
    toxic = design.oc([1.0] * k)
    assert toxic.select_none == pytest.approx(1.0, abs=1e-12)
    assert toxic.early_stop == pytest.approx(1.0, abs=1e-12)
    safe = design.oc([0.0] * k)
    assert safe.early_stop == pytest.approx(0.0, abs=1e-12)
    assert safe.select_none == pytest.approx(0.0, abs=1e-12)


@pytest.mark.parametrize("truth", [[0.0, 0.0, 0.0], [1.0, 1.0, 1.0], [0.05, 0.25, 0.5], [0.3, 0.3, 0.3],
                                   [0.02, 0.6, 0.9]])
def test_exact_selection_probabilities_sum_to_one(design, truth):
    oc = design.oc(truth)
    assert oc.select.sum() + oc.select_none == pytest.approx(1.0, abs=1e-12)
    assert np.all(oc.select >= -1e-15) and oc.select_none >= -1e-15
    assert oc.n_mean.sum() <= _max_total(design) + 1e-9
    assert np.all(oc.dlt_mean <= oc.n_mean + 1e-12)
    assert oc.early_stop <= oc.select_none + 1e-12  # an early stop for safety selects no MTD


def test_exact_agrees_with_monte_carlo_within_five_standard_errors(design):
    truth = [0.1, 0.25, 0.45]
    n_trials = 4000
    if isinstance(design, TiteMixin):
        exact = design.oc(truth, method="complete")
        one_window_apart = dataclasses.replace(design, accrual="fixed", accrual_interval_days=design.window_days)
        mc = one_window_apart.oc(truth, method="tite", n_trials=n_trials, seed=20250801)
    else:
        exact = design.oc(truth)
        mc = design.oc(truth, method="mc", n_trials=n_trials, seed=20250801)
    p = np.append(exact.select, exact.select_none)
    got = np.append(mc.select, mc.select_none)
    se = np.sqrt(p * (1 - p) / n_trials)
    assert np.all(np.abs(got - p) <= 5 * se + 1e-12), (p, got)
    stop_se = np.sqrt(exact.early_stop * (1 - exact.early_stop) / n_trials)
    assert abs(mc.early_stop - exact.early_stop) <= 5 * stop_se + 1e-12
    assert mc.se_n_mean is not None and mc.se_dlt_mean is not None
    assert np.all(np.abs(mc.n_mean - exact.n_mean) <= 5 * mc.se_n_mean + 1e-9)
    assert np.all(np.abs(mc.dlt_mean - exact.dlt_mean) <= 5 * mc.se_dlt_mean + 1e-9)
