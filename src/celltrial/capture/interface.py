"""What the capture room offers other rooms.

- :func:`form_values`, :func:`save_form`, :func:`form_records`: the form records (participants: screening
  entry and eligibility; product: the weight on the dosing basis day);
- :func:`instrument_summaries`: scored instruments with change from baseline and the RUPP responder
  status (escalation: the SRC packet).

Models are imported inside the functions, so importing this module is light.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["FormEntry", "InstrumentSummary", "form_records", "form_values", "instrument_summaries", "save_form",
           "subscribe_saved"]

# Called after every form save, inside its transaction: ``fn(actor, participant, visit, form)``. A room that
# derives something from form values (participants: an eligibility decision gone stale) subscribes once, in
# its AppConfig.ready().
_SAVED: list[Any] = []


def subscribe_saved(fn: Any) -> None:
    if fn not in _SAVED:
        _SAVED.append(fn)


def saved_subscribers() -> list[Any]:
    return list(_SAVED)


@dataclass(frozen=True)
class InstrumentSummary:
    """A scored instrument of one participant at one visit, with change from baseline."""

    participant_id: int
    subject: str
    instrument: str
    visit: str
    total: float | None
    change_from_baseline: float | None = None
    percent_change: float | None = None
    responder: bool | None = None


@dataclass(frozen=True)
class FormEntry:
    """One saved form record, as other rooms read it."""

    id: int
    visit: str
    form: str
    repeat: int
    values: Mapping[str, Any]
    status: str
    version: int
    updated_at: dt.datetime


def form_values(participant: Any, visit: str, form: str, repeat: int = 1) -> dict[str, Any] | None:
    """The item values of one form record (draft or complete), or None when it was not entered."""
    from celltrial.capture.models import FormRecord

    values = (FormRecord.objects.filter(participant=participant, visit=visit, form=form, repeat=repeat)
              .values_list("values", flat=True).first())
    return dict(values) if values is not None else None


def form_records(participant: Any) -> list[FormEntry]:
    """Every form record of a participant, by visit, form and repeat."""
    from celltrial.capture.models import FormRecord

    return [FormEntry(r.pk, r.visit, r.form, r.repeat, dict(r.values), r.status, r.version, r.updated_at)
            for r in FormRecord.objects.filter(participant=participant).order_by("visit", "form", "repeat")]


def save_form(actor: Any, participant: Any, *, visit: str, form: str, values: Mapping[str, Any],
              expected_version: int | None = None, reason: str = "", repeat: int = 1,
              complete: bool | None = True) -> Any:
    """Enter or change one form (``capture.services.save_form``): consent gating, the dictionary's
    checks, draft or complete, reason after first completion, conflict on a stale version."""
    from celltrial.capture import services

    return services.save_form(actor, participant, visit=visit, form=form, values=values,
                              expected_version=expected_version, reason=reason, repeat=repeat, complete=complete)


def instrument_summaries(participants: Iterable[Any]) -> list[InstrumentSummary]:
    """The scored instruments of these participants, by participant, instrument and visit order."""
    from celltrial.capture import outcomes

    return [InstrumentSummary(row.participant_id, row.subject, row.instrument, row.visit, row.total,
                              row.change, row.percent_change, row.responder)
            for row in outcomes.summaries(list(participants))]
