"""What the labs room offers other rooms (safety: grade suggestions and DLT proposals; escalation: the SRC packet).

STUB until the labs room lands: the signatures and the result type are agreed; the labs room replaces the
bodies, not the signatures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["LabPoint", "abnormal_labs", "lab_series"]


@dataclass(frozen=True)
class LabPoint:
    """One lab result of one participant, with its flag against the site's reference range and its CTCAE grade."""

    participant_id: int
    subject: str
    analyte: str  # the panel's analyte code, e.g. "ALT"
    label: str
    collected_at: dt.datetime
    value: float
    unit: str
    flag: str = ""  # "L", "H" or ""
    grade: int | None = None
    ctcae_term: str = ""
    ctcae_version: str = ""
    visit: str = ""


def lab_series(participant: Any, analyte: str) -> list[LabPoint]:
    """The participant's results for one analyte, oldest first."""
    return []


def abnormal_labs(participants: Iterable[Any]) -> list[LabPoint]:
    """Every out-of-range or graded result of these participants, by participant then time."""
    return []
