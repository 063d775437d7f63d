"""What the safety room offers other rooms (escalation: DLT status and AE listings for the SRC packet).

STUB until the safety room lands: the safety room replaces the bodies, not the signatures.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

__all__ = ["AeSummary", "DltStatus", "adverse_events", "dlt_status"]

DltState = Literal["pending", "dlt", "no_dlt", "not_evaluable"]


@dataclass(frozen=True)
class DltStatus:
    """A dosed participant's DLT status as published by the safety room after adjudication."""

    status: DltState
    window_end: dt.date | None = None
    confirmed: bool = False  # confirmed by the investigator and the medical monitor
    summary: str = ""


@dataclass(frozen=True)
class AeSummary:
    participant_id: int
    subject: str
    term: str  # verbatim
    ctcae_term: str
    grade: int | None
    serious: bool
    related: bool  # investigator causality possibly, probably or definitely related
    dlt: bool
    onset: str  # ISO 8601, possibly partial
    aesi: bool = False


def dlt_status(participant: Any) -> DltStatus:
    """The participant's DLT status; ``pending`` until the window closes and adjudication is confirmed."""
    return DltStatus("pending")


def adverse_events(participants: Iterable[Any]) -> list[AeSummary]:
    """The current version of every AE of these participants."""
    return []
