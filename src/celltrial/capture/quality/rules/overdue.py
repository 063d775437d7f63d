"""Missing and overdue forms: the expected forms of a visit against the records present.

A visit's forms are **missing** once the visit is done (its forms were due that day) and **overdue**
once the visit's window has closed (``latest`` before today) without the visit being recorded as done,
missed or cancelled. A missed or cancelled visit expects nothing. A form present only as a draft is
listed as incomplete.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class VisitSlot:
    participant: int
    subject: str
    site: str
    visit: str
    status: str  # scheduled / done / missed / cancelled
    latest: dt.date | None
    actual: dt.date | None


@dataclass(frozen=True)
class Gap:
    participant: int
    subject: str
    site: str
    visit: str
    form: str
    kind: str  # "missing" (visit done, form absent), "incomplete" (draft only), "overdue" (window closed)
    due: dt.date | None
    days: int | None  # days since due


def gaps(slots: Iterable[VisitSlot], expected: Mapping[str, list[str]],
         present: Mapping[tuple[int, str, str], str], today: dt.date) -> list[Gap]:
    """Every expected form of the done or past-window visits that is absent or only a draft.

    ``expected`` maps a visit code to its forms (the protocol's schedule); ``present`` maps
    (participant, visit, form) to the record status ("complete" or "draft").
    """
    found: list[Gap] = []
    for slot in slots:
        if slot.status in ("missed", "cancelled"):
            continue
        if slot.status == "done":
            due = slot.actual or slot.latest
            kind = "missing"
        elif slot.latest is not None and slot.latest < today:
            due, kind = slot.latest, "overdue"
        else:
            continue
        for form in expected.get(slot.visit, []):
            status = present.get((slot.participant, slot.visit, form))
            if status == "complete":
                continue
            what = "incomplete" if status is not None else kind
            found.append(Gap(slot.participant, slot.subject, slot.site, slot.visit, form, what, due,
                             (today - due).days if due else None))
    return sorted(found, key=lambda g: (g.site, -(g.days or 0), g.subject, g.visit, g.form))
