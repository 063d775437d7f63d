"""What the labs room offers other rooms (safety: grade suggestions and DLT proposals; escalation: the SRC packet).

- :func:`lab_series`: one analyte of one participant, oldest first, each point with its flag against the
  site's reference row used and its CTCAE v5.0 grade (with the version);
- :func:`abnormal_labs`: every flagged (L/H) or graded (grade ≥ 1) result of the given participants.

Callers scope participants for display; these functions read what they are given. Models are imported
inside the functions so that importing this module stays light.
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


def _point(result: Any, subject: str) -> LabPoint:
    from celltrial.labs.rules import ANALYTES

    code = ANALYTES.get(result.analyte)
    return LabPoint(participant_id=result.participant_id, subject=subject, analyte=result.analyte,
                    label=code.label_en if code else result.analyte, collected_at=result.collected_at,
                    value=float(result.si_value), unit=result.si_unit, flag=result.flag, grade=result.grade,
                    ctcae_term=result.ctcae_term, ctcae_version=result.ctcae_version, visit=result.visit)


def _subject(participant: Any) -> str:
    from celltrial.participants.interface import subject_label

    return subject_label(participant)


def lab_series(participant: Any, analyte: str) -> list[LabPoint]:
    """The participant's results for one analyte, oldest first (values in the analyte's SI unit)."""
    from celltrial.labs.models import LabResult

    subject = _subject(participant)
    rows = LabResult.objects.filter(participant_id=participant.pk, analyte=(analyte or "").strip().upper())
    return [_point(r, subject) for r in rows.order_by("collected_at", "id")]


def abnormal_labs(participants: Iterable[Any]) -> list[LabPoint]:
    """Every out-of-range or graded result of these participants, by participant then time."""
    from django.db.models import Q

    from celltrial.labs.models import LabResult

    people = {p.pk: p for p in participants}
    if not people:
        return []
    labels = {pk: _subject(p) for pk, p in people.items()}
    rows = (LabResult.objects.filter(participant_id__in=list(people)).filter(~Q(flag="") | Q(grade__gte=1))
            .order_by("participant_id", "collected_at", "id"))
    return [_point(r, labels[r.participant_id]) for r in rows]
