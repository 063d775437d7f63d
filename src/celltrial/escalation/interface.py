"""What the escalation room offers other rooms: which cohort is open, at which dose level.

Until the escalation-in-operation issue (cohorts, sentinel and stagger, capacity, SRC decisions) builds
the real rules, the first dose level's cohort is open: :func:`open_cohort` reads only the protocol.
That issue replaces the body of this function, not its signature; the participants room imports only
this module from escalation (an import-linter ``ignore_imports`` entry says so).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class CohortInfo:
    """An open cohort: its number (1 = the first dose level's cohort), dose level and dose."""

    number: int
    dose_level: str
    dose_cells_per_kg: float
    label: Any  # the dose level's bilingual label (study.protocol Text)
    reason: str = ""


def open_cohort(protocol: Any) -> CohortInfo | None:
    """The cohort a newly enrolled participant joins, or None when no cohort is open.

    Placeholder rule (documented above): the cohort of the protocol's start dose is open.
    """
    start = protocol.escalation.start_dose
    for number, level in enumerate(protocol.dose_levels, start=1):
        if level.code == start:
            return CohortInfo(number, level.code, level.dose_cells_per_kg, level.label,
                              reason="first cohort open (escalation rules not yet in operation)")
    return None


@dataclass(frozen=True)
class DosingRefusal:
    """Why a participant may not be dosed on a day (sentinel observation, stagger interval, awaiting an SRC
    decision), and the first day it becomes allowed (None when no date can be named)."""

    reason: str
    allowed_from: Any = None  # datetime.date | None


def dosing_refusal(participant: Any, on: Any) -> DosingRefusal | None:
    """Whether dosing ``participant`` on day ``on`` breaks the sentinel or stagger rule.

    Placeholder until the escalation room lands: no refusal.
    """
    return None
