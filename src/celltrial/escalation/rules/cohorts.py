"""Sentinel and stagger, DLT windows and cohort states, as plain arithmetic on dates and counts.

Sentinel and stagger (protocol ``sentinel:``): the first participant of a cohort (the sentinel) is dosed
alone; the next one no earlier than ``observation_days`` after the sentinel's Day 0 (observation days
Day 0 .. Day observation_days - 1 are the sentinel's alone), and every later one no earlier than
``stagger_days`` after the previous dosing of the cohort. With ``observation_days: 14`` a sentinel dosed
on 1 March allows the second participant on 15 March, not on 14 March; with ``stagger_days: 7`` a second
participant dosed on 15 March allows the third on 22 March.

DLT window (protocol ``dlt.window_days``, "in days after dose day 0 (inclusive)"): Day 0 through Day
``window_days``; with 28 days a participant dosed on 1 March is in the window through 29 March, and the
window has closed on 30 March.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class CohortState(StrEnum):
    OPEN = "open"  # places left to enrol into
    FULL = "full"  # every place taken; not everyone dosed yet
    IN_OBSERVATION = "in_observation"  # everyone dosed; DLT windows still running
    AWAITING_DECISION = "awaiting_decision"  # windows closed (or a time-to-event design): the SRC decides
    CLOSED = "closed"  # a signed SRC decision closed it


@dataclass(frozen=True)
class DosedMember:
    """A dosed participant of a cohort: its Day 0 and its DLT status (``pending``, ``dlt``, ``no_dlt``,
    ``not_evaluable``)."""

    key: str
    dosed_on: dt.date
    dlt: str = "pending"


@dataclass(frozen=True)
class StaggerRefusal:
    rule: str  # "not_open" | "sentinel" | "stagger" | "sentinel_decision" | "full" | "closed"
    allowed_from: dt.date | None
    after: dt.date | None = None  # the dosing the interval counts from


@dataclass(frozen=True)
class CohortFacts:
    capacity: int
    enrolled: int  # enrolled into the cohort, dosed or not, not withdrawn before dosing
    dosed: Sequence[DosedMember]
    closed: bool
    time_to_event: bool = False


def dlt_window(dosed_on: dt.date, window_days: int) -> tuple[dt.date, dt.date]:
    """First and last day of the DLT window (both inclusive)."""
    return dosed_on, dosed_on + dt.timedelta(days=window_days)


def stagger_refusal(others: Sequence[dt.date], on: dt.date, *, observation_days: int, stagger_days: int,
                    capacity: int, sentinel_decided: bool, sentinel_decision_required: bool,
                    closed: bool = False, opened_on: dt.date | None = None) -> StaggerRefusal | None:
    """Whether dosing on ``on`` breaks the rule, given the Day 0 of the cohort's other dosed participants.

    ``opened_on``: the day the signed SRC decision opened the cohort; nobody is dosed into it before (a
    dose decision is taken before the dosing it allows, never after)."""
    if closed:
        return StaggerRefusal("closed", None)
    if opened_on is not None and on < opened_on:
        return StaggerRefusal("not_open", opened_on)
    if not others:
        return None  # the sentinel: dosed alone
    if len(others) >= capacity:
        return StaggerRefusal("full", None)
    ordered = sorted(others)
    sentinel, last = ordered[0], ordered[-1]
    after_sentinel = sentinel + dt.timedelta(days=observation_days)
    after_last = last + dt.timedelta(days=stagger_days)
    if on < after_sentinel and after_sentinel >= after_last:
        return StaggerRefusal("sentinel", after_sentinel, sentinel)
    if on < after_last:
        return StaggerRefusal("stagger", max(after_last, after_sentinel), last)
    if on < after_sentinel:
        return StaggerRefusal("sentinel", after_sentinel, sentinel)
    if sentinel_decision_required and not sentinel_decided:
        return StaggerRefusal("sentinel_decision", None, sentinel)
    return None


def cohort_state(facts: CohortFacts, today: dt.date, window_days: int) -> CohortState:
    if facts.closed:
        return CohortState.CLOSED
    evaluable_slots = facts.capacity
    if facts.enrolled < evaluable_slots:
        return CohortState.OPEN
    if len(facts.dosed) < facts.enrolled:
        return CohortState.FULL
    if facts.time_to_event:
        return CohortState.AWAITING_DECISION
    windows_open = any(dlt_window(m.dosed_on, window_days)[1] >= today for m in facts.dosed)
    pending = any(m.dlt == "pending" for m in facts.dosed)
    if windows_open or pending:
        return CohortState.IN_OBSERVATION
    return CohortState.AWAITING_DECISION


def outcomes_for_design(cohorts: Sequence[tuple[int, Sequence[str]]], *, include_pending: bool = False) -> str:
    """The outcome string (R package escalation notation) of the trial so far: one token per cohort, its
    1-based dose and N (no DLT) or T (DLT) for each evaluable participant. ``pending`` participants are
    left out unless ``include_pending`` (then counted N so far, for a time-to-event view); ``not_evaluable``
    participants are always left out (they are replaced)."""
    tokens = []
    for dose, statuses in cohorts:
        letters = "".join("T" if s == "dlt" else "N" for s in statuses
                          if s == "dlt" or s == "no_dlt" or (include_pending and s == "pending"))
        if letters:
            tokens.append(f"{dose}{letters}")
    return " ".join(tokens)
