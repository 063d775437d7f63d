"""Pure rules of dose escalation in operation (no Django): sentinel and stagger, DLT windows, cohort states,
and the live outcome string a design recommends on. The escalation room's services feed them plain values."""

from .cohorts import (
    CohortFacts,
    CohortState,
    DosedMember,
    StaggerRefusal,
    cohort_state,
    dlt_window,
    outcomes_for_design,
    stagger_refusal,
)

__all__ = [
    "CohortFacts", "CohortState", "DosedMember", "StaggerRefusal", "cohort_state", "dlt_window",
    "outcomes_for_design", "stagger_refusal",
]
