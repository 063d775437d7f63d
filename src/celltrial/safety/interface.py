"""What the safety room offers other rooms (escalation: DLT status and AE listings for the SRC packet).

- :func:`dlt_status`: a dosed participant's DLT status after adjudication — ``pending`` until the
  investigator has decided (e-signed) and the medical monitor has confirmed (e-signed); then ``dlt``,
  ``no_dlt`` or ``not_evaluable``, with the end of the DLT window (Day 0 + ``dlt.window_days``).
- :func:`adverse_events`: the current version of every AE of the given participants.
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
    from celltrial.safety.services import dlt_state

    state = dlt_state(participant)
    return DltStatus(state.status, state.window_end, state.confirmed, state.summary)  # type: ignore[arg-type]


def adverse_events(participants: Iterable[Any]) -> list[AeSummary]:
    """The current version of every AE of these participants."""
    from celltrial.participants.interface import subject_label
    from celltrial.safety.models import AdverseEvent
    from celltrial.safety.services import dlt_state

    people = list(participants)
    ids = [p.pk for p in people]
    out: list[AeSummary] = []
    by_id = {p.pk: p for p in people}
    dlt_numbers: dict[int, set[int]] = {}
    for p in people:
        state = dlt_state(p)
        if state.confirmed and state.status == "dlt" and state.adjudication is not None:
            dlt_numbers[p.pk] = set(state.adjudication.dlt_aes)
    for ae in AdverseEvent.objects.filter(participant_id__in=ids).order_by("participant_id", "number"):
        out.append(AeSummary(
            participant_id=ae.participant_id, subject=subject_label(by_id[ae.participant_id]), term=ae.verbatim,
            ctcae_term=ae.ctcae_term, grade=ae.grade, serious=ae.serious, related=ae.related_investigator,
            dlt=ae.number in dlt_numbers.get(ae.participant_id, set()), onset=ae.onset, aesi=bool(ae.aesi)))
    return out
