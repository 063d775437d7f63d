"""Evaluating edit checks against a record, its visit and the participant's other visits.

An edit check's logic is true when the data are discrepant (REDCap's data-quality rules). The
current record is read by ``[field]`` (with the other forms of the same visit behind it, since field
names are unique across the dictionary); other visits by ``[visit][field]`` with lower-case visit
codes. A blank result is false: a check never fires on data not yet entered.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from celltrial import logic


class CheckLike(Protocol):
    id: str
    logic: str
    forms: list[str]
    visits: list[str]

    def applies_to(self, form: str, visit: str) -> bool: ...


@dataclass(frozen=True)
class Outcome:
    check_id: str
    discrepant: bool


def evaluate(check: CheckLike, values: Mapping[str, Any], visit_values: Mapping[str, Mapping[str, Any]],
             *, today: dt.date | None = None, missing_codes: Iterable[str] = ()) -> Outcome:
    """Whether ``values`` (the saved form, visit siblings merged under it) are discrepant under ``check``.

    ``visit_values`` maps lower-case visit codes to the merged values of that visit's forms.
    """
    result = logic.evaluate(check.logic, values, events=visit_values, today=today, missing_codes=missing_codes)
    return Outcome(check.id, logic.is_true(result))


def reads_visit(check: CheckLike, visit: str, fields: Iterable[str]) -> bool:
    """Whether the check reads one of ``fields`` at ``visit`` through ``[visit][field]``."""
    names = set(fields)
    return any(ref.event is not None and ref.event.lower() == visit.lower() and ref.field in names
               for ref in logic.parse(check.logic).references())


def merged(records: Iterable[tuple[str, Mapping[str, Any]]]) -> dict[str, Any]:
    """The values of several forms of one visit in one mapping (field names are unique)."""
    out: dict[str, Any] = {}
    for _form, values in records:
        out.update(values)
    return out
