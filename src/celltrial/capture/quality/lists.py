"""The missing-form and overdue lists per site: the protocol's expected forms of each visit that is done
or past its window, against the form records present.

Not expected: forms of repeating logs (concomitant medications: none may be a true answer) and the
workflow forms other rooms own (consent, adverse events, DLT assessment), which have their own lists.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from celltrial.capture.quality import records
from celltrial.capture.quality.rules.overdue import Gap, VisitSlot, gaps
from celltrial.participants.interface import dosed_participants, subject_label
from celltrial.study.interface import protocol_version_in_force

WORKFLOW_FORMS = frozenset({"consent", "adverse_events", "dlt_assessment"})


def expected_forms(protocol: Any) -> dict[str, list[str]]:
    repeating = {f.name for f in protocol.forms if f.repeating}
    return {v.code: [f for f in v.forms if f not in repeating and f not in WORKFLOW_FORMS] for v in protocol.visits}


def missing_forms(*, today: dt.date, participants: list[Any] | None = None) -> list[Gap]:
    found = protocol_version_in_force()
    if found is None:
        return []
    protocol = found[1]
    if participants is None:
        seen: dict[int, Any] = {p.pk: p for p in dosed_participants()}
        for p in records.participants_with_records():
            seen.setdefault(p.pk, p)
        participants = list(seen.values())
    if not participants:
        return []
    slots = [VisitSlot(v.participant_id, subject_label(v.participant), v.site.code, v.code, v.status, v.latest,
                       v.actual_date) for v in records.visits_of(participants)]
    present: dict[tuple[int, str, str], str] = {}
    for r in records.of_participants(p.pk for p in participants):
        key = (r.participant_pk, r.visit, r.form)
        if present.get(key) != "complete":
            present[key] = "complete" if r.status in ("complete", "completed", "") else "draft"
    return gaps(slots, expected_forms(protocol), present, today)
