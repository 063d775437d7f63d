"""What the escalation room offers other rooms: which cohort is open, at which dose level, and whether a
dosing keeps the sentinel and stagger rule.

- :func:`open_cohort`: the cohort a newly enrolled participant joins, or None when none has a place (the
  current cohort is full, in observation, awaiting its SRC decision, or closed); :func:`why_closed` says why.
  Cohort 1 opens at the protocol's ``escalation.start_dose``; every later cohort opens at the dose the
  last signed SRC decision chose, with the places the design (cohort size) or the decision (expansion) gives.
- :func:`dosing_refusal`: why dosing a participant on a day breaks the sentinel / stagger rule (the
  sentinel is dosed alone and observed for ``sentinel.observation_days``; later participants at least
  ``sentinel.stagger_days`` apart; a signed SRC decision after the sentinel when the protocol requires
  it), with the first day it becomes allowed.

The participants room imports only this module from escalation (an import-linter ``ignore_imports``
entry says so). The room's models and services are imported inside the functions, so importing this
module stays light.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CohortInfo:
    """An open cohort: its number (1 = the first cohort), dose level and dose."""

    number: int
    dose_level: str
    dose_cells_per_kg: float
    label: Any  # the dose level's bilingual label (study.protocol Text)
    reason: str = ""


def open_cohort(protocol: Any) -> CohortInfo | None:
    """The cohort a newly enrolled participant joins, or None when no cohort has a place."""
    from celltrial.escalation import services
    from celltrial.escalation.rules import CohortState

    cohort = services.current_cohort(protocol)
    view = services.cohort_view(protocol, cohort)
    if view.state is not CohortState.OPEN:
        return None
    level = protocol.dose_level(cohort.dose_level)
    reason = ("cohort 1 opens at the protocol's start dose" if cohort.opened_by_id is None
              else f"opened by the signed SRC decision {cohort.opened_by_id}")
    return CohortInfo(cohort.number, level.code, level.dose_cells_per_kg, level.label, reason=reason)


def why_closed(protocol: Any) -> str | None:
    """Why :func:`open_cohort` is None, in words for the enrolment page (None when a cohort is open)."""
    from celltrial.escalation import services

    return services.why_closed(protocol)


@dataclass(frozen=True)
class DosingRefusal:
    """Why a participant may not be dosed on a day (sentinel observation, stagger interval, awaiting an SRC
    decision), and the first day it becomes allowed (None when no date can be named)."""

    reason: str
    allowed_from: Any = None  # datetime.date | None


def dosing_refusal(participant: Any, on: Any) -> DosingRefusal | None:
    """Whether dosing ``participant`` on day ``on`` breaks the sentinel or stagger rule (None: allowed)."""
    from celltrial.escalation import services

    found = services.dosing_rule(participant, on)
    if found is None:
        return None
    refusal, cohort = found
    return DosingRefusal(services.refusal_text(refusal, cohort), refusal.allowed_from)
